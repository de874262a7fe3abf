import assert from "node:assert/strict";
import { test } from "vitest";
import { sweepSearch } from "./sweep-search.ts";

/** A box that passes every rate up to `limit`, except the runs listed in `flukes` (rate → failed runs). */
function box(limit: number, flukes: Record<number, number> = {}) {
  const runs: number[] = [];
  const left = new Map(Object.entries(flukes).map(([rate, n]) => [Number(rate), n]));
  const run = async (rate: number) => {
    runs.push(rate);
    const fluke = left.get(rate) ?? 0;
    if (fluke > 0) {
      left.set(rate, fluke - 1);
      return { ok: false, p99: "71" };
    }
    return rate <= limit ? { ok: true, p99: "30" } : { ok: false, p99: "90" };
  };
  return { run, runs };
}

test("doubles while steps pass, then bisects to within 10 % of the last pass", async () => {
  const { run, runs } = box(2_600);
  const result = await sweepSearch({ startRate: 200, maxRate: 20_000, retries: 0 }, run);
  assert.deepEqual(runs.slice(0, 6), [200, 400, 800, 1_600, 3_200, 2_400]);
  assert.ok(result.good <= 2_600 && result.good >= 2_600 * 0.9, `best ${result.good}`);
  assert.equal(result.steps.length, runs.length);
});

test("one unlucky step no longer ends the search: it runs again and passes", async () => {
  const fragile = box(2_600, { 800: 1 });
  const without = await sweepSearch({ startRate: 200, maxRate: 20_000, retries: 0 }, fragile.run);
  assert.ok(without.good < 800, `without a retry the search stops below 800 (${without.good})`);

  const retried = box(2_600, { 800: 1 });
  const result = await sweepSearch({ startRate: 200, maxRate: 20_000, retries: 1 }, retried.run);
  assert.ok(result.good >= 2_600 * 0.9 && result.good <= 2_600, `best ${result.good}`);
  assert.deepEqual(result.steps.slice(2, 4), ["800:fail(p99=71ms)", "800:ok(p99=30ms)"]);
});

test("a step that fails every run counts as failed, and is run 1 + retries times", async () => {
  const { run, runs } = box(1_000, { 800: 5 });
  const result = await sweepSearch({ startRate: 200, maxRate: 20_000, retries: 1 }, run);
  assert.equal(runs.filter((r) => r === 800).length, 2);
  assert.ok(result.good < 800, `best ${result.good}`);
});

test("when even the first step fails it bisects downwards; maxRate caps the doubling", async () => {
  const low = box(300);
  const down = await sweepSearch({ startRate: 2_000, maxRate: 20_000, retries: 1 }, low.run);
  assert.ok(down.good > 0 && down.good <= 300 && down.good >= 300 * 0.85, `best ${down.good}`);

  const capped = box(1_000_000);
  const top = await sweepSearch({ startRate: 1_000, maxRate: 4_000, retries: 1 }, capped.run);
  assert.deepEqual(capped.runs, [1_000, 2_000, 4_000]);
  assert.equal(top.good, 4_000);
});
