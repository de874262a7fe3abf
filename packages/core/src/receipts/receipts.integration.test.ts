/**
 * Read receipts on real Postgres: delivered cursors (one statement per batch, forward only, DMs
 * only, members only), what members see (permission, opt-out, the 50-member cut), and the relay's
 * coalescing and audiences through a real (memory) engine.
 */
import { ConversationKind } from "@parley/db";
import { seedChannel, seedMessages, seedUser, seedWorkspace, type TSeededUser } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import type { TReceiptsFrame } from "@parley/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TActor } from "../actor.ts";
import { MemoryEngine, MemoryHub } from "../engine/memory.ts";
import type { TBusMessage } from "../engine/types.ts";
import { markRead } from "../messages/read.ts";
import { markDelivered } from "./cursors.ts";
import { createReceiptRelay, setReceiptRelay, type TReceiptRelay } from "./relay.ts";
import { getReadReceipts, setSendReadReceipts } from "./view.ts";

let t: TTestDb;
beforeAll(async () => {
  t = await createTestDb();
  await seedWorkspace(t.db);
});
afterAll(async () => {
  setReceiptRelay(null);
  await t?.drop();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const actorOf = (u: TSeededUser): TActor => ({ userId: u.id, role: u.role });

async function dmWithMessages(kind: ConversationKind = ConversationKind.dm, extra: TSeededUser[] = []) {
  const alice = await seedUser(t.db, { name: "Alice" });
  const bob = await seedUser(t.db, { name: "Bob" });
  const dm = await seedChannel(t.db, {
    kind,
    createdById: alice.id,
    memberIds: [bob.id, ...extra.map((u) => u.id)],
  });
  await seedMessages(t.db, { conversationId: dm.id, senderId: alice.id, count: 5 });
  return { alice, bob, dm };
}

async function cursorsOf(conversationId: string, userId: string) {
  return t.db.membership.findUniqueOrThrow({
    where: { conversationId_userId: { conversationId, userId } },
    select: { deliveredSeq: true, readSeq: true },
  });
}

describe("markDelivered", () => {
  it("moves a DM member's cursor forward only, clamped to the log's end", async () => {
    const { bob, dm } = await dmWithMessages();
    expect(await markDelivered(t.db, [{ userId: bob.id, conversationId: dm.id, seq: 3 }])).toEqual([
      { userId: bob.id, conversationId: dm.id, deliveredSeq: 3 },
    ]);
    // Backwards and equal: nothing written, nothing reported.
    expect(await markDelivered(t.db, [{ userId: bob.id, conversationId: dm.id, seq: 2 }])).toEqual([]);
    expect(await markDelivered(t.db, [{ userId: bob.id, conversationId: dm.id, seq: 3 }])).toEqual([]);
    expect((await cursorsOf(dm.id, bob.id)).deliveredSeq).toBe(3);
    // Past the end: clamped to lastSeq (5).
    await markDelivered(t.db, [{ userId: bob.id, conversationId: dm.id, seq: 999 }]);
    expect((await cursorsOf(dm.id, bob.id)).deliveredSeq).toBe(5);
  });

  it("writes many users' reports in one statement, keeping each pair's largest seq", async () => {
    const { alice, bob, dm } = await dmWithMessages(ConversationKind.group_dm);
    const moved = await markDelivered(t.db, [
      { userId: bob.id, conversationId: dm.id, seq: 2 },
      { userId: bob.id, conversationId: dm.id, seq: 4 },
      { userId: alice.id, conversationId: dm.id, seq: 1 },
    ]);
    expect(moved).toHaveLength(2);
    expect((await cursorsOf(dm.id, bob.id)).deliveredSeq).toBe(4);
    expect((await cursorsOf(dm.id, alice.id)).deliveredSeq).toBe(1);
  });

  it("changes nothing for non-members and for channels", async () => {
    const { alice, dm } = await dmWithMessages();
    const carol = await seedUser(t.db);
    const channel = await seedChannel(t.db, { createdById: alice.id, memberIds: [carol.id] });
    await seedMessages(t.db, { conversationId: channel.id, senderId: alice.id, count: 3 });
    const moved = await markDelivered(t.db, [
      { userId: carol.id, conversationId: dm.id, seq: 5 },
      { userId: carol.id, conversationId: channel.id, seq: 3 },
    ]);
    expect(moved).toEqual([]);
    expect(await t.db.membership.count({ where: { conversationId: dm.id, userId: carol.id } })).toBe(0);
    expect((await cursorsOf(channel.id, carol.id)).deliveredSeq).toBe(0);
    // Control: the same report from a member of the DM does move.
    expect(await markDelivered(t.db, [{ userId: alice.id, conversationId: dm.id, seq: 5 }])).toHaveLength(1);
  });
});

describe("getReadReceipts", () => {
  it("shows a DM's other member with delivered (implied by reads) and read cursors", async () => {
    const { alice, bob, dm } = await dmWithMessages();
    await markDelivered(t.db, [{ userId: bob.id, conversationId: dm.id, seq: 2 }]);
    await markRead(t.db, actorOf(bob), { conversationId: dm.id, seq: 4 });
    const seen = await getReadReceipts(t.db, actorOf(alice), { conversationId: dm.id });
    expect(seen).toMatchObject({ isAvailable: true, sendsReadReceipts: true });
    expect(seen.members).toEqual([{ userId: bob.id, name: "Bob", deliveredSeq: 4, readSeq: 4 }]);
  });

  it("answers non-members of a DM or private channel NOT_FOUND, like an unknown conversation", async () => {
    const { alice, dm } = await dmWithMessages();
    const carol = await seedUser(t.db);
    const secret = await seedChannel(t.db, {
      kind: ConversationKind.private_channel,
      createdById: alice.id,
      memberIds: [],
    });
    const open = await seedChannel(t.db, { createdById: alice.id, memberIds: [] });
    for (const conversationId of [dm.id, secret.id, "01900000-0000-7000-8000-000000000000"]) {
      await expect(getReadReceipts(t.db, actorOf(carol), { conversationId })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "Conversation not found",
      });
    }
    // A public channel is readable, but its receipts are for members: FORBIDDEN, as for posting.
    await expect(getReadReceipts(t.db, actorOf(carol), { conversationId: open.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(getReadReceipts(t.db, actorOf(carol), { conversationId: "nope" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    // Control: a member gets an answer.
    expect((await getReadReceipts(t.db, actorOf(alice), { conversationId: secret.id })).isAvailable).toBe(
      true,
    );
  });

  it("hides read cursors both ways when either side opted out; delivered stays", async () => {
    const { alice, bob, dm } = await dmWithMessages();
    await markRead(t.db, actorOf(bob), { conversationId: dm.id, seq: 5 });
    await setSendReadReceipts(t.db, actorOf(bob), { enabled: false });
    // Bob's reads are not shown to Alice…
    const toAlice = await getReadReceipts(t.db, actorOf(alice), { conversationId: dm.id });
    expect(toAlice.members[0]).toMatchObject({ deliveredSeq: 5, readSeq: null });
    // …and Bob sees no one's.
    await markRead(t.db, actorOf(alice), { conversationId: dm.id, seq: 5 });
    const toBob = await getReadReceipts(t.db, actorOf(bob), { conversationId: dm.id });
    expect(toBob).toMatchObject({ sendsReadReceipts: false });
    expect(toBob.members[0]).toMatchObject({ readSeq: null });
    // Control: turned back on, both see.
    await setSendReadReceipts(t.db, actorOf(bob), { enabled: true });
    expect((await getReadReceipts(t.db, actorOf(alice), { conversationId: dm.id })).members[0]?.readSeq).toBe(
      5,
    );
  });

  it("shows channels up to 50 members (reads only) and nothing for larger ones", async () => {
    const owner = await seedUser(t.db);
    const others = await Promise.all(Array.from({ length: 50 }, () => seedUser(t.db)));
    const small = await seedChannel(t.db, {
      createdById: owner.id,
      memberIds: others.slice(0, 49).map((u) => u.id),
    });
    await seedMessages(t.db, { conversationId: small.id, senderId: owner.id, count: 2 });
    await markRead(t.db, actorOf(others[0]!), { conversationId: small.id, seq: 2 });
    const smallView = await getReadReceipts(t.db, actorOf(owner), { conversationId: small.id });
    expect(smallView.isAvailable).toBe(true);
    expect(smallView.members).toHaveLength(49);
    expect(smallView.members.find((m) => m.userId === others[0]!.id)).toMatchObject({
      readSeq: 2,
      deliveredSeq: 0,
    });
    const large = await seedChannel(t.db, { createdById: owner.id, memberIds: others.map((u) => u.id) });
    expect(await getReadReceipts(t.db, actorOf(owner), { conversationId: large.id })).toMatchObject({
      isAvailable: false,
      members: [],
    });
  });
});

describe("receipt relay", () => {
  let relay: TReceiptRelay | null = null;
  afterEach(async () => {
    await relay?.close();
    relay = null;
    setReceiptRelay(null);
  });

  /** A memory engine with one fake gateway holding `users`; records what reaches its inbox. */
  async function gatewayFor(users: TSeededUser[]) {
    const engine = new MemoryEngine({ hub: new MemoryHub() });
    const received: TBusMessage[] = [];
    await engine.subscribeGateway("gw", (m) => void received.push(m));
    for (const u of users) await engine.addRoute(u.id, "gw", 60_000);
    const frames = () =>
      received.map((m) => ({ userIds: m.userIds ?? [], frame: JSON.parse(m.frame) as TReceiptsFrame }));
    return { engine, frames };
  }

  it("coalesces a cursor moving 50 times into a frame per window, with the latest value", async () => {
    const { alice, bob, dm } = await dmWithMessages();
    await seedMessages(t.db, { conversationId: dm.id, senderId: alice.id, count: 45 });
    const { engine, frames } = await gatewayFor([alice, bob]);
    const intervalMs = 300;
    relay = createReceiptRelay({ db: t.db, engine, intervalMs });
    setReceiptRelay(relay);
    const started = Date.now();
    for (let seq = 1; seq <= 50; seq++) await markRead(t.db, actorOf(bob), { conversationId: dm.id, seq });
    const elapsed = Date.now() - started;
    await sleep(intervalMs * 2);
    await relay.close();
    const sent = frames();
    // At most one frame per window that saw a move (one audience here), never one per move.
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(elapsed / intervalMs) + 1);
    expect(sent.length).toBeLessThan(50);
    const last = sent.at(-1)!;
    expect(last.frame).toEqual({
      type: "receipts",
      conversationId: dm.id,
      cursors: [{ userId: bob.id, deliveredSeq: 50, readSeq: 50 }],
    });
    expect(last.userIds.sort()).toEqual([alice.id, bob.id].sort());
  });

  it("sends opted-out members delivered cursors only, and never their reads", async () => {
    const carol = await seedUser(t.db, { name: "Carol" });
    const { alice, bob, dm } = await dmWithMessages(ConversationKind.group_dm, [carol]);
    await setSendReadReceipts(t.db, actorOf(carol), { enabled: false });
    const { engine, frames } = await gatewayFor([alice, bob, carol]);
    relay = createReceiptRelay({ db: t.db, engine, intervalMs: 20 });
    setReceiptRelay(relay);
    await markRead(t.db, actorOf(bob), { conversationId: dm.id, seq: 3 });
    await markRead(t.db, actorOf(carol), { conversationId: dm.id, seq: 4 });
    await sleep(100);
    await relay.close();
    const sent = frames();
    const toAlice = sent.filter((f) => f.userIds.includes(alice.id)).flatMap((f) => f.frame.cursors);
    expect(toAlice).toEqual(
      expect.arrayContaining([
        { userId: bob.id, deliveredSeq: 3, readSeq: 3 },
        { userId: carol.id, deliveredSeq: 4 },
      ]),
    );
    const toCarol = sent.filter((f) => f.userIds.includes(carol.id)).flatMap((f) => f.frame.cursors);
    expect(toCarol.length).toBeGreaterThan(0);
    expect(toCarol.every((c) => c.readSeq === undefined)).toBe(true);
  });

  it("relays nothing for channels over 50 members, and only to members", async () => {
    const owner = await seedUser(t.db);
    const outsider = await seedUser(t.db);
    const others = await Promise.all(Array.from({ length: 50 }, () => seedUser(t.db)));
    const large = await seedChannel(t.db, { createdById: owner.id, memberIds: others.map((u) => u.id) });
    const small = await seedChannel(t.db, { createdById: owner.id, memberIds: [others[0]!.id] });
    for (const c of [large, small])
      await seedMessages(t.db, { conversationId: c.id, senderId: owner.id, count: 2 });
    const { engine, frames } = await gatewayFor([owner, outsider, others[0]!]);
    relay = createReceiptRelay({ db: t.db, engine, intervalMs: 20 });
    setReceiptRelay(relay);
    await markRead(t.db, actorOf(others[0]!), { conversationId: large.id, seq: 2 });
    await markRead(t.db, actorOf(others[0]!), { conversationId: small.id, seq: 2 });
    await sleep(100);
    const sent = frames();
    expect(sent.map((f) => f.frame.conversationId)).toEqual([small.id]);
    expect(sent[0]!.frame.cursors).toEqual([{ userId: others[0]!.id, readSeq: 2 }]);
    expect(sent[0]!.userIds).not.toContain(outsider.id);
  });
});
