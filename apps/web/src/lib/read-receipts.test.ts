import { describe, expect, it } from "vitest";
import { applyReceipts, seenBy, type TReceiptState, tickState } from "./read-receipts";

const bob = { userId: "bob", name: "Bob", deliveredSeq: 0, readSeq: 0 };
const cy = { userId: "cy", name: "Cy", deliveredSeq: 0, readSeq: 0 };

describe("tickState", () => {
  it("moves sent → delivered → seen as the other member's cursors pass the message", () => {
    expect(tickState(5, [bob])).toBe("sent");
    expect(tickState(5, [{ ...bob, deliveredSeq: 4 }])).toBe("sent");
    expect(tickState(5, [{ ...bob, deliveredSeq: 5 }])).toBe("delivered");
    expect(tickState(5, [{ ...bob, deliveredSeq: 9, readSeq: 5 }])).toBe("seen");
  });

  it("in a group DM, one member is enough for each step", () => {
    expect(tickState(3, [bob, { ...cy, deliveredSeq: 3 }])).toBe("delivered");
    expect(
      tickState(3, [
        { ...bob, deliveredSeq: 3 },
        { ...cy, readSeq: 7 },
      ]),
    ).toBe("seen");
  });

  it("never says seen when read cursors are hidden", () => {
    expect(tickState(2, [{ ...bob, deliveredSeq: 5, readSeq: null }])).toBe("delivered");
    expect(tickState(2, [])).toBe("sent");
  });
});

describe("seenBy", () => {
  it("names the members who read up to the message, never the sender or hidden cursors", () => {
    const members = [
      { ...bob, readSeq: 8 },
      { ...cy, readSeq: 3 },
      { userId: "di", name: "Di", deliveredSeq: 0, readSeq: null },
    ];
    expect(seenBy(5, members, "me")).toEqual(["Bob"]);
    expect(seenBy(3, members, "me")).toEqual(["Bob", "Cy"]);
    expect(seenBy(3, members, "bob")).toEqual(["Cy"]);
  });
});

describe("applyReceipts", () => {
  const state: TReceiptState = {
    conversationId: "c",
    isAvailable: true,
    sendsReadReceipts: true,
    members: [bob, cy],
  };

  it("moves cursors forward only, and reading implies delivered", () => {
    const next = applyReceipts(state, {
      type: "receipts",
      conversationId: "c",
      cursors: [{ userId: "bob", readSeq: 4 }],
    });
    expect(next.members[0]).toEqual({ ...bob, deliveredSeq: 4, readSeq: 4 });
    const late = applyReceipts(next, {
      type: "receipts",
      conversationId: "c",
      cursors: [{ userId: "bob", readSeq: 2 }],
    });
    expect(late).toBe(next);
  });

  it("ignores other conversations, unknown members, and reads while the viewer opted out", () => {
    const other = {
      type: "receipts" as const,
      conversationId: "x",
      cursors: [{ userId: "bob", readSeq: 4 }],
    };
    expect(applyReceipts(state, other)).toBe(state);
    const stranger = {
      type: "receipts" as const,
      conversationId: "c",
      cursors: [{ userId: "zed", readSeq: 4 }],
    };
    expect(applyReceipts(state, stranger)).toBe(state);
    const optedOut = { ...state, sendsReadReceipts: false, members: [{ ...bob, readSeq: null }] };
    const next = applyReceipts(optedOut, {
      type: "receipts",
      conversationId: "c",
      cursors: [{ userId: "bob", readSeq: 6 }],
    });
    expect(next.members[0]).toEqual({ ...bob, deliveredSeq: 6, readSeq: null });
  });
});
