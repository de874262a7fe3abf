import { randomUUID } from "node:crypto";
import { seedMessages } from "@parley/db/seed";
import { MAX_SYNC_CURSORS } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import { listMembershipSummaries } from "../src/connect-state.ts";
import { addMembers, createChannel, openDm, removeMember } from "../src/conversations.ts";
import { encodeConversationEvent } from "../src/events.ts";
import { markRead } from "../src/messages/read.ts";
import { sendMessage } from "../src/messages/send.ts";
import { loadSyncMetas, syncSince } from "../src/sync.ts";
import { channelName, expectParley, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();

const send = (actor: Parameters<typeof sendMessage>[1], conversationId: string, body: string) =>
  sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body });

describe("syncSince", () => {
  it("returns exactly the missing events of each conversation, in seq order", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const a = await createChannel(t.db, alice, { name: channelName(), memberIds: [bob.userId] });
    const b = await createChannel(t.db, alice, {
      name: channelName(),
      isPrivate: true,
      memberIds: [bob.userId],
    });
    const cursorA = (await send(alice, a.id, "a1")).message.seq;
    const cursorB = b.lastSeq;
    for (let i = 2; i <= 4; i++) await send(alice, a.id, `a${i}`);
    await send(bob, b.id, "b1");

    const result = await syncSince(t.db, bob, { cursors: { [a.id]: cursorA, [b.id]: cursorB } });
    const [ra, rb] = result.conversations;
    expect(ra).toMatchObject({ conversationId: a.id, status: "ok", lastSeq: cursorA + 3 });
    expect(ra!.events.map((e) => e.seq)).toEqual([cursorA + 1, cursorA + 2, cursorA + 3]);
    expect(ra!.events.map((e) => (e.payload.message as { body: string }).body)).toEqual(["a2", "a3", "a4"]);
    expect(ra!.events[0]).toMatchObject({ kind: "message.created", actorId: alice.userId });
    // The stored UTC instant, exactly (the hot-path statement reads it as timestamptz).
    const storedEvent = await t.db.event.findUniqueOrThrow({
      where: { conversationId_seq: { conversationId: a.id, seq: cursorA + 1 } },
      select: { createdAt: true },
    });
    expect(ra!.events[0]!.createdAt.toISOString()).toBe(storedEvent.createdAt.toISOString());
    expect(rb).toMatchObject({ conversationId: b.id, status: "ok", lastSeq: cursorB + 1 });
    expect(rb!.events.map((e) => e.seq)).toEqual([cursorB + 1]);

    const upToDate = await syncSince(t.db, bob, { cursors: { [a.id]: cursorA + 3 } });
    expect(upToDate.conversations).toEqual([
      { conversationId: a.id, status: "ok", lastSeq: cursorA + 3, events: [] },
    ]);
  });

  it("pages: stops at the page size with `more`, and the next sync continues", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName() });
    await seedMessages(t.db, { conversationId: ch.id, senderId: alice.userId, count: 25 });
    const first = await syncSince(t.db, alice, { cursors: { [ch.id]: 0 } }, { pageSize: 10 });
    expect(first.conversations[0]).toMatchObject({ status: "more", lastSeq: 10 });
    expect(first.conversations[0]!.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const second = await syncSince(t.db, alice, { cursors: { [ch.id]: 10 } }, { pageSize: 10 });
    expect(second.conversations[0]).toMatchObject({ status: "more", lastSeq: 20 });
    const third = await syncSince(t.db, alice, { cursors: { [ch.id]: 20 } }, { pageSize: 10 });
    expect(third.conversations[0]).toMatchObject({ status: "ok", lastSeq: 26 });
    expect(third.conversations[0]!.events.map((e) => e.seq)).toEqual([21, 22, 23, 24, 25, 26]);
  });

  it("bounds the whole answer: conversations past the total budget get `more`", async () => {
    const alice = await newActor(t.db);
    const x = await createChannel(t.db, alice, { name: channelName() });
    const y = await createChannel(t.db, alice, { name: channelName() });
    await seedMessages(t.db, { conversationId: x.id, senderId: alice.userId, count: 8 });
    await seedMessages(t.db, { conversationId: y.id, senderId: alice.userId, count: 8 });
    const r = await syncSince(t.db, alice, { cursors: { [x.id]: 1, [y.id]: 1 } }, { maxEvents: 10 });
    expect(r.conversations.map((c) => [c.status, c.lastSeq, c.events.length])).toEqual([
      ["ok", 9, 8],
      ["more", 3, 2],
    ]);
  });

  it("lists unreadable (removed) and unknown conversations alike, once, in notFound", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, alice, {
      name: channelName(),
      isPrivate: true,
      memberIds: [bob.userId],
    });
    await send(alice, ch.id, "before");
    await removeMember(t.db, alice, { conversationId: ch.id, userId: bob.userId });
    await send(alice, ch.id, "secret");
    const unknown = randomUUID();
    const r = await syncSince(t.db, bob, { cursors: { [ch.id]: 0, [unknown]: 0 } });
    expect(r.conversations).toEqual([]);
    expect(r.notFound).toEqual([ch.id, unknown]);
  });

  it("answers many unknown cursors in one list no larger than the question (issue 9, defect 10)", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName() });
    const cursors: Record<string, number> = { [ch.id]: 0 };
    for (let i = 0; i < MAX_SYNC_CURSORS - 1; i++) cursors[randomUUID()] = 0;
    const r = await syncSince(t.db, alice, { cursors });
    expect(r.conversations.map((c) => c.conversationId)).toEqual([ch.id]);
    expect(r.notFound).toHaveLength(MAX_SYNC_CURSORS - 1);
    const question = JSON.stringify({ type: "sync", id: "s1", cursors });
    const answer = JSON.stringify({
      conversations: r.conversations.map(({ events: _e, ...c }) => c),
      notFound: r.notFound,
    });
    expect(answer.length).toBeLessThan(question.length);
  });

  it("refuses more than MAX_SYNC_CURSORS cursors, reading nothing", async () => {
    const alice = await newActor(t.db);
    const cursors: Record<string, number> = {};
    for (let i = 0; i <= MAX_SYNC_CURSORS; i++) cursors[randomUUID()] = 0;
    await expectParley(syncSince(t.db, alice, { cursors }), "BAD_REQUEST", /at most 5000 cursors/i);
  });

  it("lets a non-member read a public channel's log", async () => {
    const alice = await newActor(t.db);
    const carol = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName() });
    await send(alice, ch.id, "open to all");
    const r = await syncSince(t.db, carol, { cursors: { [ch.id]: 1 } });
    expect(r.conversations[0]).toMatchObject({ status: "ok", lastSeq: 2 });
    expect(r.conversations[0]!.events).toHaveLength(1);
  });

  it("answers resync when the cursor is ahead of the log", async () => {
    const alice = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName() });
    const r = await syncSince(t.db, alice, { cursors: { [ch.id]: ch.lastSeq + 5 } });
    expect(r.conversations[0]).toEqual({
      conversationId: ch.id,
      status: "resync",
      lastSeq: ch.lastSeq,
      events: [],
    });
  });

  it("returns the user log after userCursor, paged", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName() });
    const start = (await t.db.user.findUniqueOrThrow({ where: { id: bob.userId } })).lastEventSeq;
    await addMembers(t.db, alice, { conversationId: ch.id, userIds: [bob.userId] });
    const dm = await openDm(t.db, alice, { userIds: [bob.userId] });
    const { message } = await send(alice, dm.id, "hi");
    await markRead(t.db, bob, { conversationId: dm.id, seq: message.seq });

    const all = await syncSince(t.db, bob, { cursors: {}, userCursor: start });
    expect(all.userEvents.map((e) => e.kind)).toEqual(["conversation.added", "dm.opened", "read.updated"]);
    expect(all.userEvents.map((e) => e.seq)).toEqual([start + 1, start + 2, start + 3]);
    expect(all).toMatchObject({ userSeq: start + 3, userStatus: "ok" });

    const paged = await syncSince(t.db, bob, { cursors: {}, userCursor: start }, { pageSize: 2 });
    expect(paged).toMatchObject({ userSeq: start + 2, userStatus: "more" });
    expect(paged.userEvents).toHaveLength(2);

    const none = await syncSince(t.db, bob, { cursors: {} });
    expect(none).toMatchObject({ userEvents: [], userSeq: start + 3, userStatus: "ok" });
  });

  it("lists a user's memberships with member counts", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), memberIds: [bob.userId] });
    const dm = await openDm(t.db, alice, { userIds: [alice.userId] });
    const rows = await listMembershipSummaries(t.db, alice.userId);
    expect(rows).toEqual(
      expect.arrayContaining([
        { conversationId: ch.id, memberCount: 2 },
        { conversationId: dm.id, memberCount: 1 },
      ]),
    );
    expect(rows).toHaveLength(2);
    expect(await listMembershipSummaries(t.db, alice.userId, { conversationId: ch.id })).toEqual([
      { conversationId: ch.id, memberCount: 2 },
    ]);
  });

  it("with encode, answers the same with wire frames that say what encodeConversationEvent says", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), memberIds: [bob.userId] });
    const dm = await openDm(t.db, alice, { userIds: [bob.userId] });
    for (const body of ['quotes " and \\ backslash', "emoji 🎉 and ünïcödé", "line\nbreak\ttab"]) {
      await send(alice, ch.id, body);
      await send(bob, dm.id, body);
    }
    const input = { cursors: { [ch.id]: 0, [dm.id]: 1, [randomUUID()]: 0 } };
    const plain = await syncSince(t.db, bob, input, { pageSize: 4 });
    const encoded = await syncSince(t.db, bob, input, { pageSize: 4, encode: true });
    expect(encoded.notFound).toEqual(plain.notFound);
    expect(encoded.conversations.map(({ frames: _f, ...c }) => c)).toEqual(
      plain.conversations.map((c) => ({ ...c, events: [] })),
    );
    for (const [i, c] of plain.conversations.entries()) {
      const frames = encoded.conversations[i]?.frames ?? [];
      expect(frames.map((f) => JSON.parse(f))).toEqual(
        c.events.map((e) => JSON.parse(encodeConversationEvent(e))),
      );
      expect(frames.length).toBeGreaterThan(0);
    }
  });
});

describe("loadSyncMetas", () => {
  it("answers many syncs' metadata in one statement, each in the order asked and only with what its user may know", async () => {
    const [alice, bob, carol] = await Promise.all([newActor(t.db), newActor(t.db), newActor(t.db)]);
    const open = await createChannel(t.db, alice, { name: channelName() });
    const secret = await createChannel(t.db, alice, { name: channelName(), isPrivate: true });
    await send(alice, secret.id, "s1");
    const dm = await openDm(t.db, bob, { userIds: [carol.userId] });
    const unknown = randomUUID();
    const metas = await loadSyncMetas(t.db, [
      { userId: alice.userId, conversationIds: [open.id, secret.id, unknown] },
      { userId: bob.userId, conversationIds: [secret.id, dm.id] },
      { userId: carol.userId, conversationIds: [] },
      { userId: randomUUID(), conversationIds: [open.id] },
    ]);
    expect(metas).toHaveLength(4);
    const [a, b, c, ghost] = metas;
    expect([...a!.conversations.keys()].sort()).toEqual([open.id, secret.id].sort());
    expect(a!.conversations.get(secret.id)).toMatchObject({ kind: "private_channel", isMember: true });
    expect(a!.conversations.get(secret.id)!.lastSeq).toBe(secret.lastSeq + 1);
    // bob is told the private channel exists but not that he is a member: syncSince then hides it.
    expect(b!.conversations.get(secret.id)).toMatchObject({ isMember: false });
    expect(b!.conversations.get(dm.id)).toMatchObject({ kind: "dm", isMember: true });
    const users = await t.db.user.findMany({
      where: { id: { in: [alice.userId, bob.userId, carol.userId] } },
      select: { id: true, lastEventSeq: true },
    });
    const lastOf = (id: string) => users.find((u) => u.id === id)!.lastEventSeq;
    expect([a!.userLastSeq, b!.userLastSeq, c!.userLastSeq]).toEqual([
      lastOf(alice.userId),
      lastOf(bob.userId),
      lastOf(carol.userId),
    ]);
    expect(c!.conversations.size).toBe(0);
    expect(ghost).toEqual({ userLastSeq: 0, conversations: new Map() });
    expect(await loadSyncMetas(t.db, [])).toEqual([]);
  });
});
