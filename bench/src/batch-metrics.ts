/**
 * The gateways' group commit during a traffic window, read from their Prometheus endpoints
 * (core's `parley_send_batch_size` and `parley_send_batch_seconds` histograms): how many
 * statements carried the sends, and how long one took. Batches grow with load and each pays the
 * statement's fixed cost once (docs/performance.md), so these say why a rate costs what it does.
 */

/**
 * Batches, the sends in them and the statements' summed seconds; summed over gateways. `within10ms`
 * and `within25ms`: statements that took at most that long (the histogram's cumulative buckets), so
 * a window can say how many were slow — one slow statement holds every send queued behind it.
 */
export type TBatchTotals = {
  batches: number;
  sends: number;
  seconds: number;
  within10ms: number;
  within25ms: number;
  /** Sends acked, and those acked within 25 ms of their frame's arrival (parley_send_ack_seconds). */
  acks: number;
  acksWithin25ms: number;
};

/** The totals in one Prometheus text exposition (zeros when the histograms have no samples yet). */
export function parseBatchTotals(text: string): TBatchTotals {
  const value = (name: string): number => {
    const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
    return match ? Number(match[1]) : 0;
  };
  return {
    batches: value("parley_send_batch_size_count"),
    sends: value("parley_send_batch_size_sum"),
    seconds: value("parley_send_batch_seconds_sum"),
    within10ms: value('parley_send_batch_seconds_bucket\\{le="0\\.01"\\}'),
    within25ms: value('parley_send_batch_seconds_bucket\\{le="0\\.025"\\}'),
    acks: value("parley_send_ack_seconds_count"),
    acksWithin25ms: value('parley_send_ack_seconds_bucket\\{le="0\\.025"\\}'),
  };
}

/** The gateways' totals now, or null when one of them did not answer. */
export async function scrapeBatchTotals(metricsUrls: readonly string[]): Promise<TBatchTotals | null> {
  try {
    const texts = await Promise.all(
      metricsUrls.map(async (url) => {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        if (!res.ok) throw new Error(`${url}: ${res.status}`);
        return res.text();
      }),
    );
    return texts.map(parseBatchTotals).reduce(
      (a, b) => ({
        batches: a.batches + b.batches,
        sends: a.sends + b.sends,
        seconds: a.seconds + b.seconds,
        within10ms: a.within10ms + b.within10ms,
        within25ms: a.within25ms + b.within25ms,
        acks: a.acks + b.acks,
        acksWithin25ms: a.acksWithin25ms + b.acksWithin25ms,
      }),
      { batches: 0, sends: 0, seconds: 0, within10ms: 0, within25ms: 0, acks: 0, acksWithin25ms: 0 },
    );
  } catch {
    return null;
  }
}

/** What a window between two scrapes saw (batchWindow). */
export type TBatchWindow = {
  batches: number;
  sendsPerBatch: number;
  /** Mean statement time, commit included. */
  statementMs: number;
  /** Statements over 10 ms and over 25 ms. */
  over10ms: number;
  over25ms: number;
  /**
   * Share (0–1) of the window's acks that took the gateway over 25 ms from the send frame's arrival:
   * next to the generator's own share, it says whether a latency tail is the gateway's send path
   * or outside it (the generator, the kernel, the receiving side).
   */
  acksOver25msShare: number;
};

/** What happened between two scrapes (TBatchWindow). */
export function batchWindow(before: TBatchTotals | null, after: TBatchTotals | null): TBatchWindow | null {
  if (!before || !after) return null;
  const batches = Math.max(0, after.batches - before.batches);
  const acks = after.acks - before.acks;
  const perBatch = (total: number) => (batches > 0 ? total / batches : 0);
  return {
    batches,
    sendsPerBatch: perBatch(after.sends - before.sends),
    statementMs: perBatch((after.seconds - before.seconds) * 1000),
    over10ms: batches - Math.min(batches, after.within10ms - before.within10ms),
    over25ms: batches - Math.min(batches, after.within25ms - before.within25ms),
    acksOver25msShare: acks > 0 ? (acks - (after.acksWithin25ms - before.acksWithin25ms)) / acks : 0,
  };
}
