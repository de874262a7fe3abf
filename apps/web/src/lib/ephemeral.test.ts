import { describe, expect, it } from "vitest";
import { placeEphemerals, type TEphemeral } from "./ephemeral.ts";

const eph = (id: string, afterSeq: number): TEphemeral => ({
  id,
  conversationId: "c",
  senderId: "bot",
  senderName: "Bot",
  body: id,
  threadRootId: null,
  command: "deploy",
  at: "2026-12-06T10:00:00.000Z",
  afterSeq,
});

const order = (out: ReturnType<typeof placeEphemerals<number>>) =>
  out.map((x) => ("message" in x ? x.message : x.ephemeral.id));

describe("placeEphemerals", () => {
  it("puts each answer right after the newest message it arrived after, later messages below it", () => {
    const out = placeEphemerals([1, 2, 3, 4], (seq) => seq, [eph("b", 2), eph("a", 2), eph("z", 4)], false);
    expect(order(out)).toEqual([1, 2, "b", "a", 3, 4, "z"]);
  });

  it("keeps one that arrived before any message at the top of a complete history", () => {
    expect(order(placeEphemerals([5, 6], (seq) => seq, [eph("first", 0)], false))).toEqual(["first", 5, 6]);
  });

  it("leaves out one whose place is above the loaded window while older pages exist", () => {
    expect(order(placeEphemerals([50, 51], (seq) => seq, [eph("old", 10), eph("new", 50)], true))).toEqual([
      50,
      "new",
      51,
    ]);
  });

  it("with no messages, shows them all in arrival order of their place", () => {
    expect(order(placeEphemerals([], (seq: number) => seq, [eph("x", 0), eph("y", 0)], false))).toEqual([
      "x",
      "y",
    ]);
  });
});
