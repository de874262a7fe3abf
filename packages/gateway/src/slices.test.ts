import { describe, expect, it } from "vitest";
import { Push } from "./push.ts";
import { SlicedDelivery } from "./slices.ts";

/** Records what each target received, in order. */
function recorder() {
  const got = new Map<number, string[]>();
  const write = (target: number, push: Push) => {
    const list = got.get(target) ?? [];
    list.push(push.text);
    got.set(target, list);
  };
  return { got, write };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("SlicedDelivery", () => {
  it("writes a small delivery at once when nothing is queued", () => {
    const r = recorder();
    const slices = new SlicedDelivery(r.write, 4);
    slices.deliver(new Push("a"), [1, 2, 3]);
    expect(r.got).toEqual(
      new Map([
        [1, ["a"]],
        [2, ["a"]],
        [3, ["a"]],
      ]),
    );
    expect(slices.isIdle).toBe(true);
  });

  it("writes one slice per event-loop turn and lets other work run between slices", async () => {
    const r = recorder();
    const slices = new SlicedDelivery(r.write, 4);
    slices.deliver(new Push("big"), range(10));
    expect(r.got.size).toBe(4); // the first slice goes out at once
    expect(slices.backlog).toBe(6);
    let ranBetween = false;
    setImmediate(() => {
      ranBetween = r.got.size < 10;
    });
    await nextTurn();
    await nextTurn();
    await nextTurn();
    expect(ranBetween).toBe(true);
    expect(r.got.size).toBe(10);
    expect(slices.isIdle).toBe(true);
  });

  it("keeps every target's order: later deliveries, even small ones, queue behind a big one", async () => {
    const r = recorder();
    const slices = new SlicedDelivery(r.write, 3);
    slices.deliver(new Push("1"), range(10));
    slices.deliver(new Push("2"), [9, 0]);
    slices.deliver(new Push("3"), range(10));
    slices.deliver(new Push("4"), [5]);
    while (!slices.isIdle) await nextTurn();
    for (const target of range(10)) {
      const expected = [
        "1",
        ...(target === 0 || target === 9 ? ["2"] : []),
        "3",
        ...(target === 5 ? ["4"] : []),
      ];
      expect(r.got.get(target)).toEqual(expected);
    }
  });

  it("writes a target with nothing waiting at once, even while other targets wait", () => {
    const r = recorder();
    const slices = new SlicedDelivery(r.write, 2);
    slices.deliver(new Push("big"), range(6));
    expect(slices.waitingTargets).toBe(4);
    slices.deliverTo(0, new Push("dm")); // 0 got "big" already: nothing waits for it
    slices.deliverTo(5, new Push("dm")); // 5 still waits for "big": queued behind it
    expect(r.got.get(0)).toEqual(["big", "dm"]);
    expect(r.got.get(5)).toBeUndefined();
    expect(slices.backlog).toBe(5);
  });

  it("writes every frame waiting for a target in its one turn, so later fan-outs cost fewer turns", async () => {
    const calls: string[] = [];
    const slices = new SlicedDelivery<number>((target, push) => calls.push(`${target}:${push.text}`), 2);
    for (const k of ["1", "2", "3"]) slices.deliver(new Push(k), range(6));
    // The first fan-out's first slice went at once; the two later ones found 0 and 1 idle again.
    expect(calls).toEqual(["0:1", "1:1", "0:2", "1:2", "0:3", "1:3"]);
    expect(slices.waitingTargets).toBe(4);
    expect(slices.backlog).toBe(12);
    calls.length = 0;
    let turns = 0;
    while (!slices.isIdle) {
      await nextTurn();
      turns += 1;
    }
    // Two turns of two targets, each target's three frames written together and in order.
    expect(turns).toBe(2);
    expect(calls).toEqual([2, 3, 4, 5].flatMap((target) => ["1", "2", "3"].map((k) => `${target}:${k}`)));
  });

  it("drops a target whose waiting frames pass the cap, once, and keeps serving the others", async () => {
    const r = recorder();
    const dropped: number[] = [];
    const slices = new SlicedDelivery(r.write, 1, { maxWaiting: 2, onOverflow: (t) => dropped.push(t) });
    slices.deliver(new Push("1"), [0, 1, 2]); // 0 at once; 1 and 2 wait
    slices.deliverTo(2, new Push("2")); // 2 now has two waiting
    slices.deliverTo(2, new Push("3")); // a third: over the cap
    expect(dropped).toEqual([2]);
    expect(slices.backlog).toBe(1);
    slices.deliverTo(2, new Push("4")); // nothing waits for 2 any more: written at once
    while (!slices.isIdle) await nextTurn();
    await nextTurn();
    expect(r.got.get(0)).toEqual(["1"]);
    expect(r.got.get(1)).toEqual(["1"]);
    expect(r.got.get(2)).toEqual(["4"]);
    expect(dropped).toEqual([2]);
  });

  it("refuses a slice size that is not a positive integer", () => {
    expect(() => new SlicedDelivery(() => {}, 0)).toThrow(/sliceSize/);
  });
});
