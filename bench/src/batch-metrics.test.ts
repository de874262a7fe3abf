import { describe, expect, it } from "vitest";
import { batchWindow, parseBatchTotals } from "./batch-metrics.ts";

const exposition = (
  batches: number,
  sends: number,
  seconds: number,
  slow10 = 0,
  slow25 = 0,
) => `# HELP parley_send_batch_size Sends per group-commit statement
# TYPE parley_send_batch_size histogram
parley_send_batch_size_bucket{le="1"} 3
parley_send_batch_size_bucket{le="+Inf"} ${batches}
parley_send_batch_size_sum ${sends}
parley_send_batch_size_count ${batches}
# TYPE parley_send_batch_seconds histogram
parley_send_batch_seconds_bucket{le="0.01"} ${batches - slow10}
parley_send_batch_seconds_bucket{le="0.025"} ${batches - slow25}
parley_send_batch_seconds_bucket{le="+Inf"} ${batches}
parley_send_batch_seconds_sum ${seconds}
parley_send_batch_seconds_count ${batches}
parley_send_ack_seconds_bucket{le="0.025"} ${batches * 2 - slow25}
parley_send_ack_seconds_count ${batches * 2}
parley_send_ack_seconds_sum 99
`;

describe("batch metrics", () => {
  it("reads the group commit's histograms, not their neighbours", () => {
    expect(parseBatchTotals(exposition(10, 250, 0.05, 3, 1))).toEqual({
      batches: 10,
      sends: 250,
      seconds: 0.05,
      within10ms: 7,
      within25ms: 9,
      acks: 20,
      acksWithin25ms: 19,
    });
    expect(parseBatchTotals("parley_send_ack_seconds_sum 3\n")).toEqual({
      batches: 0,
      sends: 0,
      seconds: 0,
      within10ms: 0,
      within25ms: 0,
      acks: 0,
      acksWithin25ms: 0,
    });
  });

  it("reports the window between two scrapes", () => {
    const w = batchWindow(
      parseBatchTotals(exposition(10, 250, 0.05, 1, 0)),
      parseBatchTotals(exposition(110, 3250, 0.65, 6, 2)),
    );
    expect(w?.batches).toBe(100);
    expect(w?.sendsPerBatch).toBe(30);
    expect(w?.statementMs).toBeCloseTo(6, 6);
    expect(w?.over10ms).toBe(5);
    expect(w?.over25ms).toBe(2);
    // 200 acks in the window, 2 of them over 25 ms.
    expect(w?.acksOver25msShare).toBeCloseTo(0.01, 9);
    expect(batchWindow(null, parseBatchTotals(exposition(1, 1, 1)))).toBeNull();
  });
});
