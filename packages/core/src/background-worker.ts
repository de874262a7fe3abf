/**
 * The loop of a server process's background worker (exports, Slack imports): one `pass` at a
 * time, then a sleep of `pollMs` unless someone wakes it (`wake(name)`: e.g. a request just queued
 * work in this process). A wake-up that arrives while a pass runs is kept, so the next sleep is
 * skipped. An error of a pass goes to `onError` and the loop goes on.
 *
 * The wake-up call is kept on globalThis under the worker's name: tRPC runs inside Next's bundle,
 * which holds its own copy of core, and must reach the loop the server process started.
 */

const WAKERS_KEY = Symbol.for("parley.backgroundWorkerWakers");

function wakers(): Map<string, () => void> {
  const holder = globalThis as typeof globalThis & { [WAKERS_KEY]?: Map<string, () => void> };
  holder[WAKERS_KEY] ??= new Map();
  return holder[WAKERS_KEY];
}

/** Tells this process's worker `name` (if it runs one) to look for work now. */
export function wakeBackgroundWorker(name: string): void {
  wakers().get(name)?.();
}

export type TBackgroundWorkerOptions = {
  /** Between passes when nobody wakes the worker (default 15 s). */
  pollMs?: number;
  onError?: (err: unknown) => void;
};

/**
 * Starts the loop. `pass` gets `isStopping` (true once stop was called: a long pass should return
 * at its next safe point). Returns a stop function that resolves once the running pass ended.
 */
export function startBackgroundWorker(
  name: string,
  pass: (isStopping: () => boolean) => Promise<void>,
  options: TBackgroundWorkerOptions = {},
): () => Promise<void> {
  let isStopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let isWoken = false;
  const loop = (async () => {
    while (!isStopped) {
      isWoken = false;
      try {
        await pass(() => isStopped);
      } catch (err) {
        options.onError?.(err);
      }
      if (isStopped) break;
      if (isWoken) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, options.pollMs ?? 15_000);
        timer.unref();
      });
    }
  })();
  const waker = () => {
    isWoken = true;
    wake?.();
  };
  wakers().set(name, waker);
  return async () => {
    isStopped = true;
    clearTimeout(timer);
    wake?.();
    if (wakers().get(name) === waker) wakers().delete(name);
    await loop;
  };
}
