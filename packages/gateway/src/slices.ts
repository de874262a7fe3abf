/**
 * Delivery in slices: a push to many sockets (a 10,000-member channel) goes out at most
 * `sliceSize` sockets per event-loop turn, yielding with setImmediate between slices, so pings,
 * acks and other conversations' frames are never stuck behind one big fan-out.
 *
 * One FIFO for the whole gateway: while anything is queued, every delivery — however small —
 * queues behind it, so each socket still gets frames in the order the gateway received them.
 * When the queue is empty, a delivery small enough for one slice goes out at once (no latency
 * added to 1:1 messages); a big one sends its first slice at once and the rest on later turns.
 */
import type { Push } from "./push.ts";

type Job<T> = { push: Push; targets: readonly T[]; next: number };

/** Sockets written per event-loop turn (≈ 15 µs each: a few ms per slice). */
export const DEFAULT_SLICE_SIZE = 256;

export class SlicedDelivery<T> {
  private jobs: Job<T>[] = [];
  private head = 0;
  private isScheduled = false;

  constructor(
    /** Writes one push to one target (never throws). */
    private readonly write: (target: T, push: Push) => void,
    private readonly sliceSize = DEFAULT_SLICE_SIZE,
  ) {
    if (!Number.isInteger(sliceSize) || sliceSize < 1) {
      throw new Error(`sliceSize must be a positive integer, got ${sliceSize}`);
    }
  }

  /** True when nothing waits: a caller may then write a small delivery itself, in order. */
  get isIdle(): boolean {
    return this.head === this.jobs.length;
  }

  /** Targets still waiting for some push (diagnostics and tests). */
  get backlog(): number {
    let n = 0;
    for (let i = this.head; i < this.jobs.length; i++) n += this.jobs[i]!.targets.length - this.jobs[i]!.next;
    return n;
  }

  /** Delivers `push` to every target, after everything queued before it. */
  deliver(push: Push, targets: readonly T[]): void {
    if (targets.length === 0) return;
    const wasIdle = this.isIdle;
    this.jobs.push({ push, targets, next: 0 });
    if (wasIdle) this.run();
  }

  /** Writes up to one slice, oldest job first; schedules the next turn when work remains. */
  private run = (): void => {
    this.isScheduled = false;
    let budget = this.sliceSize;
    while (budget > 0 && this.head < this.jobs.length) {
      const job = this.jobs[this.head]!;
      const end = Math.min(job.targets.length, job.next + budget);
      for (let i = job.next; i < end; i++) this.write(job.targets[i]!, job.push);
      budget -= end - job.next;
      job.next = end;
      if (end === job.targets.length) this.jobs[this.head++] = undefined as unknown as Job<T>;
    }
    if (this.head === this.jobs.length) {
      this.jobs = [];
      this.head = 0;
    } else if (!this.isScheduled) {
      this.isScheduled = true;
      setImmediate(this.run);
    }
  };
}
