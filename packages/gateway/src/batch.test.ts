import { describe, expect, it } from "vitest";
import { createBatchLoader } from "./batch.ts";

/** A loadMany that records its calls and answers when told to. */
function controlled() {
  const calls: { keys: string[]; resolve: (m: Map<string, string>) => void; reject: (e: unknown) => void }[] =
    [];
  const loadMany = (keys: string[]) =>
    new Promise<Map<string, string>>((resolve, reject) => calls.push({ keys, resolve, reject }));
  const answer = (i: number) =>
    calls[i]!.resolve(
      new Map(calls[i]!.keys.filter((k) => k !== "missing").map((k) => [k, k.toUpperCase()])),
    );
  return { calls, loadMany, answer };
}
const tick = () => new Promise((r) => setImmediate(r));

describe("createBatchLoader", () => {
  it("sends the keys of one turn in one call; repeated keys share it; absent keys are undefined", async () => {
    const c = controlled();
    const load = createBatchLoader(c.loadMany);
    const results = Promise.all([load("a"), load("b"), load("a"), load("missing")]);
    await tick();
    expect(c.calls.map((x) => x.keys)).toEqual([["a", "b", "missing"]]);
    c.answer(0);
    expect(await results).toEqual(["A", "B", "A", undefined]);
  });

  it("holds new keys while maxInFlight batches run, then sends them together", async () => {
    const c = controlled();
    const load = createBatchLoader(c.loadMany, { maxInFlight: 1 });
    const first = load("a");
    await tick();
    const later = Promise.all([load("b"), load("c")]);
    await tick();
    expect(c.calls).toHaveLength(1);
    c.answer(0);
    expect(await first).toBe("A");
    await tick();
    expect(c.calls.map((x) => x.keys)).toEqual([["a"], ["b", "c"]]);
    c.answer(1);
    expect(await later).toEqual(["B", "C"]);
  });

  it("splits at maxBatch", async () => {
    const c = controlled();
    const load = createBatchLoader(c.loadMany, { maxBatch: 2, maxInFlight: 4 });
    const all = Promise.all(["a", "b", "c", "d", "e"].map(load));
    await tick();
    expect(c.calls.map((x) => x.keys)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    for (let i = 0; i < 3; i++) c.answer(i);
    expect(await all).toEqual(["A", "B", "C", "D", "E"]);
  });

  it("rejects only the lookups of a failing batch", async () => {
    const c = controlled();
    const load = createBatchLoader(c.loadMany, { maxBatch: 1, maxInFlight: 2 });
    const a = load("a");
    const b = load("b");
    await tick();
    c.calls[0]!.reject(new Error("db down"));
    c.answer(1);
    await expect(a).rejects.toThrow("db down");
    expect(await b).toBe("B");
  });
});
