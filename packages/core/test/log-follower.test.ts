/** followLog (core/src/log-follower.ts): when rounds run, on fake timers. */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { followLog, MAX_SCOPE, type TFollowRound, type TFollowScope } from "../src/log-follower.ts";

/** Announces a committed write the way events.ts does (its listeners live on globalThis). */
function commitWrite(...conversationIds: string[]): void {
  const listeners = (
    globalThis as Record<symbol, Set<(events: { conversationId: string }[]) => void> | undefined>
  )[Symbol.for("parley.commitListeners")];
  const events = (conversationIds.length > 0 ? conversationIds : ["c"]).map((conversationId) => ({
    conversationId,
  }));
  for (const listener of listeners ?? []) listener(events);
}

/** A round whose outcomes are scripted; records the fake time and the scope of every start. */
function scripted(outcomes: (TFollowRound | Error)[], durationMs = 0) {
  const starts: number[] = [];
  const scopes: (string[] | null)[] = [];
  const round = async (scope: TFollowScope): Promise<TFollowRound> => {
    starts.push(Date.now());
    scopes.push(scope === null ? null : [...scope].sort());
    if (durationMs > 0) await new Promise((r) => setTimeout(r, durationMs));
    const next = outcomes.shift() ?? { hasMore: false, isLocked: true };
    if (next instanceof Error) throw next;
    return next;
  };
  return { round, starts, scopes };
}

const idle = { hasMore: false, isLocked: true };
let stop: (() => Promise<void>) | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(async () => {
  const stopping = stop?.();
  await vi.advanceTimersByTimeAsync(10_000); // lets a running round finish
  await stopping;
  stop = undefined;
  vi.useRealTimers();
});

describe("followLog", () => {
  test("runs at once, then polls every pollMs while nothing happens", async () => {
    const { round, starts } = scripted([]);
    stop = followLog(round, { pollMs: 1000 });
    await vi.advanceTimersByTimeAsync(3500);
    expect(starts).toEqual([0, 1000, 2000, 3000]);
  });

  test("a round that found work is followed by another at once", async () => {
    const { round, starts } = scripted([
      { hasMore: true, isLocked: true },
      { hasMore: true, isLocked: true },
      idle,
    ]);
    stop = followLog(round, { pollMs: 1000 });
    await vi.advanceTimersByTimeAsync(1500);
    // (fake timers run a 0 ms timeout 1 ms later)
    expect(starts).toEqual([0, 1, 2, 1002]);
  });

  test("with minGapMs, rounds start at least that far apart, found work and wakes alike", async () => {
    const { round, starts } = scripted([{ hasMore: true, isLocked: true }, idle], 100);
    stop = followLog(round, { pollMs: 10_000, minGapMs: 300 });
    await vi.advanceTimersByTimeAsync(350); // found work at 0 (ends 100): the next starts at 300
    commitWrite(); // woken during round 300…400: the next starts at 600, not at 400
    commitWrite();
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts).toEqual([0, 300, 600]);
  });

  test("a committed write wakes an idle follower at once; one during a round makes another follow it", async () => {
    const { round, starts } = scripted([], 100);
    stop = followLog(round, { pollMs: 10_000 });
    await vi.advanceTimersByTimeAsync(500); // first round 0…100, then idle
    commitWrite();
    await vi.advanceTimersByTimeAsync(50); // woken round starts at 500, runs until 600
    commitWrite(); // during it
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts).toEqual([0, 500, 601]);
  });

  test("a woken round that missed the lock retries after lockRetryMs; an unwoken one waits for the poll", async () => {
    const missed = { hasMore: false, isLocked: false };
    const { round, starts } = scripted([missed, missed, idle]);
    stop = followLog(round, { pollMs: 1000, lockRetryMs: 50 });
    await vi.advanceTimersByTimeAsync(10); // round at 0 missed the lock, not woken: next at the poll
    commitWrite(); // woken at 10: round at 10 misses the lock → retry at 60
    await vi.advanceTimersByTimeAsync(100);
    expect(starts).toEqual([0, 10, 60]);
  });

  test("a failed round waits the full poll even when woken, and the error is reported", async () => {
    const errors: unknown[] = [];
    const { round, starts } = scripted([new Error("db down")], 100);
    stop = followLog(round, { pollMs: 1000, onError: (err) => errors.push(err) });
    await vi.advanceTimersByTimeAsync(50);
    commitWrite(); // during the failing round
    await vi.advanceTimersByTimeAsync(1100);
    expect(starts).toEqual([0, 1100]);
    expect(errors).toHaveLength(1);
  });

  test("a woken round reads only the conversations written since the last round; a poll reads all", async () => {
    const { round, starts, scopes } = scripted([], 100);
    stop = followLog(round, { pollMs: 1000 });
    await vi.advanceTimersByTimeAsync(300); // the first round reads all
    commitWrite("b", "a");
    commitWrite("a");
    await vi.advanceTimersByTimeAsync(50); // woken at 300, runs until 400
    commitWrite("c"); // during it: the next reads c only
    await vi.advanceTimersByTimeAsync(1500);
    expect(starts).toEqual([0, 300, 401, 1501]);
    expect(scopes).toEqual([null, ["a", "b"], ["c"], null]);
  });

  test("while woken rounds keep coming, one reads all at least every pollMs", async () => {
    const { round, starts, scopes } = scripted([]);
    stop = followLog(round, { pollMs: 1000 });
    for (let t = 0; t < 25; t++) {
      await vi.advanceTimersByTimeAsync(100);
      commitWrite("a");
    }
    const full = starts.filter((_, i) => scopes[i] === null);
    expect(full[0]).toBe(0);
    for (let i = 1; i < full.length; i++) expect(full[i]! - full[i - 1]!).toBeLessThanOrEqual(1001);
    expect(full.length).toBeGreaterThanOrEqual(3);
    expect(scopes.filter((s) => s !== null).length).toBeGreaterThan(15);
  });

  test("a round that left work hands its scope on; a failed round or too many written make the next read all", async () => {
    const errors: unknown[] = [];
    const { round, scopes } = scripted([
      idle, // first, full
      { hasMore: true, isLocked: true }, // scoped [a] left work
      { hasMore: false, isLocked: false }, // scoped [a] again (not woken), lock missed: retried
      idle, // scoped [a], done
      new Error("db down"), // scoped [b] fails
    ]);
    stop = followLog(round, { pollMs: 1000, lockRetryMs: 50, onError: (err) => errors.push(err) });
    await vi.advanceTimersByTimeAsync(10);
    commitWrite("a");
    await vi.advanceTimersByTimeAsync(200);
    commitWrite("b");
    await vi.advanceTimersByTimeAsync(1200); // the failure waits for the poll, which reads all
    commitWrite(...Array.from({ length: MAX_SCOPE + 1 }, (_, i) => `x${i}`));
    await vi.advanceTimersByTimeAsync(10);
    expect(scopes).toEqual([null, ["a"], ["a"], ["a"], ["b"], null, null]);
    expect(errors).toHaveLength(1);
  });

  test("stop waits for the running round and nothing runs after it, not even on a write", async () => {
    const { round, starts } = scripted([], 200);
    const stopping = followLog(round, { pollMs: 1000 });
    await vi.advanceTimersByTimeAsync(10);
    let isStopped = false;
    const done = stopping().then(() => {
      isStopped = true;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(isStopped).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    await done;
    commitWrite();
    await vi.advanceTimersByTimeAsync(5000);
    expect(starts).toEqual([0]);
  });
});
