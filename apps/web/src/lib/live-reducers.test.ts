import { decodeConversationEvent, EventKind, type TConversationEvent } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import type { TMessage } from "~/trpc/types";
import { EMPTY_FEED } from "./feed-window.ts";
import { applyToFeed, applyToThread, type TLiveEvent } from "./live-reducers.ts";

const C = "0190a8c4-0000-7000-8000-0000000000c1";
const ROOT = "0190a8c4-0000-7000-8000-0000000000a1";
const U = "0190a8c4-0000-7000-8000-0000000000b1";

function msg(seq: number, over: Partial<TMessage> = {}): TMessage {
  return {
    id: `0190a8c4-0000-7000-8000-${String(seq).padStart(12, "0")}`,
    conversationId: C,
    seq,
    senderId: U,
    senderName: "Uma",
    clientMsgId: `c${seq}`,
    body: `message ${seq}`,
    threadRootId: null,
    alsoInChannel: false,
    replyCount: 0,
    lastReplyAt: null,
    mentionedUserIds: [],
    mentionsAll: false,
    pinnedAt: null,
    pinnedById: null,
    editedAt: null,
    deletedAt: null,
    createdAt: new Date("2026-11-29T10:00:00Z"),
    attachments: [],
    reactions: [],
    linkPreview: null,
    ...over,
  };
}

/** A wire frame as the protocol decodes it (the reducers' input); fails the test if it does not decode. */
function decoded(frame: TConversationEvent): TLiveEvent {
  const event = decodeConversationEvent(frame);
  if (!event) throw new Error(`frame does not decode: ${JSON.stringify(frame)}`);
  return event;
}

function ev(seq: number, kind: string, payload: Record<string, unknown>): TLiveEvent {
  return decoded({
    type: "event",
    conversationId: C,
    seq,
    kind,
    actorId: U,
    createdAt: "2026-11-29T10:05:00.000Z",
    payload,
  });
}

function created(seq: number, message: Record<string, unknown>): TLiveEvent {
  return decoded({
    type: "event",
    conversationId: C,
    seq,
    kind: EventKind.MessageCreated,
    actorId: U,
    createdAt: "2026-11-29T10:05:00.000Z",
    payload: {
      message: {
        id: `0190a8c4-0000-7000-8000-${String(seq).padStart(12, "0")}`,
        senderId: U,
        senderName: "Uma",
        clientMsgId: `c${seq}`,
        body: `reply ${seq}`,
        createdAt: "2026-11-29T10:05:00.000Z",
        ...message,
      },
    },
  });
}

const root = msg(1, { id: ROOT });

describe("applyToFeed (channel history) with thread replies", () => {
  const feed = { ...EMPTY_FEED, messages: [root, msg(2)], hasMoreBefore: false, isComplete: true };

  it("keeps a thread-only reply out of the channel but bumps its root's count and last reply time", () => {
    const next = applyToFeed(feed, created(3, { threadRootId: ROOT }));
    expect(next.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(next.messages[0]).toMatchObject({
      replyCount: 1,
      lastReplyAt: new Date("2026-11-29T10:05:00.000Z"),
    });
  });

  it("shows a reply sent also to the channel, once, even when the event is replayed", () => {
    const event = created(3, { threadRootId: ROOT, alsoInChannel: true });
    const once = applyToFeed(feed, event);
    const twice = applyToFeed(once, event);
    expect(twice.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(twice.messages[2]?.alsoInChannel).toBe(true);
    expect(twice.messages[0]?.replyCount).toBe(1);
  });

  it("marks and unmarks a pinned message from message.pinned / message.unpinned", () => {
    const pinned = applyToFeed(
      feed,
      ev(3, EventKind.MessagePinned, {
        messageId: ROOT,
        pinnedAt: "2026-11-29T10:06:00.000Z",
        pinnedById: U,
      }),
    );
    expect(pinned.messages[0]).toMatchObject({
      pinnedAt: new Date("2026-11-29T10:06:00.000Z"),
      pinnedById: U,
    });
    const unpinned = applyToFeed(pinned, ev(4, EventKind.MessageUnpinned, { messageId: ROOT }));
    expect(unpinned.messages[0]).toMatchObject({ pinnedAt: null, pinnedById: null });
  });

  it("sets and removes a link preview from message.preview, and a delete drops it", () => {
    const preview = {
      url: "https://example.com/",
      title: "Example",
      description: null,
      imageUrl: "https://example.com/cover.png",
      siteName: null,
      image: { width: 480, height: 252 },
    };
    const shown = applyToFeed(feed, ev(3, EventKind.MessagePreview, { messageId: ROOT, preview }));
    expect(shown.messages[0]?.linkPreview).toEqual(preview);
    const removed = applyToFeed(shown, ev(4, EventKind.MessagePreview, { messageId: ROOT, preview: null }));
    expect(removed.messages[0]?.linkPreview).toBeNull();
    const deleted = applyToFeed(
      shown,
      ev(5, EventKind.MessageDeleted, { messageId: ROOT, deletedAt: "2026-11-29T10:07:00.000Z" }),
    );
    expect(deleted.messages[0]?.linkPreview).toBeNull();
  });

  it("takes an edit's mentions with its body, and clears them on delete (as history shows them)", () => {
    const edited = applyToFeed(
      feed,
      ev(3, EventKind.MessageEdited, {
        messageId: ROOT,
        body: "hey <!here>",
        editedAt: "2026-11-29T10:07:00.000Z",
        mentionedUserIds: [U],
        mentionsAll: true,
      }),
    );
    expect(edited.messages[0]).toMatchObject({
      body: "hey <!here>",
      mentionedUserIds: [U],
      mentionsAll: true,
    });
    const deleted = applyToFeed(
      edited,
      ev(4, EventKind.MessageDeleted, { messageId: ROOT, deletedAt: "2026-11-29T10:08:00.000Z" }),
    );
    expect(deleted.messages[0]).toMatchObject({ body: "", mentionedUserIds: [], mentionsAll: false });
  });
});

describe("applyToThread", () => {
  const thread = { root, replies: [msg(2, { threadRootId: ROOT })], hasMoreBefore: false };

  it("adds a reply by seq and counts it once, whatever it was sent to", () => {
    const event = created(5, { threadRootId: ROOT, alsoInChannel: true });
    const once = applyToThread(thread, event);
    const twice = applyToThread(once, event);
    expect(twice.replies.map((m) => m.seq)).toEqual([2, 5]);
    expect(twice.root.replyCount).toBe(1);
  });

  it("ignores other threads, top-level messages and other conversations", () => {
    expect(applyToThread(thread, created(5, { threadRootId: "0190a8c4-0000-7000-8000-0000000000ff" }))).toBe(
      thread,
    );
    expect(applyToThread(thread, created(5, {}))).toBe(thread);
    expect(
      applyToThread(thread, {
        ...created(5, { threadRootId: ROOT }),
        conversationId: "0190a8c4-0000-7000-8000-0000000000c2",
      }),
    ).toBe(thread);
  });

  it("applies edits and deletes to the root and to replies", () => {
    const edited = applyToThread(
      thread,
      ev(6, EventKind.MessageEdited, {
        messageId: thread.replies[0]?.id,
        body: "fixed typo",
        editedAt: "2026-11-29T10:08:00.000Z",
      }),
    );
    expect(edited.replies[0]?.body).toBe("fixed typo");
    const deleted = applyToThread(
      edited,
      ev(7, EventKind.MessageDeleted, { messageId: ROOT, deletedAt: "2026-11-29T10:09:00.000Z" }),
    );
    expect(deleted.root).toMatchObject({ body: "", deletedAt: new Date("2026-11-29T10:09:00.000Z") });
    expect(deleted.replies[0]?.body).toBe("fixed typo");
  });

  it("a deleted reply lowers the root's reply count and moves its last reply time; a delete unpins", () => {
    const pinned = { ...thread, root: { ...thread.root, pinnedAt: new Date(), pinnedById: U } };
    const replyId = thread.replies[0]?.id;
    const after = applyToThread(
      pinned,
      ev(8, EventKind.MessageDeleted, {
        messageId: replyId,
        deletedAt: "2026-11-29T10:10:00.000Z",
        threadRootId: ROOT,
        replyCount: 0,
        lastReplyAt: null,
      }),
    );
    expect(after.root).toMatchObject({ replyCount: 0, lastReplyAt: null });
    expect(after.replies[0]).toMatchObject({
      id: replyId,
      body: "",
      deletedAt: new Date("2026-11-29T10:10:00.000Z"),
    });
    const rootGone = applyToThread(
      pinned,
      ev(9, EventKind.MessageDeleted, { messageId: ROOT, deletedAt: "2026-11-29T10:11:00.000Z" }),
    );
    expect(rootGone.root).toMatchObject({ pinnedAt: null, pinnedById: null });
  });
});

describe("member.updated", () => {
  it("puts the sender's new name on their messages (and only theirs), in history and threads", () => {
    const other = "0190a8c4-0000-7000-8000-0000000000b2";
    const feed = { ...EMPTY_FEED, messages: [msg(1), msg(2, { senderId: other, senderName: "Olga" })] };
    const renamed = ev(3, EventKind.MemberUpdated, { userId: U, name: "Uma Lee", title: "", avatarId: null });
    const next = applyToFeed(feed, renamed);
    expect(next.messages.map((m) => m.senderName)).toEqual(["Uma Lee", "Olga"]);
    // Already current: the same object (nothing re-renders).
    expect(applyToFeed(next, renamed)).toBe(next);
    const thread = { root: msg(1), replies: [msg(2, { threadRootId: msg(1).id })], hasMoreBefore: false };
    const patched = applyToThread(thread, renamed);
    expect([patched.root.senderName, patched.replies[0]?.senderName]).toEqual(["Uma Lee", "Uma Lee"]);
  });
});
