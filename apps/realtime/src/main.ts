/**
 * A separate realtime gateway process, for deployments that run several gateways behind a load
 * balancer with Redis (by default apps/web/server.ts embeds the same gateway on `/ws` instead).
 * Settings are validated, then @parley/gateway's startRealtime builds engine → fan-out → gateway
 * on REALTIME_PORT; a search indexer follows the log beside it (woken by this process's sends).
 * It answers GET /healthz (alive) and /readyz (Postgres and the engine answer) on REALTIME_PORT,
 * and serves Prometheus metrics on METRICS_PORT when set (startRealtime; ARCHITECTURE "Operations").
 * SIGTERM/SIGINT drain it: it stops listening (new sockets go elsewhere), lets the commands it
 * already received finish and be acked, then closes every socket with 4000 so clients reconnect
 * to another gateway and resume; then fan-out, engine and database close in that order.
 */
import { loadEnv } from "@parley/config";
import { getStorage, setProcessLogger, startLinkPreviewer, startSearchIndexer } from "@parley/core";
import { createDb } from "@parley/db";
import { createLogger, startRealtime } from "@parley/gateway";

const env = loadEnv();
const logger = createLogger({ service: "realtime", level: env.LOG_LEVEL });
setProcessLogger(logger);

async function main(): Promise<void> {
  const db = createDb(env.DATABASE_URL);
  const realtime = await startRealtime({ env, db, logger });
  const gateway = realtime.gateway!;
  // Sends over this gateway's sockets commit here: this process's indexer is woken by them
  // (core/src/search/indexer.ts), so they are searchable within a round, without a NOTIFY.
  const stopIndexer = env.SEARCH_INDEXER
    ? startSearchIndexer(db, { onError: (err) => logger.warn({ err }, "search indexing failed; retrying") })
    : () => Promise.resolve();
  // Link previews of sends over these sockets (core/src/previews/worker.ts), likewise off the send path.
  const stopPreviewer = env.LINK_PREVIEWS
    ? startLinkPreviewer(db, {
        allowHosts: env.LINK_PREVIEW_ALLOW_HOSTS,
        timeoutMs: env.LINK_PREVIEW_TIMEOUT_MS,
        maxBytes: env.LINK_PREVIEW_MAX_BYTES,
        storage: () => getStorage(env),
        onError: (err) => logger.warn({ err }, "link previews failed; retrying"),
      })
    : () => Promise.resolve();
  if (!env.REDIS_URL) {
    // The memory engine lives in this process only: what apps/web commits (tRPC sends, joins,
    // read state) cannot reach these sockets. Run the gateway embedded in web, or use Redis.
    logger.warn(
      "no REDIS_URL: this separate gateway only sees its own sends; use the gateway embedded in apps/web (REALTIME_EMBEDDED=true) or set REDIS_URL",
    );
  }
  logger.info(
    { port: gateway.port, engine: realtime.engine.kind, gatewayId: gateway.gatewayId },
    `realtime gateway listening on ws://localhost:${gateway.port}/ws (public URL ${env.REALTIME_PUBLIC_URL})`,
  );

  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal, connections: gateway.connectionCount }, "draining: closing sockets with 4000");
    // The drain starts at once (it stops listening first, so a replacement can bind the port);
    // the indexer stops meanwhile; fan-out, engine and database close after both.
    Promise.all([realtime.closeGateway(), stopIndexer(), stopPreviewer()])
      .then(() => realtime.close())
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
