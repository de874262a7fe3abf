import { describe, expect, it } from "vitest";
import type { TMessage } from "~/trpc/types";
import { addMessage, attach, EMPTY_FEED, extendNewer, type TFeed } from "./feed-window.ts";

/** A message as history returns it (fields the server adds later are not needed here). */
function msg(seq: number, over: Partial<TMessage> = {}): TMessage {
  return {
    id: `m${seq}`,
    conversationId: "c1",
    seq,
    senderId: "u1",
    senderName: "Ana",
    clientMsgId: `c${seq}`,
    body: `message ${seq}`,
    threadRootId: null,
    replyCount: 0,
    editedAt: null,
    deletedAt: null,
    createdAt: new Date("2026-11-25T10:00:00Z"),
    attachments: [],
    reactions: [],
    ...over,
  } as TMessage;
}

const seqs = (messages: readonly TMessage[]) => messages.map((m) => m.seq);

function feed(over: Partial<TFeed>): TFeed {
  return { ...EMPTY_FEED, isComplete: true, hasMoreBefore: false, ...over };
}

describe("feed window", () => {
  it("appends live messages to an attached window once each, in seq order", () => {
    let f = feed({ messages: [msg(1), msg(2)] });
    f = addMessage(f, msg(4));
    f = addMessage(f, msg(3));
    f = addMessage(f, msg(4));
    expect(seqs(f.messages)).toEqual([1, 2, 3, 4]);
    expect(f.buffered).toEqual([]);
  });

  it("keeps live messages out of a detached window until it reaches the newest", () => {
    let f = feed({ messages: [msg(10), msg(11)], hasMoreAfter: true });
    f = addMessage(f, msg(50));
    f = addMessage(f, msg(51));
    expect(seqs(f.messages)).toEqual([10, 11]);
    expect(seqs(f.buffered)).toEqual([50, 51]);

    // A page that is not the last one: still detached, the live ones keep waiting.
    f = extendNewer(f, { messages: [msg(12), msg(13)], hasMoreBefore: true, hasMoreAfter: true });
    expect(seqs(f.messages)).toEqual([10, 11, 12, 13]);
    expect(f.hasMoreAfter).toBe(true);

    // The last page (read after 50 was stored, so it holds it too): they join, each once.
    f = extendNewer(f, { messages: [msg(14), msg(50)], hasMoreBefore: true, hasMoreAfter: false });
    expect(seqs(f.messages)).toEqual([10, 11, 12, 13, 14, 50, 51]);
    expect(f.hasMoreAfter).toBe(false);
    expect(f.buffered).toEqual([]);
    // Rows up to here came from pages: the list does not auto-scroll over them.
    expect(f.liveAfterSeq).toBe(51);

    // Attached again: the next live message appends.
    f = addMessage(f, msg(52));
    expect(seqs(f.messages).at(-1)).toBe(52);
  });

  it("jumping to the latest joins the newest page with what waited, the page's copy winning", () => {
    const waited = msg(41, { body: "as it arrived" });
    const f = attach(
      feed({
        messages: [msg(39), msg(40), msg(41, { body: "as the page has it" })],
        hasMoreAfter: true,
        buffered: [waited, msg(42)],
      }),
    );
    expect(seqs(f.messages)).toEqual([39, 40, 41, 42]);
    expect(f.messages.find((m) => m.seq === 41)?.body).toBe("as the page has it");
    expect(f.hasMoreAfter).toBe(false);
  });

  it("counts a live thread reply on its root, in the window or among the waiting ones", () => {
    let f = feed({ messages: [msg(1)], hasMoreAfter: true, buffered: [msg(30)] });
    f = addMessage(f, msg(31, { threadRootId: "m1" }));
    f = addMessage(f, msg(32, { threadRootId: "m30" }));
    expect(f.messages[0]?.replyCount).toBe(1);
    expect(f.buffered.find((m) => m.seq === 30)?.replyCount).toBe(1);
    expect(seqs(f.messages)).toEqual([1]);
  });
});
