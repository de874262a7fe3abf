/**
 * A tiny typed event emitter (no dependencies, browsers and Node alike). A listener that throws
 * does not stop the others nor the caller's bookkeeping: the error is rethrown in a microtask, so
 * it still reaches `window.onerror` / `process.on("uncaughtException")` and the devtools console.
 */

/** Event name → argument tuple of its listeners. */
export type TEventMap = Record<string, unknown[]>;

/** A listener of event `K` of map `M`. */
export type TListener<M extends TEventMap, K extends keyof M> = (...args: M[K]) => void;

/** Subscribe with `on`, publish with `emit`. */
export class Emitter<M extends TEventMap> {
  readonly #listeners = new Map<keyof M, Set<TListener<M, keyof M>>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof M>(event: K, listener: TListener<M, K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as TListener<M, keyof M>);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof M>(event: K, listener: TListener<M, K>): void {
    this.#listeners.get(event)?.delete(listener as TListener<M, keyof M>);
  }

  /** True when `event` has a listener (so a caller can skip building costly arguments). */
  has<K extends keyof M>(event: K): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event` with `args`, isolating failures (see the header). */
  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
