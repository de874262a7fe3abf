import { describe, expect, it } from "vitest";
import {
  histogramQuantile,
  summarizeOperations,
  type TOpsMinute,
  type TProcessStats,
} from "../src/ops-stats.ts";

const BOUNDS = [0.01, 0.1, 1, null];
const MIN = 60_000;
const NOW = 1_800_000_000_000 - (1_800_000_000_000 % MIN) + 30_000; // half past a minute

function minute(start: number, sent: number, deliver = [0, 0, 0, 0]): TOpsMinute {
  return {
    minute: start,
    sent,
    resumes: 1,
    gapSyncs: 0,
    connects: 2,
    rateLimited: 0,
    internalErrors: sent > 5 ? 1 : 0,
    deliver,
    ack: [0, 0, 0, 0],
  };
}

function process(id: string, connections: number, minutes: TOpsMinute[]): TProcessStats {
  return {
    processId: id,
    role: "gateway",
    startedAt: NOW - 3_600_000,
    at: NOW,
    connections,
    bounds: BOUNDS,
    minutes,
  };
}

describe("histogramQuantile", () => {
  it("interpolates inside the bucket that holds the rank, as Prometheus does", () => {
    // 10 observations: 4 under 10 ms, 6 between 10 and 100 ms (cumulative counts).
    expect(histogramQuantile(0.5, BOUNDS, [4, 10, 10, 10])).toBeCloseTo(0.01 + 0.09 * (1 / 6));
    expect(histogramQuantile(0.2, BOUNDS, [4, 10, 10, 10])).toBeCloseTo(0.005);
  });

  it("answers the last finite bound past it, and null when nothing was observed", () => {
    expect(histogramQuantile(0.99, BOUNDS, [0, 0, 0, 5])).toBe(1);
    expect(histogramQuantile(0.5, BOUNDS, [0, 0, 0, 0])).toBeNull();
  });
});

describe("summarizeOperations", () => {
  const current = NOW - (NOW % MIN);
  it("adds processes up minute by minute and reads messages a minute from the last complete one", () => {
    const summary = summarizeOperations(
      [
        process("g1", 3, [
          minute(current - 2 * MIN, 4),
          minute(current - MIN, 10, [1, 2, 2, 2]),
          minute(current, 1),
        ]),
        process("g2", 5, [minute(current - MIN, 6, [3, 4, 4, 4]), minute(current, 2)]),
      ],
      NOW,
    );
    expect(summary.connections).toBe(8);
    expect(summary.processes.map((p) => p.processId).sort()).toEqual(["g1", "g2"]);
    expect(summary.messagesPerMinute).toBe(16);
    expect(summary.minutes.map((m) => m.messages)).toEqual([4, 16, 3]);
    expect(summary.minutes.map((m) => m.internalErrors)).toEqual([0, 2, 0]);
    expect(summary.lastHour).toMatchObject({ sent: 23, resumes: 5, connects: 10, internalErrors: 2 });
    // Merged buckets [4, 6, 6, 6]: the median is the 3rd of 4 under 10 ms, p99 near the top of (10, 100].
    expect(summary.deliver).toEqual({ count: 6, p50Ms: 7.5, p99Ms: 97.3 });
    expect(summary.ack).toEqual({ count: 0, p50Ms: null, p99Ms: null });
  });

  it("leaves out minutes older than an hour", () => {
    const summary = summarizeOperations(
      [process("g1", 0, [minute(current - 60 * MIN, 7), minute(current - 59 * MIN, 1)])],
      NOW,
    );
    expect(summary.lastHour.sent).toBe(1);
    expect(summary.messagesPerMinute).toBe(0);
  });
});
