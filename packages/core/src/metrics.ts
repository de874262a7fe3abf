/**
 * Prometheus metrics (prom-client): one registry per process, on globalThis like the event sink
 * (Next's bundle and the custom server may hold two copies of this module; both must count into
 * one registry). The HTTP endpoint that serves it is @parley/gateway's metrics-server.ts.
 *
 * Hot paths never touch prom-client per socket: they bump plain numbers in `counts` (a property
 * increment, no labels, no allocation) and the registry copies them into its counters and gauges
 * when scraped (`collect`). Histograms are prom-client's, observed once per send, per fan-out or
 * per bus message — never per socket — and carry no labels. Labelled series (rate limits by kind,
 * pool waits by pool) read fixed fields, so their label sets are fixed too.
 *
 * Adding a series: a field in `TMetricCounts` (or a histogram below), bumped where it happens, and
 * a collector in `createMetrics`; then a panel in docker/grafana/parley-dashboard.json (its test
 * checks every parley_* name there exists here). Names start with `parley_`.
 */
import { mainPool, sqlPool, type TDb } from "@parley/db";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The plain counters hot paths bump (read by the registry when scraped). */
export type TMetricCounts = {
  /** Sockets open on this process's gateways now (++ on open, -- on close). */
  openConnections: number;
  /** Sockets accepted (upgrades that became sockets). */
  connects: number;
  /** Sends acked over sockets (stored, or answered as a duplicate of a stored one). */
  messagesSent: number;
  /** Live frames written to sockets (one per socket per push). */
  framesDelivered: number;
  /** `hello`s with cursors: a reconnecting client replaying what it missed. */
  resumes: number;
  /** `sync` commands: a client repairing a gap it saw in a conversation's seqs. */
  gapSyncs: number;
  /** Commands refused over a connection's command rate. */
  rateLimitedCommands: number;
  /** Sends refused over a user's message rate. */
  rateLimitedSends: number;
  /** Upgrades refused over the per-user connection cap. */
  rateLimitedConnections: number;
  /** Commands issued to Redis (each command of a pipeline counts; see engine/redis-client.ts). */
  redisCommands: number;
  /** Unexpected failures answered as INTERNAL (gateway commands, tRPC calls, HTTP requests). */
  internalErrors: number;
};

/** This process's metrics: the registry to scrape, the plain counts and the histograms. */
export type TMetrics = {
  readonly registry: Registry;
  readonly counts: TMetricCounts;
  /** Seconds from a `send` frame's arrival to its `ack` being written (queueing included). */
  readonly sendAckSeconds: Histogram;
  /**
   * Seconds from the event's commit (its Postgres `createdAt`) to a gateway writing it to its
   * sockets, once per bus message. Across hosts it includes their clock skew (clamped at 0).
   */
  readonly sendDeliverSeconds: Histogram;
  /** Members a conversation event is fanned out to (the sender's process, once per event). */
  readonly fanoutRecipients: Histogram;
  /** Sends per group-commit statement (messages/send-batch.ts), once per batch. */
  readonly sendBatchSize: Histogram;
  /** Seconds a group-commit statement took, from its query to its answer (commit included). */
  readonly sendBatchSeconds: Histogram;
  /** Adds a `createDb` client's pools to the pool gauges (until the client disconnects). */
  watchDb(db: TDb): void;
};

const METRICS_KEY = Symbol.for("parley.metrics");
const holder = globalThis as typeof globalThis & { [METRICS_KEY]?: TMetrics };

/** This process's metrics, created on first use. */
export function metrics(): TMetrics {
  holder[METRICS_KEY] ??= createMetrics();
  return holder[METRICS_KEY];
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FANOUT_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 200, 500, 1000, 2500, 5000, 10000, 50000];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

function createMetrics(): TMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counts: TMetricCounts = {
    openConnections: 0,
    connects: 0,
    messagesSent: 0,
    framesDelivered: 0,
    resumes: 0,
    gapSyncs: 0,
    rateLimitedCommands: 0,
    rateLimitedSends: 0,
    rateLimitedConnections: 0,
    redisCommands: 0,
    internalErrors: 0,
  };
  const registers = [registry];
  /** A counter whose value is `read()` at scrape time. */
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  new Gauge({
    name: "parley_gateway_connections",
    help: "WebSocket connections open on this process's gateways",
    registers,
    collect() {
      this.set(counts.openConnections);
    },
  });
  counter("parley_gateway_connects_total", "WebSocket connections accepted", () => counts.connects);
  counter(
    "parley_messages_sent_total",
    "Messages acked to their sender over a socket",
    () => counts.messagesSent,
  );
  counter("parley_frames_delivered_total", "Live frames written to sockets", () => counts.framesDelivered);
  counter(
    "parley_resumes_total",
    "Reconnects that replayed from cursors (hello with cursors)",
    () => counts.resumes,
  );
  counter("parley_gap_syncs_total", "Gap repairs: sync commands from clients", () => counts.gapSyncs);
  counter(
    "parley_internal_errors_total",
    "Unexpected failures answered as INTERNAL (socket commands, tRPC calls, HTTP requests)",
    () => counts.internalErrors,
  );
  counter(
    "parley_redis_commands_total",
    "Commands sent to Redis (pipelined ones each count)",
    () => counts.redisCommands,
  );
  new Counter({
    name: "parley_rate_limited_total",
    help: "Requests refused by a rate limit, by limit",
    labelNames: ["limit"],
    registers,
    collect() {
      this.reset();
      this.inc({ limit: "command" }, counts.rateLimitedCommands);
      this.inc({ limit: "send" }, counts.rateLimitedSends);
      this.inc({ limit: "connections" }, counts.rateLimitedConnections);
    },
  });

  const dbs = new Set<TDb>();
  const poolGauge = (name: string, help: string, read: (pool: TPoolStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["pool"],
      registers,
      collect() {
        this.reset();
        let main = 0;
        let hot = 0;
        for (const db of dbs) {
          const pools = poolsOf(db);
          if (!pools) {
            dbs.delete(db);
            continue;
          }
          main += pools.main ? read(pools.main) : 0;
          hot += pools.hot ? read(pools.hot) : 0;
        }
        this.set({ pool: "main" }, main);
        this.set({ pool: "hot" }, hot);
      },
    });
  poolGauge(
    "parley_pg_pool_waiting",
    "Queries waiting for a Postgres connection, by pool",
    (p) => p.waitingCount,
  );
  poolGauge("parley_pg_pool_connections", "Postgres connections open, by pool", (p) => p.totalCount);

  return {
    registry,
    counts,
    sendAckSeconds: new Histogram({
      name: "parley_send_ack_seconds",
      help: "Time from a send frame's arrival to its ack",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    sendDeliverSeconds: new Histogram({
      name: "parley_send_deliver_seconds",
      help: "Time from an event's commit to a gateway writing it to its sockets",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    fanoutRecipients: new Histogram({
      name: "parley_fanout_recipients",
      help: "Members a conversation event was fanned out to",
      buckets: FANOUT_BUCKETS,
      registers,
    }),
    sendBatchSize: new Histogram({
      name: "parley_send_batch_size",
      help: "Sends per group-commit statement",
      buckets: BATCH_BUCKETS,
      registers,
    }),
    sendBatchSeconds: new Histogram({
      name: "parley_send_batch_seconds",
      help: "Time a group-commit statement took, commit included",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    watchDb(db) {
      dbs.add(db);
    },
  };
}

type TPoolStats = { waitingCount: number; totalCount: number; ended: boolean };

/** Both pools of a `createDb` client; null once they ended (the client disconnected). */
function poolsOf(db: TDb): { main: TPoolStats | undefined; hot: TPoolStats | undefined } | null {
  const main = mainPool(db);
  const hot = sqlPool(db);
  if ((main?.ended ?? true) && (hot?.ended ?? true)) return null;
  return { main, hot };
}
