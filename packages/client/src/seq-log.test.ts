import { describe, expect, it } from "vitest";
import { SeqLog } from "./seq-log.ts";

const drain = (log: SeqLog<{ seq: number }>) => {
  const out: number[] = [];
  for (let e = log.take(); e; e = log.take()) out.push(e.seq);
  return out;
};

describe("SeqLog", () => {
  it("yields each seq once, in order, whatever the arrival order", () => {
    const log = new SeqLog<{ seq: number }>(0);
    const delivered: number[] = [];
    for (const seq of [3, 1, 1, 2, 5, 3, 4, 2]) {
      log.offer({ seq });
      delivered.push(...drain(log));
    }
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
    expect(log.cursor).toBe(5);
    expect(log.hasGap).toBe(false);
  });

  it("reports duplicates and keeps a gap until it is filled", () => {
    const log = new SeqLog<{ seq: number }>(3);
    expect(log.offer({ seq: 3 })).toBe(false);
    expect(log.offer({ seq: 5 })).toBe(true);
    expect(log.offer({ seq: 5 })).toBe(false);
    expect(drain(log)).toEqual([]);
    expect(log.hasGap).toBe(true);
    log.offer({ seq: 4 });
    expect(drain(log)).toEqual([4, 5]);
  });

  it("buffers everything while the cursor is unknown, and reset keeps only what is ahead", () => {
    const log = new SeqLog<{ seq: number }>(null);
    log.offer({ seq: 7 });
    log.offer({ seq: 9 });
    log.offer({ seq: 10 });
    expect(drain(log)).toEqual([]);
    log.reset(8);
    expect(log.buffered).toBe(2);
    expect(drain(log)).toEqual([9, 10]);
  });
});
