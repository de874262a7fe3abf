/**
 * The realtime side of a process, assembled once for both ways Parley runs it:
 *   apps/web/server.ts — the gateway attached to the web server at `/ws` (the default: one process)
 *   apps/realtime      — a separate gateway on REALTIME_PORT (several of them share Redis)
 *
 * Order matters and is kept here: one Engine (Redis when REDIS_URL is set, else in-process memory)
 * → core's after-commit fan-out on it, installed as the process's event sink (so every write this
 * process commits, from tRPC or from a socket, is pushed) → core's revocation bridge on the same
 * engine (a revoke committed in any process reaches this process's auth cache and sockets, and
 * this process's revokes reach every other) → the receipt relay (core receipts/relay.ts, live read
 * ticks) on the same engine → the gateway on the same engine → the Health page's stats (core
 * ops-stats.ts) written to, and read from, the same engine.
 * Shutdown runs the other way: gateway (sockets get 4000, reconnect elsewhere and resume) →
 * revocation bridge → fan-out (drains what is in flight) → engine.
 */
import type { Server } from "node:http";
import type { TEnv } from "@parley/config";
import {
  bridgeRevocations,
  configureLimits,
  configureSendBatching,
  configureSlashCommands,
  createEngine,
  createFanout,
  createReadiness,
  createReceiptRelay,
  databaseCheck,
  engineCheck,
  metrics,
  setEventSink,
  setOpsStatsReader,
  setReceiptRelay,
  startOpsStats,
  type TEngine,
  type TEngineLogger,
  type TFanout,
  type TOpsStats,
  type TReadinessCheck,
  type TReadinessReport,
} from "@parley/core";
import type { TDb } from "@parley/db";
import type { Logger } from "pino";
import { createAuthenticator } from "./auth.ts";
import { createCoreHandlers } from "./commands.ts";
import { commandRate, createGateway, sendRatePerUser, type TGateway } from "./gateway.ts";
import { startMetricsServer, type TMetricsServer } from "./metrics-server.ts";

/** Options of startRealtime. */
export type TRealtimeOptions = {
  env: TEnv;
  db: TDb;
  logger: Logger;
  /** Attach the gateway to this server at `/ws`; without it the gateway listens on env.REALTIME_PORT. */
  server?: Server;
  /** false: install the fan-out only (separate gateways serve the sockets). Default true. */
  withGateway?: boolean;
  /** Readiness checks besides Postgres and the engine (the web server adds its storage). */
  readinessChecks?: readonly TReadinessCheck[];
};

/** The running realtime side of this process. */
export type TRealtime = {
  engine: TEngine;
  fanout: TFanout;
  gateway: TGateway | null;
  /** The readiness probe of this process: Postgres, the engine and `readinessChecks`. */
  readiness: () => Promise<TReadinessReport>;
  /** The `/metrics` listener (METRICS_PORT), or null when metrics are off. */
  metricsServer: TMetricsServer | null;
  /** This process's Health-page recorder (`flush` writes its snapshot now). */
  opsStats: TOpsStats;
  /** Closes the gateway only (sockets get 4000); call before closing the http server it sits on. */
  closeGateway(): Promise<void>;
  /** Closes the gateway (if still open), then the fan-out, then the engine. */
  close(): Promise<void>;
};

/** Builds engine, fan-out (as the event sink) and, unless told not to, the gateway. */
export async function startRealtime(options: TRealtimeOptions): Promise<TRealtime> {
  const { env, db, logger } = options;
  configureLimits({ maxMessageLength: env.MAX_MESSAGE_LENGTH });
  configureSendBatching({
    maxBatch: env.SEND_BATCH_MAX,
    maxInFlight: env.SEND_BATCH_IN_FLIGHT,
    gatherMs: env.SEND_BATCH_GATHER_MS,
  });
  configureSlashCommands({ publicUrl: env.PUBLIC_URL, allowHosts: env.SLASH_COMMAND_ALLOW_HOSTS });
  const engineLogger = logger.child({ component: "engine" });
  // Engines and the fan-out report `(message, error?)`, console style: the error becomes `err`.
  const engineLog: TEngineLogger = {
    warn: (message?: unknown, err?: unknown) =>
      engineLogger.warn(err === undefined ? {} : { err }, String(message)),
    error: (message?: unknown, err?: unknown) =>
      engineLogger.error(err === undefined ? {} : { err }, String(message)),
  };
  const engine = createEngine({
    redisUrl: env.REDIS_URL,
    keyPrefix: env.REDIS_KEY_PREFIX,
    logger: engineLog,
  });
  // One threshold for both sides: the fan-out publishes large channels on their topic, and the
  // gateway subscribes to the topics of its users' large channels.
  const largeChannelThreshold = env.LARGE_CHANNEL_THRESHOLD;
  const fanout = createFanout({ db, engine, largeChannelThreshold, logger: engineLog });
  setEventSink(fanout);
  // Read and delivered cursors moved by any write of this process go out as coalesced frames.
  const receipts = createReceiptRelay({
    db,
    engine,
    largeChannelThreshold,
    onError: (err) => engineLogger.error({ err }, "receipt relay failed"),
  });
  setReceiptRelay(receipts);
  const stopRevocations = await bridgeRevocations(engine, { logger: engineLog });

  const readiness = createReadiness(
    [databaseCheck(db), engineCheck(engine), ...(options.readinessChecks ?? [])],
    {
      onFailure: (check, err) => logger.warn({ err, check }, "readiness check failed"),
    },
  );
  metrics().watchDb(db);

  const authenticate = createAuthenticator({ db, secret: env.AUTH_SECRET });
  const gateway =
    options.withGateway === false
      ? null
      : await createGateway({
          ...(options.server ? { server: options.server } : { port: env.REALTIME_PORT }),
          authenticate,
          handlers: createCoreHandlers(db),
          delivery: { engine, db, largeChannelThreshold, refreshMs: env.PRESENCE_REFRESH_SECONDS * 1000 },
          commandRate: commandRate(env.RATE_LIMIT_COMMANDS_PER_SECOND),
          sendRatePerUser: sendRatePerUser(env.RATE_LIMIT_MESSAGES_PER_SECOND),
          logger: logger.child({ component: "gateway" }),
          readiness,
        });
  const metricsServer =
    env.METRICS_PORT === undefined
      ? null
      : await startMetricsServer({
          port: env.METRICS_PORT,
          host: env.METRICS_HOST,
          token: env.METRICS_TOKEN,
          logger,
        });
  if (metricsServer) logger.info({ host: env.METRICS_HOST, port: metricsServer.port }, "metrics on /metrics");
  // The admin Health page: this process's figures go to the engine, and the page (web's tRPC, in
  // any process on the same engine) reads every process's (core ops-stats.ts).
  const opsStats = startOpsStats({
    engine,
    role: options.server ? (gateway ? "web + gateway" : "web") : "gateway",
    ...(gateway?.gatewayId ? { processId: gateway.gatewayId } : {}),
  });
  setOpsStatsReader(() => engine.listProcessStats());

  let gatewayClosed: Promise<void> | undefined;
  const closeGateway = () => {
    gatewayClosed ??= gateway ? gateway.close() : Promise.resolve();
    return gatewayClosed;
  };
  return {
    engine,
    fanout,
    gateway,
    readiness,
    metricsServer,
    opsStats,
    closeGateway,
    async close() {
      await closeGateway();
      await opsStats.stop();
      setOpsStatsReader(null);
      await metricsServer?.close();
      authenticate.close();
      await stopRevocations();
      await receipts.close();
      setReceiptRelay(null);
      await fanout.close();
      await engine.close();
    },
  };
}
