import { describe, expect, it } from "vitest";
import { receiptCursors } from "./relay.ts";

const sends = new Map([
  ["bob", true],
  ["cy", false],
]);

describe("receiptCursors", () => {
  it("in a DM: reading implies delivered; an opted-out member's read is never sent", () => {
    const moves = new Map([
      ["bob", { readSeq: 4 }],
      ["cy", { readSeq: 6, deliveredSeq: 3 }],
    ]);
    expect(receiptCursors("group_dm", moves, sends)).toEqual({
      full: [
        { userId: "bob", deliveredSeq: 4, readSeq: 4 },
        { userId: "cy", deliveredSeq: 6 },
      ],
      deliveredOnly: [
        { userId: "bob", deliveredSeq: 4 },
        { userId: "cy", deliveredSeq: 6 },
      ],
    });
  });

  it("in a channel: read cursors only, and nothing for opted-out viewers", () => {
    const moves = new Map([
      ["bob", { readSeq: 9 }],
      ["cy", { readSeq: 2 }],
    ]);
    expect(receiptCursors("public_channel", moves, sends)).toEqual({
      full: [{ userId: "bob", readSeq: 9 }],
      deliveredOnly: [],
    });
  });
});
