/**
 * Following the event log in the background: one loop shape for every reader of the log that
 * runs beside the send path (the search indexer, the notifier). A round reads from its own cursor
 * and reports whether more is waiting and whether it got the round's lock (rounds of several
 * processes never overlap: each takes a transaction-scoped advisory lock).
 *
 * - Woken by this process's own committed writes (`onEventsCommitted`, once per write): a round
 *   runs at once; a write that commits during a round makes another round follow right after it.
 * - A round that found work is followed by another at once (catching up after a pause).
 * - A woken round that missed the lock retries after `lockRetryMs`: the round holding it may have
 *   read the log before the write that woke us committed.
 * - Otherwise it polls every `pollMs`: the fallback for writes of processes that do not wake it
 *   (another gateway, scripts), and for readers with time-based work (the notifier's e-mails).
 * - A failed round waits the full `pollMs` (no hot loop against a database that is down).
 * - With `minGapMs`, rounds start at least that far apart: under steady sends every round finds
 *   a little, and back-to-back rounds each pay the round's fixed cost for a few events (the search
 *   indexer beside a gateway at 1,200 msg/s took 12–15 % of the box and doubled the sends' p99).
 *
 * No NOTIFY: a `pg_notify` in the send transaction takes a cluster-wide lock on the notification
 * queue at commit, serialising every sending transaction.
 */
import { onEventsCommitted } from "./events.ts";

/** What one round found: `hasMore` runs another at once; `isLocked` false: another process's round held the lock. */
export type TFollowRound = { hasMore: boolean; isLocked: boolean };

export type TFollowOptions = {
  pollMs: number;
  lockRetryMs?: number;
  /** Least time between the starts of two rounds (default 0: at once). */
  minGapMs?: number;
  onError?: (err: unknown) => void;
};

/** Runs `round` as described above until the returned stop function is called (it waits for a running round). */
export function followLog(round: () => Promise<TFollowRound>, options: TFollowOptions): () => Promise<void> {
  const { pollMs } = options;
  const lockRetryMs = options.lockRetryMs ?? 50;
  const minGapMs = options.minGapMs ?? 0;
  /** When the last round started (Date.now()). */
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  let isStopped = false;
  let isRunning = false;
  /** A write committed since the last round began. */
  let isWoken = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = (delay: number) => {
    clearTimeout(timer);
    const wait = Math.max(delay, lastStartedAt + minGapMs - Date.now());
    if (!isStopped) timer = setTimeout(tick, wait);
  };
  const tick = () => {
    if (isRunning || isStopped) return;
    isRunning = true;
    lastStartedAt = Date.now();
    const wasWoken = isWoken;
    isWoken = false;
    running = (async () => {
      let delay = pollMs;
      let isFailed = false;
      try {
        const outcome = await round();
        if (outcome.hasMore) delay = 0;
        else if (!outcome.isLocked && wasWoken) {
          isWoken = true;
          delay = lockRetryMs;
        }
      } catch (err) {
        isFailed = true;
        options.onError?.(err);
      }
      isRunning = false;
      if (isWoken && !isFailed && delay === pollMs) delay = 0;
      schedule(delay);
    })();
  };
  const unsubscribe = onEventsCommitted(() => {
    isWoken = true;
    if (!isRunning) schedule(0);
  });
  schedule(0);
  return async () => {
    isStopped = true;
    unsubscribe();
    clearTimeout(timer);
    await running;
  };
}
