/**
 * The loop of every hourly background job (the audit log's retention, message retention): run
 * `task` after `firstDelayMs`, then `intervalMs` after each pass ends (passes never overlap in a
 * process; jobs that must not overlap across processes take their own advisory lock). Timers are
 * unref'd, so they never keep a process alive.
 */

/** When and how a periodic job runs. */
export type TPeriodicOptions = {
  /** Between the end of one pass and the start of the next (default one hour). */
  intervalMs?: number;
  /** Before the first pass (default one minute: a starting server serves first). */
  firstDelayMs?: number;
  onError?: (err: unknown) => void;
};

/** Runs `task` as described above; returns a stop function that waits for the running pass. */
export function startPeriodic(
  task: () => Promise<void>,
  options: TPeriodicOptions = {},
): () => Promise<void> {
  const intervalMs = options.intervalMs ?? 60 * 60_000;
  let isStopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        await task();
      } catch (err) {
        options.onError?.(err);
      }
      if (!isStopped) {
        timer = setTimeout(tick, intervalMs);
        timer.unref();
      }
    })();
  };
  timer = setTimeout(tick, options.firstDelayMs ?? 60_000);
  timer.unref();
  return async () => {
    isStopped = true;
    clearTimeout(timer);
    await running;
  };
}
