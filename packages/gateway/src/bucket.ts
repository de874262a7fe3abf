/**
 * The token bucket behind the gateway's rate limits (commands per connection, sends per user):
 * plain numbers on the caller's own object, no timers, no allocation per command.
 */

/** Refill rate and capacity. */
export type TRate = { perSecond: number; burst: number };

/** A bucket's state; starts full (`tokens = burst`). */
export type TBucket = { tokens: number; tokensAt: number };

/**
 * Refills `bucket` up to `now` and takes one token. Returns 0 when a token was taken, otherwise
 * the seconds until one is back (nothing taken).
 */
export function takeToken(bucket: TBucket, rate: TRate, now: number): number {
  const tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.tokensAt) / 1000) * rate.perSecond);
  bucket.tokensAt = now;
  if (tokens >= 1) {
    bucket.tokens = tokens - 1;
    return 0;
  }
  bucket.tokens = tokens;
  return (1 - tokens) / rate.perSecond;
}
