import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SaveThrottle } from "./save-throttle.ts";

describe("SaveThrottle", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes the first change at the end of the turn, and a burst at most once per interval", async () => {
    let writes = 0;
    const saves = new SaveThrottle(() => {
      writes += 1;
    }, 100);
    saves.request();
    saves.request();
    expect(writes).toBe(0);
    await Promise.resolve();
    expect(writes).toBe(1);
    // A burst right after: one write, when the interval since the last one is over.
    for (let i = 0; i < 1_000; i += 1) saves.request();
    await vi.advanceTimersByTimeAsync(99);
    expect(writes).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toBe(2);
    // Quiet for an interval: the next change goes at once again.
    await vi.advanceTimersByTimeAsync(200);
    expect(writes).toBe(2);
    saves.request();
    await Promise.resolve();
    expect(writes).toBe(3);
  });

  it("flush writes a held change now, once, and nothing when nothing is held", async () => {
    let writes = 0;
    const saves = new SaveThrottle(() => {
      writes += 1;
    }, 100);
    saves.flush();
    expect(writes).toBe(0);
    saves.request();
    await Promise.resolve();
    saves.request(); // held by the throttle
    saves.flush();
    expect(writes).toBe(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(writes).toBe(2);
  });
});
