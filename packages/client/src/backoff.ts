/** Backoff settings for reconnects. */
export type TBackoffOptions = {
  /** Delay cap for the first retry; doubles per attempt. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
};

/** Defaults: ~0.5 s for the first retry, never more than 30 s. */
export const DEFAULT_BACKOFF: TBackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * "Full jitter" exponential backoff: a uniform random delay in [0, min(max, base·2^attempt)).
 * Spreads a crowd of clients reconnecting after a gateway restart instead of synchronising them.
 * `attempt` counts from 0; `random` is injectable for tests.
 */
export function backoffDelay(
  attempt: number,
  options: TBackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const safeAttempt = Math.max(0, Math.min(Math.floor(attempt), 30)); // 2^30 already exceeds any cap
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** safeAttempt);
  return Math.floor(random() * ceiling);
}
