import { describe, expect, it } from "vitest";
import { takeToken } from "./bucket.ts";

describe("takeToken", () => {
  const rate = { perSecond: 10, burst: 3 };

  it("allows the burst, then says how long until the next token", () => {
    const bucket = { tokens: rate.burst, tokensAt: 0 };
    expect([takeToken(bucket, rate, 0), takeToken(bucket, rate, 0), takeToken(bucket, rate, 0)]).toEqual([
      0, 0, 0,
    ]);
    expect(takeToken(bucket, rate, 0)).toBeCloseTo(0.1);
    expect(takeToken(bucket, rate, 50)).toBeCloseTo(0.05); // half a token back after 50 ms
    expect(takeToken(bucket, rate, 100)).toBe(0);
  });

  it("refills at the rate, never above the burst", () => {
    const bucket = { tokens: 0, tokensAt: 0 };
    takeToken(bucket, rate, 60_000);
    expect(bucket.tokens).toBe(rate.burst - 1);
  });
});
