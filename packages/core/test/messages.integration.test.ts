import { randomUUID } from "node:crypto";
import type { TTestDb } from "@parley/db/testing";
import { describe, expect, it } from "vitest";
import {
  archiveConversation,
  createChannel,
  joinChannel,
  leaveConversation,
  listMembers,
  removeMember,
} from "../src/conversations.ts";
import type { TConversationEventRecord } from "../src/events.ts";
import { configureLimits, DEFAULT_LIMITS } from "../src/limits.ts";
import { addReaction } from "../src/messages/reactions.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import {
  channelName,
  expectParley,
  holdLock,
  logCounts,
  newActor,
  stored,
  useTestDb,
  waitForLockWaiters,
} from "./helpers.ts";

const t = useTestDb();
const { bus } = t;

const send = (
  db: TTestDb["db"],
  actor: Parameters<typeof sendMessage>[1],
  conversationId: string,
  body = "hi",
) => sendMessage(db, actor, { conversationId, clientMsgId: randomUUID(), body });

describe("sending and reading", () => {
  it("lets a member post and read, and publishes message.created after commit", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, alice, {
      name: channelName(),
      isPrivate: true,
      memberIds: [bob.userId],
    });
    const seen: TConversationEventRecord[] = [];
    const off = bus.subscribeConversation(ch.id, (e) => seen.push(e));

    const sent = await sendMessage(t.db, bob, {
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "  hello there  ",
    });
    off();
    expect(sent.duplicate).toBe(false);
    const message = stored(sent);
    expect(message.body).toBe("hello there");
    expect(message.senderName).toBe(bob.name);
    expect(message.seq).toBe(ch.lastSeq + 1);

    const history = await getHistory(t.db, alice, { conversationId: ch.id });
    expect(history.messages.map((m) => m.id)).toEqual([message.id]);
    expect(history.messages[0]).toMatchObject({
      body: "hello there",
      senderId: bob.userId,
      seq: message.seq,
    });
    expect(Math.abs(history.messages[0]!.createdAt.getTime() - message.createdAt.getTime())).toBeLessThan(2);

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: "message.created", seq: message.seq, actorId: bob.userId });
    const logged = await t.db.event.findUniqueOrThrow({
      where: { conversationId_seq: { conversationId: ch.id, seq: message.seq } },
    });
    expect(logged.kind).toBe("message.created");
    expect((logged.payload as { message: { id: string } }).message.id).toBe(message.id);
  });

  it("forbids a non-member history, posting and the member list of a private channel", async () => {
    const owner = await newActor(t.db);
    const outsider = await newActor(t.db);
    const ch = await createChannel(t.db, owner, { name: channelName(), isPrivate: true });
    await send(t.db, owner, ch.id);
    const before = await logCounts(t.db);

    await expectParley(getHistory(t.db, outsider, { conversationId: ch.id }), "NOT_FOUND");
    await expectParley(send(t.db, outsider, ch.id), "NOT_FOUND");
    await expectParley(listMembers(t.db, outsider, { conversationId: ch.id }), "NOT_FOUND");
    expect(await logCounts(t.db)).toEqual(before);
  });

  it("lets anyone read a public channel but only members post (join first)", async () => {
    const owner = await newActor(t.db);
    const reader = await newActor(t.db);
    const ch = await createChannel(t.db, owner, { name: channelName(), isPrivate: false });
    await send(t.db, owner, ch.id, "public news");

    const page = await getHistory(t.db, reader, { conversationId: ch.id });
    expect(page.messages.map((m) => m.body)).toEqual(["public news"]);
    await expectParley(send(t.db, reader, ch.id), "FORBIDDEN", /join the channel first/i);

    await joinChannel(t.db, reader, { conversationId: ch.id });
    const message = stored(await send(t.db, reader, ch.id, "now I can"));
    expect(message.body).toBe("now I can");
  });

  it("lets nobody post in an archived channel, not even its owner or a workspace owner", async () => {
    const owner = await newActor(t.db);
    const wsOwner = await newActor(t.db, { role: "owner" });
    const ch = await createChannel(t.db, owner, {
      name: channelName(),
      isPrivate: false,
      memberIds: [wsOwner.userId],
    });
    await archiveConversation(t.db, owner, { conversationId: ch.id });
    const before = await logCounts(t.db);
    await expectParley(send(t.db, owner, ch.id), "FORBIDDEN", /archived/);
    await expectParley(send(t.db, wsOwner, ch.id), "FORBIDDEN", /archived/);
    expect(await logCounts(t.db)).toEqual(before);
    // Still readable.
    await expect(getHistory(t.db, owner, { conversationId: ch.id })).resolves.toMatchObject({ messages: [] });
  });
});

describe("idempotent send", () => {
  it("stores one message for the same clientMsgId sent twice", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const clientMsgId = randomUUID();
    const first = await sendMessage(t.db, alice, { conversationId: ch.id, clientMsgId, body: "once" });
    const second = await sendMessage(t.db, alice, { conversationId: ch.id, clientMsgId, body: "once" });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.message.id).toBe(first.message.id);
    expect(second.message.seq).toBe(first.message.seq);
    expect(await t.db.message.count({ where: { conversationId: ch.id } })).toBe(1);
    const conv = await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } });
    expect(conv.lastSeq).toBe(first.message.seq);
  });

  it("publishes the stored event again on a resend: the first fan-out may have died with its process", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const input = { conversationId: ch.id, clientMsgId: randomUUID(), body: "was the fan-out lost?" };
    const first = await sendMessage(t.db, alice, input);
    const republished = await t.published(ch.id, () => sendMessage(t.db, alice, input));
    expect(republished).toHaveLength(1);
    expect(republished[0]).toMatchObject({
      conversationId: ch.id,
      seq: first.message.seq,
      kind: "message.created",
      actorId: alice.userId,
      payload: { message: { id: first.message.id, clientMsgId: input.clientMsgId, body: input.body } },
    });
    // Published, not stored again.
    expect(await t.db.event.count({ where: { conversationId: ch.id, kind: "message.created" } })).toBe(1);
  });

  it("stores one message when the same clientMsgId is sent concurrently", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const clientMsgId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        sendMessage(t.db, alice, { conversationId: ch.id, clientMsgId, body: "race" }),
      ),
    );
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await t.db.message.count({ where: { conversationId: ch.id } })).toBe(1);
    const events = await t.db.event.findMany({ where: { conversationId: ch.id, kind: "message.created" } });
    expect(events).toHaveLength(1);
    const conv = await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } });
    expect(conv.lastSeq).toBe(results[0]!.message.seq); // no seq burnt by the losers
  });

  it("answers a resend with the ack identity only, and only while the sender may still post there (issue 9, defect 6)", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, alice, {
      name: channelName(),
      isPrivate: true,
      memberIds: [bob.userId],
    });
    const clientMsgId = randomUUID();
    const input = { conversationId: ch.id, clientMsgId, body: "before" };
    const first = stored(await sendMessage(t.db, bob, input));
    await addReaction(t.db, alice, { messageId: first.id, emoji: "👍" });

    const again = await sendMessage(t.db, bob, input);
    expect(again).toEqual({
      duplicate: true,
      message: { id: first.id, conversationId: ch.id, seq: first.seq, clientMsgId },
    });

    await removeMember(t.db, alice, { conversationId: ch.id, userId: bob.userId });
    await addReaction(t.db, alice, { messageId: first.id, emoji: "🔒" });
    const removed = await expectParley(sendMessage(t.db, bob, input), "NOT_FOUND");
    const unknown = await expectParley(
      sendMessage(t.db, bob, { ...input, conversationId: randomUUID(), clientMsgId: randomUUID() }),
      "NOT_FOUND",
    );
    expect(removed.message).toBe(unknown.message);

    // A public channel stays readable after leaving it: the resend is refused, not hidden.
    const pub = await createChannel(t.db, alice, { name: channelName(), memberIds: [bob.userId] });
    const pubInput = { conversationId: pub.id, clientMsgId: randomUUID(), body: "hi all" };
    await sendMessage(t.db, bob, pubInput);
    await leaveConversation(t.db, bob, { conversationId: pub.id });
    await expectParley(sendMessage(t.db, bob, pubInput), "FORBIDDEN", /join the channel first/i);
  });

  it("refuses a clientMsgId already used in another conversation", async () => {
    const alice = await newActor(t.db);
    const a = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const b = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const clientMsgId = randomUUID();
    await sendMessage(t.db, alice, { conversationId: a.id, clientMsgId, body: "x" });
    await expectParley(
      sendMessage(t.db, alice, { conversationId: b.id, clientMsgId, body: "x" }),
      "CONFLICT",
    );
  });
});

describe("seq allocation", () => {
  it("gives 50 concurrent sends into one conversation 50 consecutive seqs", async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => newActor(t.db)));
    const ch = await createChannel(t.db, users[0]!, {
      name: channelName(),
      isPrivate: false,
      memberIds: users.map((u) => u.userId),
    });
    const start = (await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } })).lastSeq;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(t.db, users[i % users.length]!, ch.id, `m${i}`)),
    );
    const seqs = results.map((r) => r.message.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => start + 1 + i));
    const events = await t.db.event.findMany({ where: { conversationId: ch.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: start + 50 }, (_, i) => i + 1));
    const conv = await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } });
    expect(conv.lastSeq).toBe(start + 50);
  });

  it("does not make a send into B wait for a lock held on conversation A", async () => {
    const alice = await newActor(t.db);
    const a = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const b = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });

    const holder = await holdLock(
      t.db,
      (tx) => tx.$queryRaw`SELECT id FROM "Conversation" WHERE id = ${a.id}::uuid FOR UPDATE`,
    );

    let sendADone = false;
    const sendA = send(t.db, alice, a.id, "to A").then((r) => {
      sendADone = true;
      return r;
    });
    // The send into A is provably blocked on the row lock (the holder is the only other session).
    await waitForLockWaiters(t.db, 1);
    const sentB = await send(t.db, alice, b.id, "to B"); // completes while A is still locked
    expect(sentB.message.seq).toBe(b.lastSeq + 1);
    expect(sendADone).toBe(false);

    holder.release();
    await holder.done;
    const sentA = await sendA;
    expect(sentA.message.seq).toBe(a.lastSeq + 1);
  });
});

describe("bad input", () => {
  it("rejects empty, blank, over-long bodies, malformed and unknown ids with no rows written", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const before = await logCounts(t.db);
    const base = { conversationId: ch.id, clientMsgId: randomUUID() };
    configureLimits({ maxMessageLength: 100 });
    try {
      await expectParley(sendMessage(t.db, alice, { ...base, body: "" }), "BAD_REQUEST");
      await expectParley(sendMessage(t.db, alice, { ...base, body: " \n\t  " }), "BAD_REQUEST");
      await expectParley(
        sendMessage(t.db, alice, { ...base, body: "x".repeat(101) }),
        "BAD_REQUEST",
        /longer/,
      );
      await expectParley(
        sendMessage(t.db, alice, { ...base, conversationId: "not-a-uuid", body: "x" }),
        "BAD_REQUEST",
      );
      await expectParley(
        sendMessage(t.db, alice, { ...base, clientMsgId: "nope", body: "x" }),
        "BAD_REQUEST",
      );
      await expectParley(sendMessage(t.db, alice, { ...base, body: 42 }), "BAD_REQUEST");
      await expectParley(
        sendMessage(t.db, alice, { ...base, conversationId: randomUUID(), body: "x" }),
        "NOT_FOUND",
      );
      await expectParley(
        sendMessage(t.db, alice, { ...base, threadRootId: randomUUID(), body: "x" }),
        "NOT_FOUND",
      );
      await expectParley(getHistory(t.db, alice, { conversationId: randomUUID() }), "NOT_FOUND");
      await expectParley(getHistory(t.db, alice, { conversationId: ch.id, limit: 1000 }), "BAD_REQUEST");
      await expectParley(
        getHistory(t.db, alice, { conversationId: ch.id, before: 3, after: 1 }),
        "BAD_REQUEST",
      );
      // Exactly at the limit is fine.
      const ok = await sendMessage(t.db, alice, { ...base, body: "y".repeat(100) });
      expect(stored(ok).body).toHaveLength(100);
    } finally {
      configureLimits({ maxMessageLength: DEFAULT_LIMITS.maxMessageLength });
    }
    const after = await logCounts(t.db);
    expect(after.messages - before.messages).toBe(1);
    expect(after.events - before.events).toBe(1);
  });
});

describe("threads", () => {
  it("counts replies on the root and rejects replies to replies", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const root = await send(t.db, alice, ch.id, "root");
    const reply = await sendMessage(t.db, alice, {
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "reply",
      threadRootId: root.message.id,
    });
    expect(stored(reply).threadRootId).toBe(root.message.id);
    await sendMessage(t.db, alice, {
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "reply 2",
      threadRootId: root.message.id,
    });
    const page = await getHistory(t.db, alice, { conversationId: ch.id });
    expect(page.messages.find((m) => m.id === root.message.id)?.replyCount).toBe(2);
    await expectParley(
      sendMessage(t.db, alice, {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: "nested",
        threadRootId: reply.message.id,
      }),
      "BAD_REQUEST",
    );
  });
});

describe("history pagination", () => {
  it("pages before, after and around a seq with correct hasMore flags", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const sent = [];
    for (let i = 0; i < 12; i++) sent.push((await send(t.db, alice, ch.id, `m${i}`)).message);
    const seqs = sent.map((m) => m.seq); // ch.lastSeq (member.joined) + 1 … + 12
    const bodies = (page: { messages: { body: string }[] }) => page.messages.map((m) => m.body);

    const latest = await getHistory(t.db, alice, { conversationId: ch.id, limit: 5 });
    expect(bodies(latest)).toEqual(["m7", "m8", "m9", "m10", "m11"]);
    expect(latest).toMatchObject({ hasMoreBefore: true, hasMoreAfter: false });

    const before = await getHistory(t.db, alice, { conversationId: ch.id, before: seqs[7]!, limit: 5 });
    expect(bodies(before)).toEqual(["m2", "m3", "m4", "m5", "m6"]);
    expect(before).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true });

    const first = await getHistory(t.db, alice, { conversationId: ch.id, before: seqs[3]!, limit: 5 });
    expect(bodies(first)).toEqual(["m0", "m1", "m2"]);
    expect(first).toMatchObject({ hasMoreBefore: false, hasMoreAfter: true });

    const after = await getHistory(t.db, alice, { conversationId: ch.id, after: seqs[8]!, limit: 5 });
    expect(bodies(after)).toEqual(["m9", "m10", "m11"]);
    expect(after).toMatchObject({ hasMoreBefore: true, hasMoreAfter: false });

    const after2 = await getHistory(t.db, alice, { conversationId: ch.id, after: seqs[1]!, limit: 3 });
    expect(bodies(after2)).toEqual(["m2", "m3", "m4"]);
    expect(after2).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true });

    const around = await getHistory(t.db, alice, { conversationId: ch.id, around: seqs[6]!, limit: 5 });
    expect(bodies(around)).toEqual(["m4", "m5", "m6", "m7", "m8"]);
    expect(around).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true });

    const aroundStart = await getHistory(t.db, alice, { conversationId: ch.id, around: seqs[0]!, limit: 4 });
    expect(bodies(aroundStart)).toEqual(["m0", "m1"]);
    expect(aroundStart).toMatchObject({ hasMoreBefore: false, hasMoreAfter: true });

    const all = await getHistory(t.db, alice, { conversationId: ch.id, limit: 100 });
    expect(all.messages.map((m) => m.seq)).toEqual(seqs);
    expect(all).toMatchObject({ hasMoreBefore: false, hasMoreAfter: false });
  });
});
