/**
 * Coalesces lookups: keys asked for while the loader is busy go to the database together, in ONE
 * call of `loadMany` (a storm of upgrades becomes a few queries, not one per socket). Adaptive,
 * like group commit: when idle, a key waits only for the end of the current turn of the event
 * loop; while `maxInFlight` batches (default 1) are running, new keys wait for one of them to finish and then
 * go together. Keys asked for twice in a batch share the answer. Batches hold at most `maxBatch`
 * keys; a failing batch rejects the lookups it carried and no others.
 */

/** Looks one key up through the batch; undefined when `loadMany`'s map has no entry for it. */
export type TBatchLoader<K, V> = (key: K) => Promise<V | undefined>;

type TWaiter<V> = { resolve: (v: V | undefined) => void; reject: (e: unknown) => void };

export function createBatchLoader<K, V>(
  loadMany: (keys: K[]) => Promise<Map<K, V>>,
  options: { maxBatch?: number; maxInFlight?: number } = {},
): TBatchLoader<K, V> {
  const maxBatch = options.maxBatch ?? 500;
  const maxInFlight = options.maxInFlight ?? 1;
  let queue = new Map<K, TWaiter<V>[]>();
  let isScheduled = false;
  let inFlight = 0;

  function take(): Map<K, TWaiter<V>[]> {
    if (queue.size <= maxBatch) {
      const batch = queue;
      queue = new Map();
      return batch;
    }
    const batch = new Map<K, TWaiter<V>[]>();
    for (const [key, waiters] of queue) {
      if (batch.size >= maxBatch) break;
      batch.set(key, waiters);
      queue.delete(key);
    }
    return batch;
  }

  function flush(): void {
    isScheduled = false;
    while (queue.size > 0 && inFlight < maxInFlight) {
      const batch = take();
      inFlight += 1;
      const done = () => {
        inFlight -= 1;
        if (queue.size > 0) schedule();
      };
      loadMany([...batch.keys()]).then(
        (found) => {
          done();
          for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
        },
        (err: unknown) => {
          done();
          for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
        },
      );
    }
  }

  function schedule(): void {
    if (isScheduled) return;
    isScheduled = true;
    setImmediate(flush);
  }

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      let waiters = queue.get(key);
      if (!waiters) {
        waiters = [];
        queue.set(key, waiters);
      }
      waiters.push({ resolve, reject });
      if (inFlight < maxInFlight) schedule();
    });
}
