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

  it("refuses a slice size that is not a positive integer", () => {
    expect(() => new SlicedDelivery(() => {}, 0)).toThrow(/sliceSize/);
  });
});
