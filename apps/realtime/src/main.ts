/**
 * The realtime gateway process: validated settings, a pino logger, the database, then the
 * gateway on REALTIME_PORT. SIGTERM/SIGINT drain it: every socket is closed with 4000 so clients
 * reconnect to another gateway and resume, then the process exits.
 */
import { loadEnv } from "@parley/config";
import { configureLimits } from "@parley/core";
import { createDb } from "@parley/db";
import { pino } from "pino";
import { createAuthenticator } from "./auth.ts";
import { createCoreHandlers } from "./commands.ts";
import { createGateway } from "./gateway.ts";

const env = loadEnv();
const logger = pino({ level: env.LOG_LEVEL, base: { service: "realtime" } });

async function main(): Promise<void> {
  configureLimits({ maxMessageLength: env.MAX_MESSAGE_LENGTH });
  const db = createDb(env.DATABASE_URL);
  const gateway = await createGateway({
    port: env.REALTIME_PORT,
    authenticate: createAuthenticator({ db, secret: env.AUTH_SECRET }),
    handlers: createCoreHandlers(db),
    logger,
  });
  logger.info(
    { port: gateway.port, engine: env.REDIS_URL ? "redis (not wired yet: memory)" : "memory" },
    `realtime gateway listening on ws://localhost:${gateway.port}/ws (public URL ${env.REALTIME_PUBLIC_URL})`,
  );

  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal, connections: gateway.connectionCount }, "draining: closing sockets with 4000");
    gateway
      .close()
      .then(() => db.$disconnect())
      .then(
        () => {
          logger.info("stopped");
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  logger.fatal({ err }, "realtime gateway failed to start");
  process.exit(1);
});
