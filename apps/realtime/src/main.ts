/**
 * The realtime gateway process: validated settings, a pino logger, the database, the Engine
 * (Redis when REDIS_URL is set, else the in-process memory engine), the after-commit fan-out as
 * core's event sink (so sends through this gateway reach every member's gateway), then the
 * gateway on REALTIME_PORT. This is the separate-gateway mode (several gateways behind a load
 * balancer, with Redis); by default apps/web/server.ts embeds the same gateway on `/ws` of the web
 * server instead. SIGTERM/SIGINT drain it: every socket is closed with 4000 so clients
 * reconnect to another gateway and resume, then fan-out, engine and database close in that order.
 */
import { loadEnv } from "@parley/config";
import { configureLimits, createEngine, createFanout, setEventSink } from "@parley/core";
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
  const engineLogger = logger.child({ component: "engine" });
  const engineLog = {
    warn: (...args: unknown[]) => engineLogger.warn({ args }, String(args[0])),
    error: (...args: unknown[]) => engineLogger.error({ args }, String(args[0])),
  };
  const engine = createEngine({ redisUrl: env.REDIS_URL, logger: engineLog });
  // One threshold for both sides: the fan-out publishes large channels on their topic, and the
  // gateway subscribes to the topics of its users' large channels.
  const largeChannelThreshold = env.LARGE_CHANNEL_THRESHOLD;
  const fanout = createFanout({ db, engine, largeChannelThreshold, logger: engineLog });
  setEventSink(fanout);
  const gateway = await createGateway({
    port: env.REALTIME_PORT,
    authenticate: createAuthenticator({ db, secret: env.AUTH_SECRET }),
    handlers: createCoreHandlers(db),
    delivery: { engine, db, largeChannelThreshold },
    logger,
  });
  if (!env.REDIS_URL) {
    // The memory engine lives in this process only: what apps/web commits (tRPC sends, joins,
    // read state) cannot reach these sockets. Run the gateway embedded in web, or use Redis.
    logger.warn(
      "no REDIS_URL: this separate gateway only sees its own sends; use the gateway embedded in apps/web (REALTIME_EMBEDDED=true) or set REDIS_URL",
    );
  }
  logger.info(
    { port: gateway.port, engine: engine.kind, gatewayId: gateway.gatewayId },
    `realtime gateway listening on ws://localhost:${gateway.port}/ws (public URL ${env.REALTIME_PUBLIC_URL})`,
  );

  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal, connections: gateway.connectionCount }, "draining: closing sockets with 4000");
    gateway
      .close()
      .then(() => fanout.close())
      .then(() => engine.close())
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
