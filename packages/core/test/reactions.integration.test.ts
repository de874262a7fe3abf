import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { archiveConversation, createChannel, joinChannel } from "../src/conversations.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { editMessage } from "../src/messages/edit.ts";
import { addReaction, removeReaction } from "../src/messages/reactions.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import { syncSince } from "../src/sync.ts";
import { channelName, expectParley, logCounts, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();
const { published } = t;

type TSender = Parameters<typeof sendMessage>[1];

const send = async (actor: TSender, conversationId: string, body = "hi") =>
  (await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body })).message;

/** A private channel of alice and bob with one message of alice's. */
async function setup() {
  const alice = await newActor(t.db);
  const bob = await newActor(t.db);
  const ch = await createChannel(t.db, alice, {
    name: channelName(),
    isPrivate: true,
    memberIds: [bob.userId],
  });
  const message = await send(alice, ch.id, "first draft");
  return { alice, bob, ch, message };
}

const lastSeq = async (conversationId: string) =>
  (await t.db.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastSeq;

describe("editing messages", () => {
  it("lets the sender edit: one message.edited with the next seq, published, and history changes", async () => {
    const { alice, bob, ch, message } = await setup();
    const before = await logCounts(t.db);
    const seqBefore = await lastSeq(ch.id);

    let result: Awaited<ReturnType<typeof editMessage>> | undefined;
    const seen = await published(ch.id, async () => {
      result = await editMessage(t.db, alice, { messageId: message.id, body: "  final text " });
    });
    expect(result).toMatchObject({ messageId: message.id, body: "final text", seq: seqBefore + 1 });
    expect(await logCounts(t.db)).toEqual({ ...before, events: before.events + 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      kind: "message.edited",
      seq: seqBefore + 1,
      actorId: alice.userId,
      payload: { messageId: message.id, body: "final text" },
    });

    const history = await getHistory(t.db, bob, { conversationId: ch.id });
    expect(history.messages[0]).toMatchObject({ id: message.id, body: "final text", seq: message.seq });
    expect(history.messages[0]!.editedAt).toBeInstanceOf(Date);
    // The created entry stays as history; the edit is a later entry.
    const created = await t.db.event.findUniqueOrThrow({
      where: { conversationId_seq: { conversationId: ch.id, seq: message.seq } },
    });
    expect((created.payload as { message: { body: string } }).message.body).toBe("first draft");
  });

  it("refuses edits by anyone else, of deleted messages, empty bodies and in archived channels, writing nothing", async () => {
    const { alice, bob, ch, message } = await setup();
    const admin = await newActor(t.db, { role: "admin" });
    const before = await logCounts(t.db);

    await expectParley(editMessage(t.db, bob, { messageId: message.id, body: "hijack" }), "FORBIDDEN");
    await expectParley(editMessage(t.db, admin, { messageId: message.id, body: "hijack" }), "NOT_FOUND");
    await expectParley(editMessage(t.db, alice, { messageId: message.id, body: "   " }), "BAD_REQUEST");
    await expectParley(editMessage(t.db, alice, { messageId: randomUUID(), body: "x" }), "NOT_FOUND");
    expect(await logCounts(t.db)).toEqual(before);
    expect((await t.db.message.findUniqueOrThrow({ where: { id: message.id } })).body).toBe("first draft");

    const other = await send(alice, ch.id, "to delete");
    await deleteMessage(t.db, alice, { messageId: other.id });
    const afterDelete = await logCounts(t.db);
    await expectParley(editMessage(t.db, alice, { messageId: other.id, body: "back" }), "NOT_FOUND");
    expect(await logCounts(t.db)).toEqual(afterDelete);

    await archiveConversation(t.db, alice, { conversationId: ch.id });
    const afterArchive = await logCounts(t.db);
    await expectParley(editMessage(t.db, alice, { messageId: message.id, body: "late" }), "FORBIDDEN");
    expect(await logCounts(t.db)).toEqual(afterArchive);
  });

  it("writes nothing for an unchanged body", async () => {
    const { alice, message } = await setup();
    const before = await logCounts(t.db);
    const result = await editMessage(t.db, alice, { messageId: message.id, body: "first draft" });
    expect(result.seq).toBeNull();
    expect(await logCounts(t.db)).toEqual(before);
  });

  it("blanks an edited body in the log when the message is deleted", async () => {
    const { alice, bob, ch, message } = await setup();
    const cursor = await lastSeq(ch.id);
    await editMessage(t.db, alice, { messageId: message.id, body: "secret" });
    await deleteMessage(t.db, alice, { messageId: message.id });
    const sync = await syncSince(t.db, bob, { cursors: { [ch.id]: cursor } });
    const events = sync.conversations[0]!.events;
    expect(events.map((e) => e.kind)).toEqual(["message.edited", "message.deleted"]);
    expect(JSON.stringify(events)).not.toContain("secret");
  });
});

describe("reactions", () => {
  it("adds and removes with one event each; a duplicate add or a missing remove writes nothing", async () => {
    const { alice, bob, ch, message } = await setup();
    const seqBefore = await lastSeq(ch.id);

    const seen = await published(ch.id, async () => {
      const added = await addReaction(t.db, bob, { messageId: message.id, emoji: "👍" });
      expect(added).toMatchObject({ isChanged: true, seq: seqBefore + 1 });
      const again = await addReaction(t.db, bob, { messageId: message.id, emoji: "👍" });
      expect(again).toMatchObject({ isChanged: false, seq: null });
      await addReaction(t.db, alice, { messageId: message.id, emoji: ":tada:" });
      await addReaction(t.db, alice, { messageId: message.id, emoji: "👍" });
    });
    expect(seen.map((e) => [e.kind, e.seq, e.payload.emoji, e.payload.userId])).toEqual([
      ["reaction.added", seqBefore + 1, "👍", bob.userId],
      ["reaction.added", seqBefore + 2, ":tada:", alice.userId],
      ["reaction.added", seqBefore + 3, "👍", alice.userId],
    ]);

    const history = await getHistory(t.db, bob, { conversationId: ch.id });
    expect(history.messages[0]!.reactions).toEqual([
      { emoji: "👍", count: 2, userIds: [bob.userId, alice.userId] },
      { emoji: ":tada:", count: 1, userIds: [alice.userId] },
    ]);

    const before = await logCounts(t.db);
    const missing = await removeReaction(t.db, bob, { messageId: message.id, emoji: ":tada:" });
    expect(missing).toMatchObject({ isChanged: false, seq: null });
    expect(await logCounts(t.db)).toEqual(before);

    const removed = await published(ch.id, () =>
      removeReaction(t.db, bob, { messageId: message.id, emoji: "👍" }),
    );
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({
      kind: "reaction.removed",
      seq: seqBefore + 4,
      payload: { messageId: message.id, userId: bob.userId, emoji: "👍" },
    });
    // A group keeps its place while it has reactions, as clients applying the events keep it
    // (before: groups moved to their earliest remaining reaction, so a refetch reordered them).
    const after = await getHistory(t.db, alice, { conversationId: ch.id });
    expect(after.messages[0]!.reactions).toEqual([
      { emoji: "👍", count: 1, userIds: [alice.userId] },
      { emoji: ":tada:", count: 1, userIds: [alice.userId] },
    ]);
    // An emptied group goes; a new one goes last.
    await removeReaction(t.db, alice, { messageId: message.id, emoji: "👍" });
    await addReaction(t.db, bob, { messageId: message.id, emoji: "👍" });
    const again = await getHistory(t.db, alice, { conversationId: ch.id });
    expect(again.messages[0]!.reactions.map((r) => r.emoji)).toEqual([":tada:", "👍"]);
  });

  it("stores one reaction and one event for concurrent identical adds", async () => {
    const { bob, ch, message } = await setup();
    const seqBefore = await lastSeq(ch.id);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => addReaction(t.db, bob, { messageId: message.id, emoji: "🎉" })),
    );
    expect(results.filter((r) => r.isChanged)).toHaveLength(1);
    expect(await lastSeq(ch.id)).toBe(seqBefore + 1);
    expect(await t.db.reaction.count({ where: { messageId: message.id } })).toBe(1);
  });

  it("forbids a non-member of a private channel, and guests of a public one, writing nothing", async () => {
    const { message } = await setup();
    const outsider = await newActor(t.db);
    const before = await logCounts(t.db);
    const reactions = await t.db.reaction.count();
    await expectParley(addReaction(t.db, outsider, { messageId: message.id, emoji: "👍" }), "NOT_FOUND");
    await expectParley(removeReaction(t.db, outsider, { messageId: message.id, emoji: "👍" }), "NOT_FOUND");

    const owner = await newActor(t.db);
    const pub = await createChannel(t.db, owner, { name: channelName() });
    const post = await send(owner, pub.id);
    const guestBefore = await logCounts(t.db);
    await expectParley(
      addReaction(t.db, outsider, { messageId: post.id, emoji: "👍" }),
      "FORBIDDEN",
      /Join the channel/,
    );
    expect(await logCounts(t.db)).toEqual(guestBefore);
    expect(guestBefore.events).toBe(before.events + 2); // channel created (member.joined) + the post
    await joinChannel(t.db, outsider, { conversationId: pub.id });
    expect((await addReaction(t.db, outsider, { messageId: post.id, emoji: "👍" })).isChanged).toBe(true);
    expect(await t.db.reaction.count()).toBe(reactions + 1);
  });

  it("rejects malformed emoji and reactions to deleted messages", async () => {
    const { alice, bob, ch, message } = await setup();
    const before = await logCounts(t.db);
    for (const emoji of ["", "a", "👍👍", ":Upper:", ":has space:", `:${"a".repeat(65)}:`, "<b>", "1"]) {
      await expectParley(addReaction(t.db, bob, { messageId: message.id, emoji }), "BAD_REQUEST");
    }
    expect(await logCounts(t.db)).toEqual(before);

    const doomed = await send(alice, ch.id, "doomed");
    await deleteMessage(t.db, alice, { messageId: doomed.id });
    const afterDelete = await logCounts(t.db);
    await expectParley(addReaction(t.db, bob, { messageId: doomed.id, emoji: "👍" }), "NOT_FOUND");
    expect(await logCounts(t.db)).toEqual(afterDelete);
  });
});

describe("recovery", () => {
  it("replays edits and reactions in seq order to a client that was offline during them", async () => {
    const { alice, bob, ch, message } = await setup();
    const cursor = await lastSeq(ch.id); // bob's device goes offline here
    await editMessage(t.db, alice, { messageId: message.id, body: "second" });
    await addReaction(t.db, bob, { messageId: message.id, emoji: "👀" });
    await editMessage(t.db, alice, { messageId: message.id, body: "third" });
    await removeReaction(t.db, bob, { messageId: message.id, emoji: "👀" });
    await addReaction(t.db, alice, { messageId: message.id, emoji: "❤️" });

    const sync = await syncSince(t.db, bob, { cursors: { [ch.id]: cursor } });
    const result = sync.conversations[0]!;
    expect(result.status).toBe("ok");
    expect(result.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5].map((i) => cursor + i));
    expect(result.events.map((e) => [e.kind, e.payload.body ?? e.payload.emoji])).toEqual([
      ["message.edited", "second"],
      ["reaction.added", "👀"],
      ["message.edited", "third"],
      ["reaction.removed", "👀"],
      ["reaction.added", "❤️"],
    ]);
  });
});
