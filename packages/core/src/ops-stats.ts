/**
 * The admin Health page's figures (tRPC `operations.health`, Settings → Health), for admins who
 * run no Prometheus: connections now, messages a minute, send→deliver and send→ack p50/p99 over
 * the last hour, resumes, gap repairs, rate-limit refusals and internal errors.
 *
 * Where they come from: this process's Prometheus registry (metrics.ts) — the same counts and
 * histograms `/metrics` serves, nothing counted twice. Prometheus keeps history; a process keeps
 * only an hour, as per-minute deltas: `startOpsStats` samples the registry every few seconds, and
 * when the minute changes keeps the minute's delta (counters, and the histograms' cumulative
 * bucket counts), at most 60 of them — about 2 KB of numbers per process.
 *
 * Both topologies through one path: every process that runs startRealtime (the web server with
 * its embedded gateway, a web server without one, each separate gateway) writes its snapshot to
 * the engine every `intervalMs` with a TTL (`putProcessStats`: in-process with the memory engine,
 * a Redis key per process otherwise) and the web's procedure reads every live snapshot from the
 * same engine and adds them up (`readOperationsHealth`). A process that stops lapses from the
 * page within the TTL; its hour goes with it (a restarted gateway starts a fresh hour).
 *
 * The reader reaches the engine through a function on globalThis (`setOpsStatsReader`, installed
 * by startRealtime), like the event sink: tRPC runs in Next's copy of core.
 */
import { randomUUID } from "node:crypto";
import { requireAdmin, type TActor } from "./actor.ts";
import type { TEngine } from "./engine/types.ts";
import { processLogger } from "./logging.ts";
import { metrics } from "./metrics.ts";

/** How often a process writes its snapshot (ms). */
export const OPS_STATS_INTERVAL_MS = 5_000;
/** How long a snapshot lives unless written again: a stopped process leaves the page after this. */
export const OPS_STATS_TTL_MS = 20_000;
const MINUTE_MS = 60_000;
const HOUR_MINUTES = 60;

/** The counters a minute keeps (deltas over the minute). */
type TCounters = {
  sent: number;
  resumes: number;
  gapSyncs: number;
  connects: number;
  rateLimited: number;
  internalErrors: number;
};
const COUNTER_NAMES: readonly (keyof TCounters)[] = [
  "sent",
  "resumes",
  "gapSyncs",
  "connects",
  "rateLimited",
  "internalErrors",
];

/** A histogram's cumulative bucket counts, one per upper bound in `bounds` (the last is +Inf). */
type THistogramCounts = number[];

/** One minute of one process (or, merged, of all): counter deltas and histogram bucket deltas. */
export type TOpsMinute = TCounters & {
  /** The minute's start (epoch ms, a multiple of 60,000). */
  minute: number;
  deliver: THistogramCounts;
  ack: THistogramCounts;
};

/** What one process writes to the engine. */
export type TProcessStats = {
  processId: string;
  role: string;
  startedAt: number;
  at: number;
  connections: number;
  /** Upper bounds (seconds) of the histograms' buckets; the last is Infinity (stored as null). */
  bounds: (number | null)[];
  /** Up to the last hour, oldest first; the last one is the minute in progress. */
  minutes: TOpsMinute[];
};

type TSample = TCounters & { deliver: THistogramCounts; ack: THistogramCounts };

/** Reads this process's registry as one cumulative sample (and the buckets' bounds). */
async function sample(): Promise<{ sample: TSample; bounds: (number | null)[] }> {
  const m = metrics();
  const c = m.counts;
  const buckets = async (h: typeof m.sendAckSeconds) => {
    const values = (await h.get()).values.filter((v) => v.metricName?.endsWith("_bucket"));
    return {
      counts: values.map((v) => v.value),
      bounds: values.map((v) => (v.labels.le === "+Inf" ? null : Number(v.labels.le))),
    };
  };
  const [deliver, ack] = await Promise.all([buckets(m.sendDeliverSeconds), buckets(m.sendAckSeconds)]);
  return {
    sample: {
      sent: c.messagesSent,
      resumes: c.resumes,
      gapSyncs: c.gapSyncs,
      connects: c.connects,
      rateLimited: c.rateLimitedCommands + c.rateLimitedSends + c.rateLimitedConnections,
      internalErrors: c.internalErrors,
      deliver: deliver.counts,
      ack: ack.counts,
    },
    bounds: deliver.bounds,
  };
}

const minus = (a: number[], b: number[]) => a.map((v, i) => v - (b[i] ?? 0));

function delta(now: TSample, base: TSample, minute: number): TOpsMinute {
  const out = {
    minute,
    deliver: minus(now.deliver, base.deliver),
    ack: minus(now.ack, base.ack),
  } as TOpsMinute;
  for (const name of COUNTER_NAMES) out[name] = now[name] - base[name];
  return out;
}

/** Options of startOpsStats. */
export type TOpsStatsOptions = {
  engine: TEngine;
  /** What this process is, as the page lists it ("web + gateway", "gateway", "web"). */
  role: string;
  /** Its id on the page (a gateway's id; default a fresh one). */
  processId?: string;
  intervalMs?: number;
  ttlMs?: number;
  /** Injected clock (tests). */
  now?: () => number;
};

/**
 * A running recorder: `flush` samples and writes now; `stop` ends it and takes this process off
 * the page at once (a process that dies without stopping lapses after the TTL instead).
 */
export type TOpsStats = { flush(): Promise<void>; stop(): Promise<void> };

/** Samples this process's metrics into per-minute buckets and writes its snapshot to the engine. */
export function startOpsStats(options: TOpsStatsOptions): TOpsStats {
  const now = options.now ?? Date.now;
  const processId = options.processId ?? randomUUID();
  const ttlMs = options.ttlMs ?? OPS_STATS_TTL_MS;
  const startedAt = now();
  const minutes: TOpsMinute[] = [];
  let base: { minute: number; sample: TSample } | null = null;
  /** The end of the last write queued (writes run one at a time), the last snapshot, and `stop`. */
  let writing: Promise<void> = Promise.resolve();
  let isTickWaiting = false;
  let lastText: string | null = null;
  let isStopped = false;

  async function write(): Promise<void> {
    const { sample: current, bounds } = await sample();
    const minute = Math.floor(now() / MINUTE_MS) * MINUTE_MS;
    if (!base) base = { minute, sample: current };
    if (base.minute !== minute) {
      minutes.push(delta(current, base.sample, base.minute));
      base = { minute, sample: current };
    }
    while (minutes.length > 0 && (minutes[0]?.minute ?? 0) <= minute - HOUR_MINUTES * MINUTE_MS) {
      minutes.shift();
    }
    const stats: TProcessStats = {
      processId,
      role: options.role,
      startedAt,
      at: now(),
      connections: metrics().counts.openConnections,
      bounds,
      minutes: [...minutes, delta(current, base.sample, minute)],
    };
    lastText = JSON.stringify(stats);
    await options.engine.putProcessStats(processId, lastText, ttlMs);
  }

  /** Samples and writes now, after any write before it (so `stop` can wait for every one). */
  function flush(): Promise<void> {
    const done = writing.then(write);
    writing = done.catch(() => {});
    return done;
  }

  const tick = () => {
    if (isTickWaiting || isStopped) return; // a slow engine: never a queue of ticks
    isTickWaiting = true;
    flush()
      .catch((err: unknown) => processLogger().warn({ err }, "writing the health page's stats failed"))
      .finally(() => {
        isTickWaiting = false;
      });
  };
  tick();
  const timer = setInterval(tick, options.intervalMs ?? OPS_STATS_INTERVAL_MS);
  timer.unref();
  return {
    flush,
    async stop() {
      if (isStopped) return;
      isStopped = true;
      clearInterval(timer);
      // After every write queued (one would put the entry back), the last snapshot again with a
      // TTL of 1 ms: a drained gateway leaves the Health page now, not 20 s later.
      await writing;
      if (lastText === null) return;
      await options.engine
        .putProcessStats(processId, lastText, 1)
        .catch((err: unknown) => processLogger().warn({ err }, "withdrawing the health page's stats failed"));
    },
  };
}

const READER_KEY = Symbol.for("parley.opsStatsReader");
const holder = globalThis as typeof globalThis & { [READER_KEY]?: (() => Promise<string[]>) | null };

/** Where `readOperationsHealth` finds the snapshots (startRealtime: its engine); null removes it. */
export function setOpsStatsReader(read: (() => Promise<string[]>) | null): void {
  holder[READER_KEY] = read;
}

/** Latency figures of one histogram over the hour, in milliseconds (null: nothing observed). */
export type TLatencyFigures = { count: number; p50Ms: number | null; p99Ms: number | null };

/** What the Health page shows. */
export type TOperationsHealth = {
  at: Date;
  /** Sockets open now, over every live process. */
  connections: number;
  /** Every process that wrote a snapshot within the TTL. */
  processes: { processId: string; role: string; connections: number; startedAt: Date }[];
  /** Messages sent over sockets in the last complete minute. */
  messagesPerMinute: number;
  /** The hour minute by minute, oldest first (the last is the minute in progress). */
  minutes: { minute: Date; messages: number; internalErrors: number }[];
  /** Totals over the hour kept. */
  lastHour: TCounters;
  /** Commit → a gateway writing the event (parley_send_deliver_seconds). */
  deliver: TLatencyFigures;
  /** Send frame in → ack out (parley_send_ack_seconds). */
  ack: TLatencyFigures;
};

/** The φ-quantile of cumulative bucket counts, interpolated within its bucket as Prometheus does. */
export function histogramQuantile(q: number, bounds: (number | null)[], cumulative: number[]): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < cumulative.length; i++) {
    const count = cumulative[i] ?? 0;
    if (count < rank) continue;
    const upper = bounds[i];
    const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
    // Past the last finite bound: the best answer is that bound (as histogram_quantile).
    if (upper === null || upper === undefined) return lower;
    const below = i === 0 ? 0 : (cumulative[i - 1] ?? 0);
    const inBucket = count - below;
    return inBucket <= 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
  }
  return bounds[bounds.length - 2] ?? null;
}

/** Adds up every process's snapshot into the page's figures. */
export function summarizeOperations(snapshots: readonly TProcessStats[], at = Date.now()): TOperationsHealth {
  const byMinute = new Map<number, TOpsMinute>();
  let bounds: (number | null)[] = [];
  for (const stats of snapshots) {
    if (stats.bounds.length > bounds.length) bounds = stats.bounds;
    for (const m of stats.minutes) {
      const sum = byMinute.get(m.minute);
      if (!sum) {
        byMinute.set(m.minute, { ...m, deliver: [...m.deliver], ack: [...m.ack] });
        continue;
      }
      for (const name of COUNTER_NAMES) sum[name] += m[name];
      sum.deliver = sum.deliver.map((v, i) => v + (m.deliver[i] ?? 0));
      sum.ack = sum.ack.map((v, i) => v + (m.ack[i] ?? 0));
    }
  }
  const currentMinute = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  const hour = [...byMinute.values()]
    .filter((m) => m.minute > currentMinute - HOUR_MINUTES * MINUTE_MS)
    .sort((a, b) => a.minute - b.minute);
  const lastHour = Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as TCounters;
  let deliver: number[] = bounds.map(() => 0);
  let ack: number[] = bounds.map(() => 0);
  for (const m of hour) {
    for (const name of COUNTER_NAMES) lastHour[name] += m[name];
    deliver = deliver.map((v, i) => v + (m.deliver[i] ?? 0));
    ack = ack.map((v, i) => v + (m.ack[i] ?? 0));
  }
  const latency = (cumulative: number[]): TLatencyFigures => {
    const ms = (q: number) => {
      const seconds = histogramQuantile(q, bounds, cumulative);
      return seconds === null ? null : Math.round(seconds * 10_000) / 10;
    };
    return { count: cumulative[cumulative.length - 1] ?? 0, p50Ms: ms(0.5), p99Ms: ms(0.99) };
  };
  return {
    at: new Date(at),
    connections: snapshots.reduce((sum, s) => sum + s.connections, 0),
    processes: snapshots
      .map((s) => ({
        processId: s.processId,
        role: s.role,
        connections: s.connections,
        startedAt: new Date(s.startedAt),
      }))
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime()),
    messagesPerMinute: byMinute.get(currentMinute - MINUTE_MS)?.sent ?? 0,
    minutes: hour.map((m) => ({
      minute: new Date(m.minute),
      messages: m.sent,
      internalErrors: m.internalErrors,
    })),
    lastHour,
    deliver: latency(deliver),
    ack: latency(ack),
  };
}

/** The Health page's figures, over every live process (admins only). */
export async function readOperationsHealth(actor: TActor): Promise<TOperationsHealth> {
  requireAdmin(actor);
  const read = holder[READER_KEY];
  const raw = read ? await read() : [];
  const snapshots: TProcessStats[] = [];
  for (const text of raw) {
    try {
      snapshots.push(JSON.parse(text) as TProcessStats);
    } catch {
      // A snapshot from another version or a broken write: leave it out rather than fail the page.
    }
  }
  return summarizeOperations(snapshots);
}
