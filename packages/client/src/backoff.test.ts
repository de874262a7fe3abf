import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.ts";

const options = { baseMs: 100, maxMs: 10_000 };

describe("backoffDelay", () => {
  it("doubles the ceiling per attempt", () => {
    const almostOne = () => 0.999_999;
    expect(backoffDelay(0, options, almostOne)).toBe(99);
    expect(backoffDelay(1, options, almostOne)).toBe(199);
    expect(backoffDelay(3, options, almostOne)).toBe(799);
  });

  it("never exceeds maxMs, even after many attempts", () => {
    const almostOne = () => 0.999_999;
    expect(backoffDelay(20, options, almostOne)).toBe(9_999);
    expect(backoffDelay(10_000, options, almostOne)).toBe(9_999);
    expect(Number.isFinite(backoffDelay(Number.MAX_SAFE_INTEGER, options, almostOne))).toBe(true);
  });

  it("uses full jitter: anywhere from zero up to the ceiling", () => {
    expect(backoffDelay(5, options, () => 0)).toBe(0);
    expect(backoffDelay(5, options, () => 0.5)).toBe(1_600);
  });

  it("spreads a crowd of clients across the window", () => {
    const delays = Array.from({ length: 2_000 }, () => backoffDelay(4, options));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(1_600);
    const firstHalf = delays.filter((d) => d < 800).length;
    expect(firstHalf).toBeGreaterThan(800);
    expect(firstHalf).toBeLessThan(1_200);
  });

  it("treats negative or fractional attempts as the nearest valid attempt", () => {
    expect(backoffDelay(-3, options, () => 0.5)).toBe(50);
    expect(backoffDelay(1.7, options, () => 0.5)).toBe(100);
  });
});
