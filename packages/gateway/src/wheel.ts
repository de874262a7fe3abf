/**
 * A timer wheel for periodic per-socket work (the heartbeat sweep, route/presence refresh): items
 * are spread round-robin over `slots` buckets and one bucket is visited every `intervalMs / slots`,
 * so every item is still visited once per interval but no tick ever walks all of them (19,000
 * sockets in one pass stalled the event loop ≈ 500 ms).
 *
 * Items remember nothing: `add` returns the slot, which the caller keeps and hands to `remove`.
 *
 * Node's timers fire late on a busy event loop and never make up missed ticks, so a plain wheel
 * turns slower than its interval exactly when the process is loaded. With `catchUp`, a tick
 * visits every bucket that was due by the clock since the last one (at most one turn), so each
 * item is still visited once per interval of wall time: the route/presence refresh needs that,
 * or entries whose TTL is 3 × the interval lapse under load (the fuzzer saw a control member miss
 * a third of its live events, its route gone while its socket was open). The heartbeat sweep
 * must not catch up: after a stall, pongs that arrived meanwhile are read only after the timers.
 */

/** Finest tick the wheel aims for; coarser when the interval is short (at most one slot per ms). */
const TARGET_TICK_MS = 100;
/** Upper bound on slots (25 s heartbeat → 250 slots of 100 ms). */
const MAX_SLOTS = 1_000;

/** How many slots suit `intervalMs`: ticks of about TARGET_TICK_MS. */
export function slotsFor(intervalMs: number): number {
  return Math.max(1, Math.min(MAX_SLOTS, Math.round(intervalMs / TARGET_TICK_MS)));
}

export class TimerWheel<T> {
  private readonly buckets: Set<T>[];
  private nextSlot = 0;
  private cursor = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly tickMs: number;
  /** With catchUp: when the wheel started, and how many ticks it has made since. */
  private readonly startedAt = performance.now();
  private ticks = 0;

  constructor(
    intervalMs: number,
    /** Called with one bucket per tick (may be empty); must not throw. */
    private readonly visit: (bucket: ReadonlySet<T>, now: number) => void,
    slots = slotsFor(intervalMs),
    options: { catchUp?: boolean } = {},
  ) {
    if (!(intervalMs > 0)) throw new Error(`intervalMs must be positive, got ${intervalMs}`);
    if (!Number.isInteger(slots) || slots < 1)
      throw new Error(`slots must be a positive integer, got ${slots}`);
    this.buckets = Array.from({ length: slots }, () => new Set<T>());
    this.tickMs = intervalMs / slots;
    this.timer = setInterval(() => (options.catchUp ? this.catchUp() : this.tick()), this.tickMs);
    this.timer.unref();
  }

  /** Number of items on the wheel. */
  get size(): number {
    let n = 0;
    for (const bucket of this.buckets) n += bucket.size;
    return n;
  }

  /** Puts an item on the wheel; returns its slot (keep it for `remove`). */
  add(item: T): number {
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.buckets.length;
    this.buckets[slot]!.add(item);
    return slot;
  }

  /** Takes an item off the wheel. */
  remove(item: T, slot: number): void {
    this.buckets[slot]?.delete(item);
  }

  /** Visits the next bucket (the timer calls this; tests may too). */
  tick(now = Date.now()): void {
    const bucket = this.buckets[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.buckets.length;
    this.visit(bucket, now);
  }

  /**
   * Visits every bucket due by the clock since the last visit: at least one, at most one turn
   * (a longer stall does not visit a bucket twice in a row). Returns how many it visited.
   */
  catchUp(now = performance.now()): number {
    const elapsed = Math.floor((now - this.startedAt) / this.tickMs);
    const visits = Math.min(Math.max(elapsed - this.ticks, 1), this.buckets.length);
    // A stall longer than a turn forgives the rest: the schedule goes on from now.
    this.ticks = Math.max(this.ticks + visits, elapsed);
    const wall = Date.now();
    for (let i = 0; i < visits; i++) this.tick(wall);
    return visits;
  }

  /** Stops the timer (items stay; nothing is visited any more). */
  stop(): void {
    clearInterval(this.timer);
  }
}
