/**
 * The apply rule of DESIGN.md "Sending" step 5 for one log (a conversation, or the user's log),
 * kept free of I/O so it can be tested on its own:
 *
 *   seq <= cursor            → duplicate, dropped
 *   seq == cursor + 1        → deliverable now
 *   seq >  cursor + 1        → buffered until the gap before it is filled
 *
 * `offer` files an entry; `take` hands out the next deliverable one and advances the cursor, so
 * the caller's loop `offer(e); while ((x = take())) deliver(x)` yields each seq exactly once, in
 * seq order, whatever order the entries arrived in. A `null` cursor means "not known yet" (the
 * start of the log is learnt from the server): everything is buffered until `reset` sets it.
 */
export class SeqLog<T extends { seq: number }> {
  #cursor: number | null;
  readonly #buffer = new Map<number, T>();

  constructor(cursor: number | null) {
    this.#cursor = cursor;
  }

  /** The last seq delivered (everything up to it has been handed out), or null when unknown. */
  get cursor(): number | null {
    return this.#cursor;
  }

  /** How many entries wait behind a gap. */
  get buffered(): number {
    return this.#buffer.size;
  }

  /** True when entries wait for earlier seqs that have not arrived (call after draining `take`). */
  get hasGap(): boolean {
    return this.#buffer.size > 0;
  }

  /** Files one entry. Returns false (and keeps nothing) when it is a duplicate. */
  offer(entry: T): boolean {
    if (this.#cursor !== null && entry.seq <= this.#cursor) return false;
    if (this.#buffer.has(entry.seq)) return false;
    this.#buffer.set(entry.seq, entry);
    return true;
  }

  /** The entry with seq cursor+1, advancing the cursor to it; undefined when there is none. */
  take(): T | undefined {
    if (this.#cursor === null) return undefined;
    const next = this.#buffer.get(this.#cursor + 1);
    if (next === undefined) return undefined;
    this.#buffer.delete(next.seq);
    this.#cursor = next.seq;
    return next;
  }

  /**
   * Moves the cursor to `seq` (resync, adoption of an unknown start, or the app saying it holds
   * everything up to `seq`) and forgets buffered entries at or below it; later ones stay, since
   * they are still ahead of what the app holds.
   */
  reset(seq: number): void {
    this.#cursor = seq;
    for (const key of this.#buffer.keys()) if (key <= seq) this.#buffer.delete(key);
  }
}
