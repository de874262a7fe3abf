/**
 * Following the event log in the background: one loop shape for every reader of the log that
 * runs beside the send path (the search indexer, the notifier). A round reads from its own cursor
 * and reports whether more is waiting and whether it got the round's lock (rounds of several
 * processes never overlap: each takes a transaction-scoped advisory lock).
 *
 * - Woken by this process's own committed writes (`onEventsCommitted`, once per write): a round
 *   runs at once; a write that commits during a round makes another round follow right after it.
 * - A woken round reads only the conversations written since the last round (its `scope`): which
 *   conversations' logs moved is otherwise found by comparing every conversation with its cursor,
 *   a scan of all of them per round (100,000 DMs: a large share of a core under steady sends).
 *   A round that left work (more found, or the lock missed) hands its scope to the next. The
 *   other rounds read every conversation (`scope` null): the first, a poll, one after a failure or
 *   with more than MAX_SCOPE written, and at least one every `pollMs` even while woken rounds keep
 *   coming — so writes of other processes are found as before.
 * - A round that found work is followed by another at once (catching up after a pause).
 * - A woken (or scoped) round that missed the lock retries after `lockRetryMs`: the round holding
 *   it may have read the log before the write that woke us committed.
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
import { Prisma } from "@parley/db";
import { onEventsCommitted } from "./events.ts";

/** What one round found: `hasMore` runs another at once; `isLocked` false: another process's round held the lock. */
export type TFollowRound = { hasMore: boolean; isLocked: boolean };

/** The conversations a round reads: those written by this process since the last round, or all (null). */
export type TFollowScope = readonly string[] | null;

/** The condition a round's `scope` puts on a conversation id (`column`, default `c.id`): none when null. */
export function inScopeSql(scope: TFollowScope, column: Prisma.Sql = Prisma.sql`c.id`): Prisma.Sql {
  return scope === null ? Prisma.sql`true` : Prisma.sql`${column} = ANY(${[...scope]}::uuid[])`;
}

/** More conversations written than this since the last round: the round reads them all. */
export const MAX_SCOPE = 500;

export type TFollowOptions = {
  pollMs: number;
  lockRetryMs?: number;
  /** Least time between the starts of two rounds (default 0: at once). */
  minGapMs?: number;
  onError?: (err: unknown) => void;
};

/** Runs `round` as described above until the returned stop function is called (it waits for a running round). */
export function followLog(
  round: (scope: TFollowScope) => Promise<TFollowRound>,
  options: TFollowOptions,
): () => Promise<void> {
  const { pollMs } = options;
  const lockRetryMs = options.lockRetryMs ?? 50;
  const minGapMs = options.minGapMs ?? 0;
  /** When the last round started (Date.now()). */
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  let isStopped = false;
  let isRunning = false;
  /** A write committed since the last round began. */
  let isWoken = false;
  /** The conversations this process wrote since the last round began (or that a round must retry). */
  const written = new Set<string>();
  /** The next round reads every conversation (the first, after a failure, a poll). */
  let isFullDue = true;
  /** When the last round that read every conversation started (Date.now()). */
  let lastFullAt = Number.NEGATIVE_INFINITY;
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
    // Nothing written (a poll) reads all; so do rounds the conditions in the header name.
    const isFull =
      isFullDue || written.size === 0 || written.size > MAX_SCOPE || lastStartedAt - lastFullAt >= pollMs;
    const scope: TFollowScope = isFull ? null : [...written];
    if (isFull) lastFullAt = lastStartedAt;
    isFullDue = false;
    written.clear();
    /** Hands the round's conversations to the next round (it did not finish them). */
    const retry = () => {
      if (scope === null) isFullDue = true;
      else for (const id of scope) written.add(id);
    };
    running = (async () => {
      let delay = pollMs;
      let isFailed = false;
      try {
        const outcome = await round(scope);
        if (outcome.hasMore) {
          retry();
          delay = 0;
        } else if (!outcome.isLocked && (wasWoken || scope !== null)) {
          retry();
          isWoken = true;
          delay = lockRetryMs;
        }
      } catch (err) {
        isFailed = true;
        isFullDue = true;
        options.onError?.(err);
      }
      isRunning = false;
      if (isWoken && !isFailed && delay === pollMs) delay = 0;
      schedule(delay);
    })();
  };
  const unsubscribe = onEventsCommitted((events) => {
    for (const event of events) written.add(event.conversationId);
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
