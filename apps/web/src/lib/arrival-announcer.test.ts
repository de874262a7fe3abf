import { describe, expect, it } from "vitest";
import { arrivalSummary, createArrivalAnnouncer, type TAnnounceClock } from "./arrival-announcer";

/** A clock whose time only moves when the test says so. */
function fakeClock() {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const clock: TAnnounceClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(next, { at: now + ms, fn });
      return next++;
    },
    clearTimeout: (handle) => {
      timers.delete(handle as number);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...timers]) {
      if (t.at <= now) {
        timers.delete(id);
        t.fn();
      }
    }
  };
  return { clock, advance, pendingTimers: () => timers.size };
}

describe("arrivalSummary", () => {
  it("counts messages and names each sender once, in arrival order", () => {
    expect(arrivalSummary(["Alice"])).toBe("1 new message from Alice");
    expect(arrivalSummary(["Alice", "Bob", "Alice"])).toBe("3 new messages from Alice and Bob");
    expect(arrivalSummary(["Alice", "Bob", "Carol"])).toBe("3 new messages from Alice, Bob and Carol");
    expect(arrivalSummary(["A", "B", "C", "D", "E", "A"])).toBe("6 new messages from A, B and 3 others");
  });
});

describe("createArrivalAnnouncer", () => {
  it("says the first arrival after a quiet spell at once", () => {
    const { clock } = fakeClock();
    const said: string[] = [];
    const announcer = createArrivalAnnouncer((t) => said.push(t), clock, 5_000);
    announcer.add(["Alice"]);
    expect(said).toEqual(["1 new message from Alice"]);
  });

  it("summarises a burst in one announcement per interval", () => {
    const { clock, advance } = fakeClock();
    const said: string[] = [];
    const announcer = createArrivalAnnouncer((t) => said.push(t), clock, 5_000);
    announcer.add(["Alice"]);
    for (let i = 0; i < 20; i++) {
      advance(200);
      announcer.add([i % 2 ? "Alice" : "Bob"]);
    }
    // 4 s in: only the first message was said.
    expect(said).toHaveLength(1);
    advance(1_000);
    expect(said).toEqual(["1 new message from Alice", "20 new messages from Bob and Alice"]);
    advance(60_000);
    expect(said).toHaveLength(2);
  });

  it("says nothing after dispose", () => {
    const { clock, advance, pendingTimers } = fakeClock();
    const said: string[] = [];
    const announcer = createArrivalAnnouncer((t) => said.push(t), clock, 5_000);
    announcer.add(["Alice"]);
    announcer.add(["Bob"]);
    announcer.dispose();
    expect(pendingTimers()).toBe(0);
    advance(10_000);
    expect(said).toEqual(["1 new message from Alice"]);
  });
});
