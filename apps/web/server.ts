/**
 * The Parley server: ONE process and ONE port for the web app and the realtime gateway.
 *
 *   node --import tsx server.ts          production (the `next build` output in .next)
 *   node --import tsx server.ts --dev    development (Next compiles on demand, HMR)
 *
 * It owns the realtime side of this process, in this order:
 * 1. one Engine (`REDIS_URL` → Redis, else the in-process memory engine) and core's after-commit
 *    fan-out on it, installed with `setEventSink`. Core keeps the sink on globalThis
 *    (Symbol.for("parley.eventSink")), so the copy of @parley/core inside Next's bundle — tRPC
 *    sends, joins, markRead, renames — publishes into this same fan-out, and therefore reaches
 *    sockets even with the memory engine; and core's revocation bridge on the same engine, so a
 *    revoke committed here (or in any process on the same Redis) closes the credential's sockets
 *    and drops it from every gateway's auth cache at once;
 * 2. Next's request handler on an http server;
 * 3. the gateway attached to that server at `/ws` with the same engine, so browsers connect
 *    same-origin (REALTIME_PUBLIC_URL defaults to PUBLIC_URL with ws(s):// and /ws). Every other
 *    upgrade (Next's HMR in dev) is left to Next, which attaches its own listener.
 *
 * `REALTIME_EMBEDDED=false` skips 3 (several gateways run as apps/realtime behind a load balancer
 * and share Redis); the fan-out sink is still installed so web's writes reach them.
 *
 * It also runs the search indexer and the notifier (web push, e-mail), both following the Event
 * log off the send path, and sweeps attachments never sent within PENDING_UPLOAD_TTL_MINUTES (and the files of
 * deleted messages) on a timer: every half TTL, at most every 5 minutes. Several server processes
 * may sweep at once; the sweep is idempotent. Hourly it removes audit entries past the workspace's
 * audit retention (core/src/audit/retention.ts), likewise safe to run in several processes, and
 * messages past their retention (core/src/retention/run.ts; one process at a time by its lock).
 * It fires reminders on messages when due (core/src/reminders/fire.ts; one round at a time across
 * processes, each reminder once).
 * It builds data exports in the background (core/src/export/run.ts; any number of processes, each
 * export claimed by one) and removes expired export archives.
 *
 * Operations: GET /healthz (alive) and /readyz (Postgres, the engine and storage answer; 503 when
 * one does not, or while stopping) are answered here before Next (@parley/gateway answerHealth,
 * core health.ts); Prometheus metrics are on METRICS_PORT when set (startRealtime).
 *
 * SIGTERM/SIGINT: gateway drain (commands already received finish and are acked; then sockets get
 * 4000 and reconnect/resume) → http server → fan-out → engine → database.
 */
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TReadinessReport } from "@parley/core";

const isDev = process.argv.includes("--dev");
// Next reads NODE_ENV itself; settings are validated after this (no other process.env writes).
if (isDev) (process.env as Record<string, string | undefined>).NODE_ENV ??= "development";

const { loadEnv } = await import("@parley/config");
const { createDb } = await import("@parley/db");
const { answerHealth, createLogger, DEFAULT_LISTEN_BACKLOG, pathOf, startRealtime, withRequestId } =
  await import("@parley/gateway");
const { getStorage, sweepPendingUploads, uploadLimitsFrom } = await import("@parley/core/files");
const { startExportWorker } = await import("@parley/core/export");
const { startSlackImportWorker } = await import("@parley/core/slack-import");
const {
  CLIENT_ADDRESS_HEADER,
  clientAddress,
  compileTrust,
  createMailer,
  createWebPushSender,
  getVapidDetails,
  mailFrom,
  metrics,
  sendDueEmails,
  setProcessLogger,
  startAuditRetention,
  startMessageRetention,
  startNotifier,
  startLinkPreviewer,
  startReminderJob,
  startSearchIndexer,
  storageCheck,
} = await import("@parley/core");
const { default: next } = await import("next");

const env = loadEnv();
// pino JSON at LOG_LEVEL, secrets censored, `requestId` on every line of a request (logging.ts);
// installed for every copy of core in this process, the one in Next's bundle included.
const logger = createLogger({ service: "web", level: env.LOG_LEVEL });
setProcessLogger(logger);
const dir = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const db = createDb(env.DATABASE_URL);

  const app = next({ dev: isDev, dir, hostname: "localhost", port: env.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();
  const trust = compileTrust(env.TRUST_PROXY);
  // /healthz and /readyz are answered here, before Next, as a gateway answers them; the probe
  // (Postgres, the engine, storage) is startRealtime's, set before the server listens.
  let readiness: () => Promise<TReadinessReport> = () => Promise.reject(new Error("starting"));
  let isStopping = false;
  const health = { isClosing: () => isStopping, readiness: () => readiness() };
  // Every request gets an id (x-request-id, echoed) that every line logged while handling it carries.
  const server = createServer((req, res) =>
    withRequestId(req, res, () => {
      if (answerHealth(req, res, health)) return;
      // The one place the client's address is decided (TRUST_PROXY); route handlers read it from
      // this header, which always replaces anything the client sent under the same name.
      req.headers[CLIENT_ADDRESS_HEADER] = clientAddress(req, trust) ?? "";
      handle(req, res).catch((err: unknown) => {
        metrics().counts.internalErrors += 1;
        logger.error({ err, method: req.method, path: pathOf(req.url) }, "request failed");
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    }),
  );
  // Idle keep-alive connections stay open longer than a reverse proxy's or an HTTP client's own idle
  // timeout (nginx's upstream keepalive_timeout is 60 s). With Node's 5 s default the server closes
  // sockets that clients still hold in their pools, and a request sent on one as it closes fails
  // with ECONNRESET (seen from Playwright's request client under load). headersTimeout stays above it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  // Engine → fan-out (the event sink, also for the copy of core inside Next's bundle) → gateway.
  const realtime = await startRealtime({
    env,
    db,
    logger,
    server,
    withGateway: env.REALTIME_EMBEDDED,
    readinessChecks: [storageCheck(() => getStorage(env))],
  });
  const { engine, gateway } = realtime;
  readiness = realtime.readiness;
  if (!gateway && !env.REDIS_URL) {
    logger.warn(
      "REALTIME_EMBEDDED=false without REDIS_URL: separate gateways cannot receive what this process commits",
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A storm-sized backlog: the embedded gateway takes reconnect storms on this listener.
    server.listen({ port: env.PORT, backlog: DEFAULT_LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  logger.info(
    {
      port: env.PORT,
      dev: isDev,
      engine: engine.kind,
      gatewayId: gateway?.gatewayId ?? null,
      realtimeUrl: env.REALTIME_PUBLIC_URL,
    },
    gateway
      ? `web + realtime listening on http://localhost:${env.PORT} (WebSocket /ws, engine ${engine.kind})`
      : `web listening on http://localhost:${env.PORT} (realtime runs separately at ${env.REALTIME_PUBLIC_URL})`,
  );

  const sweepEveryMs = Math.min(5 * 60_000, (env.PENDING_UPLOAD_TTL_MINUTES * 60_000) / 2);
  const sweep = async () => {
    try {
      const removed = await sweepPendingUploads(db, await getStorage(env), env.PENDING_UPLOAD_TTL_MINUTES);
      if (removed > 0) logger.info({ removed }, "swept unsent and deleted attachments");
    } catch (err) {
      logger.warn({ err }, "sweeping attachments failed; retrying on the next tick");
    }
  };
  const sweepTimer = setInterval(() => void sweep(), sweepEveryMs);
  sweepTimer.unref();
  // Search follows the Event log off the send path (core/src/search/indexer.ts).
  const stopIndexer = env.SEARCH_INDEXER
    ? startSearchIndexer(db, { onError: (err) => logger.warn({ err }, "search indexing failed; retrying") })
    : () => Promise.resolve();
  // Link previews too (core/src/previews/worker.ts): fetched after the send, delivered as message.preview.
  const stopPreviewer = env.LINK_PREVIEWS
    ? startLinkPreviewer(db, {
        allowHosts: env.LINK_PREVIEW_ALLOW_HOSTS,
        timeoutMs: env.LINK_PREVIEW_TIMEOUT_MS,
        maxBytes: env.LINK_PREVIEW_MAX_BYTES,
        storage: () => getStorage(env),
        onError: (err) => logger.warn({ err }, "link previews failed; retrying"),
      })
    : () => Promise.resolve();

  // Notifications follow the Event log off the send path too (core/src/notifications/notifier.ts):
  // web push to members away from every device, e-mail for DMs and mentions left unread.
  const push = createWebPushSender({
    vapid: await getVapidDetails(db, env),
    onError: (err, endpoint) => logger.warn({ err, endpoint: new URL(endpoint).origin }, "web push failed"),
  });
  const mailer = createMailer(env);
  const stopNotifier = startNotifier(
    db,
    {
      engine,
      push,
      emailDelayMinutes: mailer ? env.EMAIL_NOTIFY_DELAY_MINUTES : null,
      ...(mailer
        ? {
            sendDueEmails: () =>
              sendDueEmails(db, {
                mailer,
                from: mailFrom(env),
                publicUrl: env.PUBLIC_URL,
                secret: env.AUTH_SECRET,
              }),
          }
        : {}),
    },
    { onError: (err) => logger.warn({ err }, "notifying failed; retrying") },
  );

  // Reminders on messages (core/src/reminders/fire.ts): each fires once when due, as a user event
  // (and a web push to owners away from every device); one round at a time across processes.
  const stopReminders = startReminderJob(db, {
    engine,
    push,
    onError: (err) => logger.warn({ err }, "firing reminders failed; retrying"),
  });

  // The audit log's own retention (Workspace.auditRetentionDays), hourly, in bounded batches.
  const stopAuditRetention = startAuditRetention(db, {
    onError: (err) => logger.warn({ err }, "pruning the audit log failed; retrying next hour"),
    onPruned: (removed) => logger.info({ removed }, "pruned audit entries past their retention"),
  });

  // Message retention (Workspace.messageRetentionDays, channel overrides), hourly, in batches of
  // 500 events per transaction; an advisory lock lets one process's pass run at a time.
  const stopMessageRetention = startMessageRetention(db, () => getStorage(env), {
    onError: (err) => logger.warn({ err }, "message retention failed; retrying next hour"),
    onRan: (summary) => logger.info(summary, "removed messages past their retention"),
  });

  // Data exports (core/src/export): queued ones are built here, one at a time per process (woken
  // by a request in this process, else every 15 s); expired archives are removed.
  const stopExportWorker = startExportWorker(db, () => getStorage(env), {
    onError: (err) => logger.warn({ err }, "building exports failed; retrying"),
    onRan: (result) => logger.info(result, "export run ended"),
  });

  // Slack imports (core/src/slack-import): uploaded zips queued by an admin are imported here, one
  // at a time, in batches of 500 messages (woken by a start in this process, else every 15 s).
  // Files the zip holds meet the same upload limits as any upload.
  const stopSlackImportWorker = startSlackImportWorker(db, () => getStorage(env), {
    uploadLimits: uploadLimitsFrom(env),
    onError: (err) => logger.warn({ err }, "running Slack imports failed; retrying"),
    onRan: ({ summary: _summary, ...result }) => logger.info(result, "Slack import run ended"),
  });

  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal, connections: gateway?.connectionCount ?? 0 }, "stopping");
    clearInterval(sweepTimer);
    try {
      // The gateway drains at once (upgrades 503, commands already received finish and are
      // acked, then 4000) while the background loops stop.
      await Promise.all([
        realtime.closeGateway(),
        stopIndexer(),
        stopPreviewer(),
        stopNotifier(),
        stopReminders(),
        stopAuditRetention(),
        stopMessageRetention(),
        stopExportWorker(),
        stopSlackImportWorker(),
      ]);
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), 5_000);
      await httpClosed;
      clearTimeout(timer);
      await realtime.close();
      await db.$disconnect();
      logger.info("stopped");
      process.exit(0);
    } catch (err) {
      logger.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: unknown) => {
  logger.fatal({ err }, "server failed to start");
  process.exit(1);
});
