/**
 * Delivery in slices, with a queue per socket: a push to many sockets (a 10,000-member channel)
 * goes out at most `sliceSize` sockets per event-loop turn, yielding with setImmediate between
 * slices, so pings, acks and other conversations' frames are never stuck behind one big fan-out.
 *
 * Order is kept per target (the only order a socket can see): a target with frames still waiting
 * gets later frames queued behind them; a target with nothing waiting is written at once, however
 * busy the gateway is — a direct message is not held up by somebody else's channel. Targets wait
 * in one FIFO, each once, with all its frames; when fan-outs arrive faster than the box can write
 * them (a large channel on a loaded box), a socket's turn writes every frame queued for it in one
 * go (corked: one system call, coalesce.ts), so the cost per frame falls as the load rises instead
 * of the queue growing without end.
 */
import type { Push } from "./push.ts";

/** Sockets written per event-loop turn (a few µs each: a few ms per slice). */
export const DEFAULT_SLICE_SIZE = 256;

/**
 * Frames that may wait for one target. Past it the target is dropped from the queue and handed to
 * `onOverflow` (the gateway closes the socket as a slow consumer; the client resumes from its
 * cursors): a box that cannot keep up must not hold an ever-growing queue per socket.
 */
export const DEFAULT_MAX_WAITING = 1_000;

export class SlicedDelivery<T> {
  /** Frames waiting per target, in order (one push, or several). */
  private readonly waiting = new Map<T, Push | Push[]>();
  /** Targets with frames waiting, oldest first (each once); `head` is the next to write. */
  private order: T[] = [];
  private head = 0;
  private frames = 0;
  private isScheduled = false;

  private readonly maxWaiting: number;
  private readonly onOverflow: (target: T) => void;

  constructor(
    /** Writes one push to one target (never throws). */
    private readonly write: (target: T, push: Push) => void,
    private readonly sliceSize = DEFAULT_SLICE_SIZE,
    overflow: {
      /** Frames that may wait for one target (DEFAULT_MAX_WAITING). */
      maxWaiting?: number;
      /** Called once when a target's waiting frames would exceed it; its frames are dropped. */
      onOverflow?: (target: T) => void;
    } = {},
  ) {
    if (!Number.isInteger(sliceSize) || sliceSize < 1) {
      throw new Error(`sliceSize must be a positive integer, got ${sliceSize}`);
    }
    this.maxWaiting = overflow.maxWaiting ?? DEFAULT_MAX_WAITING;
    this.onOverflow = overflow.onOverflow ?? (() => {});
  }

  /** True when no frame waits for any target. */
  get isIdle(): boolean {
    return this.waiting.size === 0;
  }

  /** Frames still waiting, over all targets (diagnostics and tests). */
  get backlog(): number {
    return this.frames;
  }

  /** Targets with frames waiting (diagnostics and tests). */
  get waitingTargets(): number {
    return this.waiting.size;
  }

  /** Delivers `push` to one target: at once when nothing waits for it, else behind what does. */
  deliverTo(target: T, push: Push): void {
    if (!this.append(target, push)) this.write(target, push);
  }

  /**
   * Delivers `push` to every target, each after what already waits for it: up to one slice of
   * the targets with nothing waiting is written at once, the rest on later turns.
   */
  deliver(push: Push, targets: Iterable<T>): void {
    let budget = this.sliceSize;
    for (const target of targets) {
      if (this.append(target, push)) continue;
      if (budget > 0) {
        budget -= 1;
        this.write(target, push);
      } else {
        this.start(target, push);
      }
    }
  }

  /**
   * When frames wait for `target`, queues `push` behind them (or, past `maxWaiting`, drops the
   * target: `onOverflow`) and returns true; false when nothing waits for it.
   */
  private append(target: T, push: Push): boolean {
    const queued = this.waiting.get(target);
    if (queued === undefined) return false;
    const count = Array.isArray(queued) ? queued.length : 1;
    if (count >= this.maxWaiting) {
      // Dropped here; its place in `order` is skipped by `run`.
      this.waiting.delete(target);
      this.frames -= count;
      this.onOverflow(target);
    } else if (Array.isArray(queued)) {
      queued.push(push);
      this.frames += 1;
    } else {
      this.waiting.set(target, [queued, push]);
      this.frames += 1;
    }
    return true;
  }

  /** Queues the first frame for a target nothing waits for, and makes sure a slice will run. */
  private start(target: T, push: Push): void {
    this.waiting.set(target, push);
    this.order.push(target);
    this.frames += 1;
    if (!this.isScheduled) {
      this.isScheduled = true;
      setImmediate(this.run);
    }
  }

  /** Writes up to one slice of targets, oldest first, each with all its frames; reschedules. */
  private run = (): void => {
    this.isScheduled = false;
    const end = Math.min(this.order.length, this.head + this.sliceSize);
    for (; this.head < end; this.head++) {
      const target = this.order[this.head]!;
      const queued = this.waiting.get(target);
      if (queued === undefined) continue; // dropped (overflow)
      this.waiting.delete(target);
      if (Array.isArray(queued)) {
        this.frames -= queued.length;
        for (const push of queued) this.write(target, push);
      } else {
        this.frames -= 1;
        this.write(target, queued);
      }
    }
    if (this.head === this.order.length) {
      this.order = [];
      this.head = 0;
    } else if (!this.isScheduled) {
      this.isScheduled = true;
      setImmediate(this.run);
    }
  };
}
