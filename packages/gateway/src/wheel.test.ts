import { afterEach, describe, expect, it } from "vitest";
import { slotsFor, TimerWheel } from "./wheel.ts";

const wheels: { stop(): void }[] = [];
afterEach(() => {
  for (const wheel of wheels.splice(0)) wheel.stop();
});

describe("TimerWheel", () => {
  it("visits every item exactly once per turn, one bucket per tick", () => {
    const visits: number[][] = [];
    const wheel = new TimerWheel<number>(60_000, (bucket) => visits.push([...bucket]), 4);
    wheels.push(wheel);
    for (let i = 0; i < 10; i++) wheel.add(i);
    for (let t = 0; t < 4; t++) wheel.tick();
    expect(visits.map((b) => b.length)).toEqual([3, 3, 2, 2]);
    expect(visits.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The next turn visits the same buckets again.
    wheel.tick();
    expect(visits[4]).toEqual(visits[0]);
  });

  it("stops visiting an item once removed", () => {
    const seen: number[] = [];
    const wheel = new TimerWheel<number>(60_000, (bucket) => seen.push(...bucket), 2);
    wheels.push(wheel);
    const slots = [wheel.add(1), wheel.add(2), wheel.add(3)];
    wheel.remove(2, slots[1]!);
    wheel.tick();
    wheel.tick();
    expect(seen.sort()).toEqual([1, 3]);
    expect(wheel.size).toBe(2);
  });

  it("ticks by itself about every interval / slots", async () => {
    let ticks = 0;
    const wheel = new TimerWheel<number>(
      40,
      () => {
        ticks += 1;
      },
      4,
    );
    wheels.push(wheel);
    await new Promise((r) => setTimeout(r, 200));
    expect(ticks).toBeGreaterThan(0);
  });

  it("with catchUp, visits every bucket due by the clock after a late timer — at most one turn", () => {
    const visits: number[][] = [];
    // 4 slots over 400 ms: one bucket due every 100 ms of wall time.
    const wheel = new TimerWheel<number>(400, (bucket) => visits.push([...bucket]), 4, { catchUp: true });
    wheels.push(wheel);
    for (let i = 0; i < 4; i++) wheel.add(i);
    const start = (wheel as unknown as { startedAt: number }).startedAt;
    // The timer fired 350 ms late: three buckets were due, all three are visited now.
    expect(wheel.catchUp(start + 350)).toBe(3);
    expect(visits.flat()).toEqual([0, 1, 2]);
    // On time again: one more.
    expect(wheel.catchUp(start + 400)).toBe(1);
    expect(visits.flat()).toEqual([0, 1, 2, 3]);
    // A stall of ten turns visits each bucket once, not ten times.
    expect(wheel.catchUp(start + 4_400)).toBe(4);
    expect(visits.flat()).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    // …and the schedule goes on from there.
    expect(wheel.catchUp(start + 4_500)).toBe(1);
  });

  it("sizes the wheel for ticks of about 100 ms", () => {
    expect(slotsFor(25_000)).toBe(250);
    expect(slotsFor(100)).toBe(1);
    expect(slotsFor(10)).toBe(1);
    expect(slotsFor(10_000_000)).toBe(1_000);
  });

  it("refuses a non-positive interval", () => {
    expect(() => new TimerWheel(0, () => {})).toThrow(/intervalMs/);
  });
});
