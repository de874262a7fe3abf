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

/**
 * Runs a step at `rate`, again up to `retries` times while it fails; returns the last run and
 * each run's `rate:ok|fail(p99=…ms)` line. The one retry rule of both sweeps (Parley's below, the
 * peer's ladder in peer/load.ts).
 */
export async function runStep(
  rate: number,
  retries: number,
  run: TSweepRun,
): Promise<{ ok: boolean; p99: string; lines: string[] }> {
  const lines: string[] = [];
  let result = { ok: false, p99: "-" };
  for (let k = 0; k <= retries && !result.ok; k++) {
    result = await run(rate, k > 0);
    lines.push(`${rate}:${result.ok ? "ok" : "fail"}(p99=${result.p99}ms)`);
  }
  return { ...result, lines };
}

export async function sweepSearch(
  o: { startRate: number; maxRate: number; retries: number },
  run: TSweepRun,
): Promise<TSweepResult> {
  let good = 0;
  let goodP99 = "-";
  let bad = 0;
  const steps: string[] = [];
  const tryRate = async (rate: number): Promise<boolean> => {
    const result = await runStep(rate, o.retries, run);
    steps.push(...result.lines);
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
