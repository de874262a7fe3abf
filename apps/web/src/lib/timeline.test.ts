import { describe, expect, it } from "vitest";
import {
  inSeqOrder,
  isContinuation,
  mergeBySeq,
  newClientMsgId,
  type TTimelineMessage,
  typingText,
  unconfirmed,
} from "./timeline.ts";

const at = (iso: string) => new Date(iso);

function msg(seq: number, over: Partial<TTimelineMessage> = {}): TTimelineMessage {
  return {
    seq,
    senderId: "u1",
    clientMsgId: `c${seq}`,
    editedAt: null,
    deletedAt: null,
    replyCount: 0,
    createdAt: at("2026-01-01T10:00:00Z"),
    ...over,
  };
}

describe("timeline", () => {
  it("orders by seq whatever the arrival order and stores a seq once", () => {
    const bySeq = new Map<number, TTimelineMessage>();
    expect(mergeBySeq(bySeq, [msg(3), msg(1)])).toBe(true);
    expect(mergeBySeq(bySeq, [msg(2), msg(3)])).toBe(true);
    expect(inSeqOrder(bySeq).map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("reports no change when a poll brings the same messages again", () => {
    const bySeq = new Map<number, TTimelineMessage>();
    mergeBySeq(bySeq, [msg(1), msg(2)]);
    expect(mergeBySeq(bySeq, [msg(1), { ...msg(2), createdAt: "2026-01-01T10:00:00.000Z" }])).toBe(false);
  });

  it("replaces a message when it was edited or deleted", () => {
    const bySeq = new Map<number, TTimelineMessage>();
    mergeBySeq(bySeq, [msg(1)]);
    expect(mergeBySeq(bySeq, [msg(1, { editedAt: at("2026-01-01T10:01:00Z") })])).toBe(true);
    expect(bySeq.get(1)?.editedAt).toEqual(at("2026-01-01T10:01:00Z"));
    expect(
      mergeBySeq(bySeq, [
        msg(1, { editedAt: at("2026-01-01T10:01:00Z"), deletedAt: at("2026-01-01T10:02:00Z") }),
      ]),
    ).toBe(true);
  });

  it("hides an outbox entry once its clientMsgId is in history", () => {
    const pending = [{ clientMsgId: "c2" }, { clientMsgId: "c9" }];
    expect(unconfirmed(pending, [msg(1), msg(2)])).toEqual([{ clientMsgId: "c9" }]);
  });

  it("groups consecutive messages of one sender within five minutes", () => {
    const first = msg(1);
    expect(isContinuation(undefined, first)).toBe(false);
    expect(isContinuation(first, msg(2, { createdAt: at("2026-01-01T10:04:59Z") }))).toBe(true);
    expect(isContinuation(first, msg(2, { createdAt: at("2026-01-01T10:05:00Z") }))).toBe(false);
    expect(isContinuation(first, msg(2, { senderId: "u2" }))).toBe(false);
    expect(isContinuation(msg(1, { deletedAt: at("2026-01-01T10:00:01Z") }), msg(2))).toBe(false);
  });

  it("makes v4 UUIDs for clientMsgId", () => {
    const id = newClientMsgId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newClientMsgId()).not.toBe(id);
  });
});

describe("typingText", () => {
  it("names one or two typists and counts more", () => {
    expect(typingText([])).toBe("");
    expect(typingText(["Ana"])).toBe("Ana is typing…");
    expect(typingText(["Ana", "Ben"])).toBe("Ana and Ben are typing…");
    expect(typingText(["Ana", "Ben", "Cy"])).toBe("Several people are typing…");
  });
});
