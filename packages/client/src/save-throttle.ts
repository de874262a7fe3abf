/**
 * When the outbox's stored form is written. A store's `save` takes the whole list, so writing it
 * on every change costs O(n) per change: a client with a long queue (offline for a while, or a
 * program sending in bursts) spent most of its CPU copying the list — O(n²) over the burst — and
 * could no longer keep its sockets alive (the chaos run's clients, 50 % of their CPU in the memory
 * store's copy). So: the first change after a quiet spell is written at the end of the current
 * turn, as before (a person's send is saved at once); while changes keep coming, at most one
 * write per `intervalMs`, holding the newest state. `flush` writes a pending change now (the
 * client calls it on disconnect; the web app on `pagehide`).
 */
export class SaveThrottle {
  readonly #write: () => void;
  readonly #intervalMs: number;
  #lastAt = Number.NEGATIVE_INFINITY;
  #isQueued = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(write: () => void, intervalMs: number) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }

  /** Something changed: write it soon (see the header). */
  request(): void {
    if (this.#isQueued) return;
    this.#isQueued = true;
    const wait = this.#lastAt + this.#intervalMs - Date.now();
    if (wait <= 0) {
      queueMicrotask(() => this.#run());
      return;
    }
    this.#timer = setTimeout(() => this.#run(), wait);
    // Node: a pending write must not keep a finished program alive (browsers have no unref).
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Writes a pending change now. */
  flush(): void {
    this.#run();
  }

  #run(): void {
    if (!this.#isQueued) return;
    this.#isQueued = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastAt = Date.now();
    this.#write();
  }
}
