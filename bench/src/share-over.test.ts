import { createHistogram } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { record, shareOver } from "./harness.ts";

describe("shareOver", () => {
  it("finds the share of samples above a threshold", () => {
    const h = createHistogram();
    for (let ms = 1; ms <= 1000; ms += 1) record(h, ms);
    expect(shareOver(h, 900)).toBeCloseTo(0.1, 2);
    expect(shareOver(h, 25)).toBeCloseTo(0.975, 2);
    expect(shareOver(h, 1010)).toBe(0); // above the largest (HDR buckets round up a little)
    expect(shareOver(createHistogram(), 25)).toBe(0);
  });
});
