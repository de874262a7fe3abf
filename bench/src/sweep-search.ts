/**
 * The sweep's search (`npm run bench -- --sweep`, scenarios/dm.ts): from `startRate`, double while
 * a step passes (up to `maxRate`), then bisect between the last pass and the first failure — to
 * within 10 % (50 msg/s at least), or downwards from the first step when even that one failed.
 * A step that fails is run again, up to `retries` times, and counts as failed only if every run
 * failed (SWEEP_RETRIES in options.ts says why).
 */

/** One run of a step at `rate`: whether it passed and its p99 as printed. */
export type TSweepRun = (rate: number, isRetry: boolean) => Promise<{ ok: boolean; p99: string }>;

export type TSweepResult = {
  /** The highest rate that passed (0: none). */
  good: number;
  goodP99: string;
  /** Every run in order, `rate:ok(p99=…ms)` or `rate:fail(…)`; a retried step appears twice. */
  steps: string[];
};

export async function sweepSearch(
  o: { startRate: number; maxRate: number; retries: number },
  run: TSweepRun,
): Promise<TSweepResult> {
  let good = 0;
  let goodP99 = "-";
  let bad = 0;
  const steps: string[] = [];
  const tryRate = async (rate: number): Promise<boolean> => {
    let result = await run(rate, false);
    steps.push(`${rate}:${result.ok ? "ok" : "fail"}(p99=${result.p99}ms)`);
    for (let k = 0; !result.ok && k < o.retries; k++) {
      result = await run(rate, true);
      steps.push(`${rate}:${result.ok ? "ok" : "fail"}(p99=${result.p99}ms)`);
    }
    if (result.ok) {
      good = rate;
      goodP99 = result.p99;
    } else bad = rate;
    return result.ok;
  };
  let rate = Math.min(o.startRate, o.maxRate);
  while (rate <= o.maxRate && (await tryRate(rate))) rate *= 2;
  if (bad > 0) {
    // Even the first step failed: bisect downwards from it (to within 10 msg/s or 10 %).
    let lo = good;
    let hi = bad;
    const isDown = good === 0;
    while (hi - lo > Math.max(isDown ? 10 : 50, (isDown ? hi : lo) * 0.1)) {
      const mid = Math.round((lo + hi) / 2);
      if (await tryRate(mid)) lo = mid;
      else hi = mid;
    }
  }
  return { good, goodP99, steps };
}
