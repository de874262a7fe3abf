import { randomUUID } from "node:crypto";
import { broadcastMentionToken, userMentionToken } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import {
  archiveConversation,
  createChannel,
  getConversation,
  leaveConversation,
  listMembers,
  listMyConversations,
  openDm,
  setMuted,
} from "../src/conversations.ts";
import type { TUserEventRecord } from "../src/events.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { editMessage } from "../src/messages/edit.ts";
import { pinMessage, unpinMessage } from "../src/messages/pins.ts";
import { markRead } from "../src/messages/read.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory, getThread, listPins } from "../src/messages.ts";
import { syncSince } from "../src/sync.ts";
import { getMe, listAllUsers, setStatus } from "../src/users.ts";
import { channelName, expectParley, logCounts, newActor, stored, useTestDb } from "./helpers.ts";

const t = useTestDb();
const { bus, published } = t;

type SendOptions = { threadRootId?: string; alsoInChannel?: boolean };
const send = async (actor: TActor, conversationId: string, body = "hi", options: SendOptions = {}) =>
  stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body, ...options }));

/** A private channel of alice (owner) and bob. */
async function setup() {
  const alice = await newActor(t.db);
  const bob = await newActor(t.db);
  const ch = await createChannel(t.db, alice, {
    name: channelName(),
    isPrivate: true,
    memberIds: [bob.userId],
  });
  return { alice, bob, ch };
}

async function counts(actor: TActor, conversationId: string) {
  const c = await getConversation(t.db, actor, { conversationId });
  return { unread: c.unreadCount, mentions: c.mentionCount };
}

describe("threads", () => {
  it("keeps thread-only replies out of history, shows alsoInChannel ones, and counts replies on the root", async () => {
    const { alice, bob, ch } = await setup();
    const root = await send(alice, ch.id, "root");
    const r1 = await send(bob, ch.id, "reply one", { threadRootId: root.id });
    const r2 = await send(alice, ch.id, "reply two, also in channel", {
      threadRootId: root.id,
      alsoInChannel: true,
    });
    const after = await send(bob, ch.id, "after");
    expect(r1.alsoInChannel).toBe(false);
    expect(r2).toMatchObject({ threadRootId: root.id, alsoInChannel: true });

    const history = await getHistory(t.db, bob, { conversationId: ch.id });
    expect(history.messages.map((m) => m.id)).toEqual([root.id, r2.id, after.id]);
    const rootDto = history.messages[0]!;
    expect(rootDto.replyCount).toBe(2);
    expect(rootDto.lastReplyAt?.getTime()).toBe(r2.createdAt.getTime());
    // Paging by seq also skips the thread-only reply.
    const older = await getHistory(t.db, bob, { conversationId: ch.id, before: after.seq, limit: 1 });
    expect(older.messages.map((m) => m.id)).toEqual([r2.id]);
    expect(older.hasMoreBefore).toBe(true);

    const thread = await getThread(t.db, bob, { rootId: root.id });
    expect(thread.root.id).toBe(root.id);
    expect(thread.replies.map((m) => m.id)).toEqual([r1.id, r2.id]);
    expect(thread.hasMoreBefore).toBe(false);
  });

  it("pages a thread newest first, returning replies ascending", async () => {
    const { alice, ch } = await setup();
    const root = await send(alice, ch.id, "root");
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await send(alice, ch.id, `r${i}`, { threadRootId: root.id }));
    const page = await getThread(t.db, alice, { rootId: root.id, limit: 2 });
    expect(page.replies.map((m) => m.body)).toEqual(["r3", "r4"]);
    expect(page.hasMoreBefore).toBe(true);
    const older = await getThread(t.db, alice, { rootId: root.id, before: page.replies[0]!.seq, limit: 3 });
    expect(older.replies.map((m) => m.body)).toEqual(["r0", "r1", "r2"]);
    expect(older.hasMoreBefore).toBe(false);
  });

  it("carries the new fields in the message.created payload", async () => {
    const { alice, bob, ch } = await setup();
    const root = await send(alice, ch.id, "root");
    const seen = await published(ch.id, () =>
      send(bob, ch.id, `${userMentionToken(alice.userId)} look`, {
        threadRootId: root.id,
        alsoInChannel: true,
      }),
    );
    expect(seen[0]!.payload.message).toMatchObject({
      threadRootId: root.id,
      alsoInChannel: true,
      lastReplyAt: null,
      mentionedUserIds: [alice.userId],
      mentionsAll: false,
      pinnedAt: null,
      pinnedById: null,
    });
  });

  it("refuses alsoInChannel without a thread root, writing nothing", async () => {
    const { alice, ch } = await setup();
    const before = await logCounts(t.db);
    await expectParley(send(alice, ch.id, "x", { alsoInChannel: true }), "BAD_REQUEST", /alsoInChannel/);
    expect(await logCounts(t.db)).toEqual(before);
  });

  it("lets readers of a public channel read its threads and forbids non-members of a private one", async () => {
    const { alice, ch } = await setup();
    const outsider = await newActor(t.db);
    const root = await send(alice, ch.id, "secret root");
    await send(alice, ch.id, "secret reply", { threadRootId: root.id });
    await expectParley(getThread(t.db, outsider, { rootId: root.id }), "NOT_FOUND");
    await expectParley(getThread(t.db, outsider, { rootId: randomUUID() }), "NOT_FOUND");

    const pub = await createChannel(t.db, alice, { name: channelName() });
    const pubRoot = await send(alice, pub.id, "public root");
    await send(alice, pub.id, "public reply", { threadRootId: pubRoot.id });
    const page = await getThread(t.db, outsider, { rootId: pubRoot.id });
    expect(page.replies.map((m) => m.body)).toEqual(["public reply"]);
  });

  it("refuses to open a thread on a reply", async () => {
    const { alice, ch } = await setup();
    const root = await send(alice, ch.id, "root");
    const reply = await send(alice, ch.id, "reply", { threadRootId: root.id });
    await expectParley(getThread(t.db, alice, { rootId: reply.id }), "BAD_REQUEST");
  });
});

describe("deleting replies and pinned messages", () => {
  it("recounts the root's replies and last reply time in the delete, and tells clients in message.deleted", async () => {
    const { alice, bob, ch } = await setup();
    const root = await send(alice, ch.id, "root");
    const r1 = await send(bob, ch.id, "one", { threadRootId: root.id });
    const r2 = await send(alice, ch.id, "two", { threadRootId: root.id, alsoInChannel: true });
    const r3 = await send(bob, ch.id, "three", { threadRootId: root.id });
    const rootNow = async () => (await getThread(t.db, alice, { rootId: root.id })).root;
    expect(await rootNow()).toMatchObject({ replyCount: 3, lastReplyAt: r3.createdAt });
    const seqBefore = (await getConversation(t.db, alice, { conversationId: ch.id })).lastSeq;

    // The latest reply: the root's last reply time moves back to the one before.
    const seen = await published(ch.id, async () => {
      const deleted = await deleteMessage(t.db, bob, { messageId: r3.id });
      expect(deleted.thread).toEqual({ threadRootId: root.id, replyCount: 2, lastReplyAt: r2.createdAt });
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: "message.deleted", seq: seqBefore + 1 });
    expect(seen[0]!.payload).toEqual({
      messageId: r3.id,
      deletedAt: expect.any(Date),
      threadRootId: root.id,
      replyCount: 2,
      lastReplyAt: r2.createdAt,
    });
    expect(await rootNow()).toMatchObject({ replyCount: 2, lastReplyAt: r2.createdAt });

    // An older reply: the count drops, the last reply time stays.
    await deleteMessage(t.db, bob, { messageId: r1.id });
    expect(await rootNow()).toMatchObject({ replyCount: 1, lastReplyAt: r2.createdAt });

    // The last one left: no replies, no last reply time.
    const last = await published(ch.id, () => deleteMessage(t.db, alice, { messageId: r2.id }));
    expect(last[0]!.payload).toMatchObject({ threadRootId: root.id, replyCount: 0, lastReplyAt: null });
    expect(await rootNow()).toMatchObject({ replyCount: 0, lastReplyAt: null });

    // Deleting it again writes nothing and repeats the answer.
    const before = await logCounts(t.db);
    const again = await deleteMessage(t.db, alice, { messageId: r2.id });
    expect(again.thread).toEqual({ threadRootId: root.id, replyCount: 0, lastReplyAt: null });
    expect(await logCounts(t.db)).toEqual(before);

    // A later reply counts from the live ones.
    const r4 = await send(bob, ch.id, "four", { threadRootId: root.id });
    expect(await rootNow()).toMatchObject({ replyCount: 1, lastReplyAt: r4.createdAt });

    // A device that was away gets the same counters from the log.
    const replay = await syncSince(t.db, bob, { cursors: { [ch.id]: seqBefore } });
    const replayed = replay.conversations[0]!.events.filter((e) => e.kind === "message.deleted");
    expect(replayed.map((e) => [e.payload.messageId, e.payload.replyCount, e.payload.lastReplyAt])).toEqual([
      [r3.id, 2, r2.createdAt.toISOString()],
      [r1.id, 1, r2.createdAt.toISOString()],
      [r2.id, 0, null],
    ]);
  });

  it("leaves thread fields out when deleting a top-level message", async () => {
    const { alice, ch } = await setup();
    const root = await send(alice, ch.id, "root");
    await send(alice, ch.id, "reply", { threadRootId: root.id });
    const seen = await published(ch.id, async () => {
      expect((await deleteMessage(t.db, alice, { messageId: root.id })).thread).toBeNull();
    });
    expect(seen.map((e) => e.payload)).toEqual([{ messageId: root.id, deletedAt: expect.any(Date) }]);
  });

  it("unpins a pinned message it deletes, with message.deleted as the only event", async () => {
    const { alice, bob, ch } = await setup();
    const kept = await send(alice, ch.id, "kept");
    const doomed = await send(alice, ch.id, "doomed");
    await pinMessage(t.db, bob, { messageId: kept.id });
    await pinMessage(t.db, bob, { messageId: doomed.id });

    const seen = await published(ch.id, () => deleteMessage(t.db, alice, { messageId: doomed.id }));
    expect(seen.map((e) => e.kind)).toEqual(["message.deleted"]);
    const row = await t.db.message.findUniqueOrThrow({
      where: { id: doomed.id },
      select: { pinnedAt: true, pinnedById: true, deletedAt: true },
    });
    expect(row).toEqual({ pinnedAt: null, pinnedById: null, deletedAt: expect.any(Date) });
    expect((await listPins(t.db, bob, { conversationId: ch.id })).map((m) => m.id)).toEqual([kept.id]);
    const history = await getHistory(t.db, bob, { conversationId: ch.id });
    expect(history.messages.find((m) => m.id === doomed.id)).toMatchObject({
      pinnedAt: null,
      pinnedById: null,
    });
    expect(history.messages.find((m) => m.id === kept.id)?.pinnedAt).toBeInstanceOf(Date);
  });
});

describe("mention and unread counts", () => {
  it("counts mentions of the reader and @channel, not own messages, not others' mentions, and read clears them", async () => {
    const { alice, bob, ch } = await setup();
    const carol = await newActor(t.db);
    await send(alice, ch.id, "plain");
    await send(alice, ch.id, `hey ${userMentionToken(bob.userId)}`);
    await send(alice, ch.id, `all: ${broadcastMentionToken("channel")}`);
    await send(alice, ch.id, `${broadcastMentionToken("here")} and ${broadcastMentionToken("everyone")}`);
    await send(bob, ch.id, `me: ${userMentionToken(bob.userId)} ${broadcastMentionToken("channel")}`);
    // carol is not a member: her mention is ignored (stored without her).
    const toCarol = await send(alice, ch.id, `fyi ${userMentionToken(carol.userId)}`);
    expect(toCarol.mentionedUserIds).toEqual([]);

    expect(await counts(bob, ch.id)).toEqual({ unread: 5, mentions: 3 });
    // alice's own messages never count for her; bob's one mentions everyone.
    expect(await counts(alice, ch.id)).toEqual({ unread: 1, mentions: 1 });

    const list = await listMyConversations(t.db, bob);
    expect(list.find((c) => c.id === ch.id)).toMatchObject({ unreadCount: 5, mentionCount: 3 });

    const last = await send(alice, ch.id, "last");
    await markRead(t.db, bob, { conversationId: ch.id, seq: last.seq });
    expect(await counts(bob, ch.id)).toEqual({ unread: 0, mentions: 0 });
  });

  it("counts mentions in thread replies but not thread-only replies as unread", async () => {
    const { alice, bob, ch } = await setup();
    const root = await send(bob, ch.id, "root");
    const readTo = root.seq;
    await markRead(t.db, bob, { conversationId: ch.id, seq: readTo });
    await send(alice, ch.id, `${userMentionToken(bob.userId)} in thread`, { threadRootId: root.id });
    await send(alice, ch.id, "quiet reply", { threadRootId: root.id });
    await send(alice, ch.id, `${userMentionToken(bob.userId)} shown too`, {
      threadRootId: root.id,
      alsoInChannel: true,
    });
    expect(await counts(bob, ch.id)).toEqual({ unread: 1, mentions: 2 });
  });

  it("treats every unread DM message as a mention", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const dm = await openDm(t.db, alice, { userIds: [bob.userId] });
    await send(alice, dm.id, "one");
    await send(alice, dm.id, "two");
    await send(bob, dm.id, "mine");
    expect(await counts(bob, dm.id)).toEqual({ unread: 2, mentions: 2 });
  });

  it("recomputes mentions on edit", async () => {
    const { alice, bob, ch } = await setup();
    const message = await send(alice, ch.id, "no one yet");
    expect(await counts(bob, ch.id)).toEqual({ unread: 1, mentions: 0 });
    const seen = await published(ch.id, () =>
      editMessage(t.db, alice, { messageId: message.id, body: `now ${userMentionToken(bob.userId)}` }),
    );
    expect(seen[0]!.payload).toMatchObject({ mentionedUserIds: [bob.userId], mentionsAll: false });
    expect(await counts(bob, ch.id)).toEqual({ unread: 1, mentions: 1 });
    await editMessage(t.db, alice, { messageId: message.id, body: "never mind" });
    expect(await counts(bob, ch.id)).toEqual({ unread: 1, mentions: 0 });
  });
});

describe("pins", () => {
  it("pins and unpins with one event each, idempotently, and lists pins newest first", async () => {
    const { alice, bob, ch } = await setup();
    const first = await send(alice, ch.id, "first");
    const second = await send(alice, ch.id, "second");
    const seqBefore = (await getConversation(t.db, alice, { conversationId: ch.id })).lastSeq;

    const seen = await published(ch.id, async () => {
      const pinned = await pinMessage(t.db, bob, { messageId: first.id });
      expect(pinned).toMatchObject({ isChanged: true, seq: seqBefore + 1, pinnedById: bob.userId });
      const again = await pinMessage(t.db, alice, { messageId: first.id });
      expect(again).toMatchObject({ isChanged: false, seq: null, pinnedById: bob.userId });
      await pinMessage(t.db, alice, { messageId: second.id });
    });
    expect(seen.map((e) => [e.kind, e.seq, e.payload.messageId, e.payload.pinnedById])).toEqual([
      ["message.pinned", seqBefore + 1, first.id, bob.userId],
      ["message.pinned", seqBefore + 2, second.id, alice.userId],
    ]);
    expect(typeof (seen[0]!.payload.pinnedAt as Date).getTime()).toBe("number");

    const pins = await listPins(t.db, bob, { conversationId: ch.id });
    expect(pins.map((m) => m.id)).toEqual([second.id, first.id]);
    expect(pins[1]).toMatchObject({ pinnedById: bob.userId });
    expect(pins[1]!.pinnedAt).toBeInstanceOf(Date);

    const unpinned = await published(ch.id, () => unpinMessage(t.db, alice, { messageId: first.id }));
    expect(unpinned.map((e) => [e.kind, e.payload])).toEqual([["message.unpinned", { messageId: first.id }]]);
    const before = await logCounts(t.db);
    expect(await unpinMessage(t.db, alice, { messageId: first.id })).toMatchObject({ isChanged: false });
    expect(await logCounts(t.db)).toEqual(before);
    expect((await listPins(t.db, alice, { conversationId: ch.id })).map((m) => m.id)).toEqual([second.id]);
    const history = await getHistory(t.db, alice, { conversationId: ch.id });
    expect(history.messages.find((m) => m.id === first.id)).toMatchObject({
      pinnedAt: null,
      pinnedById: null,
    });

    // Pins are in the log: a device that was away replays them.
    const replay = await syncSince(t.db, bob, { cursors: { [ch.id]: seqBefore } });
    expect(replay.conversations[0]!.events.map((e) => e.kind)).toEqual([
      "message.pinned",
      "message.pinned",
      "message.unpinned",
    ]);
  });

  it("forbids non-members (pin, unpin, list of a private channel) and refuses pins in archived channels", async () => {
    const { alice, ch } = await setup();
    const message = await send(alice, ch.id, "pin me");
    const outsider = await newActor(t.db);
    const before = await logCounts(t.db);
    await expectParley(pinMessage(t.db, outsider, { messageId: message.id }), "NOT_FOUND");
    await expectParley(unpinMessage(t.db, outsider, { messageId: message.id }), "NOT_FOUND");
    await expectParley(listPins(t.db, outsider, { conversationId: ch.id }), "NOT_FOUND");
    await expectParley(pinMessage(t.db, alice, { messageId: randomUUID() }), "NOT_FOUND");
    expect(await logCounts(t.db)).toEqual(before);

    await archiveConversation(t.db, alice, { conversationId: ch.id });
    const afterArchive = await logCounts(t.db);
    await expectParley(pinMessage(t.db, alice, { messageId: message.id }), "FORBIDDEN", /archived/);
    expect(await logCounts(t.db)).toEqual(afterArchive);
    expect(await listPins(t.db, alice, { conversationId: ch.id })).toEqual([]);
  });
});

describe("mute", () => {
  it("mutes for the actor only and appends membership.updated when it changed", async () => {
    const { alice, bob, ch } = await setup();
    const seen: TUserEventRecord[] = [];
    const off = bus.subscribeUser(bob.userId, (e) => seen.push(e));
    try {
      const muted = await setMuted(t.db, bob, { conversationId: ch.id, muted: true });
      expect(muted.muted).toBe(true);
      await setMuted(t.db, bob, { conversationId: ch.id, muted: true }); // unchanged: no event
      expect((await setMuted(t.db, bob, { conversationId: ch.id, muted: false })).muted).toBe(false);
    } finally {
      off();
    }
    expect(seen.map((e) => [e.kind, e.payload])).toEqual([
      ["membership.updated", { conversationId: ch.id, muted: true }],
      ["membership.updated", { conversationId: ch.id, muted: false }],
    ]);
    const stored = await t.db.userEvent.findMany({
      where: { userId: bob.userId, kind: "membership.updated" },
    });
    expect(stored).toHaveLength(2);
    expect((await getConversation(t.db, alice, { conversationId: ch.id })).muted).toBe(false);
  });

  it("refuses non-members and bad input, writing nothing", async () => {
    const { ch } = await setup();
    const outsider = await newActor(t.db);
    const before = await logCounts(t.db);
    await expectParley(setMuted(t.db, outsider, { conversationId: ch.id, muted: true }), "NOT_FOUND");
    await expectParley(setMuted(t.db, outsider, { conversationId: ch.id, muted: "yes" }), "BAD_REQUEST");
    expect(await logCounts(t.db)).toEqual(before);
  });

  it("reports NOT_FOUND after leaving a private channel", async () => {
    const { alice, bob, ch } = await setup();
    await leaveConversation(t.db, bob, { conversationId: ch.id });
    await expectParley(setMuted(t.db, bob, { conversationId: ch.id, muted: true }), "NOT_FOUND");
    expect((await getConversation(t.db, alice, { conversationId: ch.id })).muted).toBe(false);
  });
});

describe("custom status", () => {
  it("sets and clears the status, shown in me, the admin list and members", async () => {
    const { alice, bob, ch } = await setup();
    const admin = await newActor(t.db, { role: "admin" });
    const updated = await setStatus(t.db, bob, { emoji: "🌴", text: "  On holiday  " });
    expect(updated).toMatchObject({ statusEmoji: "🌴", statusText: "On holiday" });
    expect(await getMe(t.db, bob)).toMatchObject({ statusEmoji: "🌴", statusText: "On holiday" });
    expect((await listAllUsers(t.db, admin)).find((u) => u.id === bob.userId)).toMatchObject({
      statusEmoji: "🌴",
      statusText: "On holiday",
    });
    const members = await listMembers(t.db, alice, { conversationId: ch.id });
    expect(members.find((m) => m.userId === bob.userId)).toMatchObject({
      statusEmoji: "🌴",
      statusText: "On holiday",
    });
    expect(await setStatus(t.db, bob, { emoji: "", text: "" })).toMatchObject({
      statusEmoji: "",
      statusText: "",
    });
  });

  it("tells the user's own devices through their log (they put it in their presence)", async () => {
    const carol = await newActor(t.db);
    const seen: TUserEventRecord[] = [];
    const off = bus.subscribeUser(carol.userId, (e) => seen.push(e));
    try {
      await setStatus(t.db, carol, { emoji: "🤒", text: "Out sick" });
      await setStatus(t.db, carol, { emoji: "", text: "" });
    } finally {
      off();
    }
    expect(seen.map((e) => [e.kind, e.payload])).toEqual([
      ["preferences.updated", { statusEmoji: "🤒", statusText: "Out sick" }],
      ["preferences.updated", { statusEmoji: "", statusText: "" }],
    ]);
    expect(await t.db.userEvent.count({ where: { userId: carol.userId, kind: "preferences.updated" } })).toBe(
      2,
    );
  });

  it("refuses a too long text or a non-emoji, changing nothing", async () => {
    const alice = await newActor(t.db);
    await setStatus(t.db, alice, { emoji: ":coffee:", text: "brb" });
    const eventsBefore = await t.db.userEvent.count({ where: { userId: alice.userId } });
    await expectParley(setStatus(t.db, alice, { emoji: "🙂", text: "x".repeat(101) }), "BAD_REQUEST", /100/);
    await expectParley(setStatus(t.db, alice, { emoji: "not an emoji", text: "" }), "BAD_REQUEST");
    await expectParley(setStatus(t.db, alice, { emoji: ":a_very_long_shortcode:", text: "" }), "BAD_REQUEST");
    expect(await getMe(t.db, alice)).toMatchObject({ statusEmoji: ":coffee:", statusText: "brb" });
    expect(await t.db.userEvent.count({ where: { userId: alice.userId } })).toBe(eventsBefore);
  });
});
