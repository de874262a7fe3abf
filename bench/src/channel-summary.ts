/**
 * Pure pieces of the multi-process channel run (channel-worker.ts receives, channel-pool.ts merges):
 * the bench's message frame read straight from the socket's bytes, the compact per-message
 * progress a receiver process streams to the parent, and latency buckets that travel in place of
 * one number per delivery (10,000 members × 10 msg/s is 100,000 deliveries a second).
 */

const BODY = Buffer.from('"body":"b1 ');
const SEQ = Buffer.from('"seq":');
const SPACE = 0x20;
const ZERO = 0x30;

/** A bench message as a receiver sees it: message number k, its send time (ms), its seq. */
export type TBenchFrame = { k: number; sentAt: number; seq: number };

/** Digits at `from` as an integer, or -1 when there are none. */
function digitsAt(buf: Buffer, from: number): number {
  let value = -1;
  for (let i = from; i < buf.length; i += 1) {
    const d = buf[i]! - ZERO;
    if (d < 0 || d > 9) break;
    value = (value < 0 ? 0 : value * 10) + d;
  }
  return value;
}

/**
 * The bench's `message.created` frame (`body: "b1 <k> <sentAt> …"`, load.ts) read from its bytes
 * without decoding or JSON.parse; undefined for any other frame.
 */
export function readBenchFrame(buf: Buffer): TBenchFrame | undefined {
  const at = buf.indexOf(BODY);
  if (at < 0) return undefined;
  const kAt = at + BODY.length;
  const k = digitsAt(buf, kAt);
  if (k < 0) return undefined;
  const sentFrom = buf.indexOf(SPACE, kAt) + 1;
  const sentTo = sentFrom > 0 ? buf.indexOf(SPACE, sentFrom) : -1;
  if (sentTo < 0) return undefined;
  const sentAt = Number(buf.toString("latin1", sentFrom, sentTo));
  const seqAt = buf.indexOf(SEQ);
  const seq = seqAt < 0 ? -1 : digitsAt(buf, seqAt + SEQ.length);
  if (!Number.isFinite(sentAt) || seq < 0) return undefined;
  return { k, sentAt, seq };
}

/** What one receiver process got since its last report: per message k, new deliveries and the latest time. */
export type TProgress = { ks: number[]; counts: number[]; lasts: number[] };

/** The parts of load.ts's `TLoad` a progress report updates. */
export type TMergeTarget = {
  total: number;
  deliveredCount: Uint16Array;
  lastAt: Float64Array;
  counters: { delivered: number; lastDeliveryAt: number };
};

/**
 * Adds one receiver process's progress to the run: deliveries add up over processes, the last
 * member's time is the latest over them (times share one clock: performance.timeOrigin + now()).
 */
export function mergeProgress(into: TMergeTarget, progress: TProgress): void {
  for (let i = 0; i < progress.ks.length; i += 1) {
    const k = progress.ks[i]!;
    if (!(k >= 0 && k < into.total)) continue;
    const count = progress.counts[i] ?? 0;
    const last = progress.lasts[i] ?? 0;
    into.deliveredCount[k] = (into.deliveredCount[k] ?? 0) + count;
    into.counters.delivered += count;
    if (last > (into.lastAt[k] ?? 0)) into.lastAt[k] = last;
    if (last > into.counters.lastDeliveryAt) into.counters.lastDeliveryAt = last;
  }
}

/**
 * A latency in µs rounded to 3 significant digits (≤ 0.5 % off): a receiver keeps a count per
 * bucket, so its whole run's latencies are a few hundred numbers.
 */
export function latencyBucket(us: number): number {
  if (us < 1000) return Math.max(1, Math.round(us));
  const step = 10 ** (Math.floor(Math.log10(us)) - 2);
  return Math.round(us / step) * step;
}

/** Counts one latency (ms) into `buckets` (µs bucket → count). */
export function countLatency(buckets: Map<number, number>, latencyMs: number): void {
  const b = latencyBucket(latencyMs * 1000);
  buckets.set(b, (buckets.get(b) ?? 0) + 1);
}

/** Replays bucketed latencies into a µs histogram (node:perf_hooks). */
export function recordBuckets(h: { record(us: number): void }, buckets: [number, number][]): void {
  for (const [us, count] of buckets) for (let i = 0; i < count; i += 1) h.record(us);
}
