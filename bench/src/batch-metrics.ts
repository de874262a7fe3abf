/**
 * The gateways' group commit during a traffic window, read from their Prometheus endpoints
 * (core's `parley_send_batch_size` and `parley_send_batch_seconds` histograms): how many
 * statements carried the sends, and how long one took. Batches grow with load and each pays the
 * statement's fixed cost once (docs/performance.md), so these say why a rate costs what it does.
 */

/** Batches, the sends in them and the statements' summed seconds; summed over gateways. */
export type TBatchTotals = { batches: number; sends: number; seconds: number };

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
      }),
      { batches: 0, sends: 0, seconds: 0 },
    );
  } catch {
    return null;
  }
}

/** What happened between two scrapes: batches, sends per batch, mean statement time (ms). */
export function batchWindow(
  before: TBatchTotals | null,
  after: TBatchTotals | null,
): { batches: number; sendsPerBatch: number; statementMs: number } | null {
  if (!before || !after) return null;
  const batches = after.batches - before.batches;
  if (batches <= 0) return { batches: 0, sendsPerBatch: 0, statementMs: 0 };
  return {
    batches,
    sendsPerBatch: (after.sends - before.sends) / batches,
    statementMs: ((after.seconds - before.seconds) * 1000) / batches,
  };
}
