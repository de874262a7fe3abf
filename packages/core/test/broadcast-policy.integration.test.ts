/**
 * The workspace's broadcast policy (core/src/messages/broadcast.ts) on real Postgres: who may use
 * @channel/@here/@everyone in channels above the member threshold, on both send roads (alone and
 * group commit), for edits, and that a refusal writes nothing — no message, no event, no seq.
 */
import { randomUUID } from "node:crypto";
import { ErrorReason } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { addMembers, createChannel, openDm } from "../src/conversations.ts";
import { editMessage } from "../src/messages/edit.ts";
import { sendBatchStats, sendMessage } from "../src/messages/send.ts";
import { sendOne } from "../src/messages/send-one.ts";
import { ZSendMessage } from "../src/schemas.ts";
import { getBroadcastPolicy, setBroadcastPolicy } from "../src/workspace.ts";
import { channelName, expectParley, logCounts, newActor, stored, useTestDb } from "./helpers.ts";

const t = useTestDb();

type TRoad = (actor: TActor, conversationId: string, body: string) => ReturnType<typeof sendMessage>;

/** The two roads of a send: alone (`sendOne`, as with attachments) and the group commit. */
const roads: [string, TRoad][] = [
  [
    "alone",
    (actor, conversationId, body) =>
      sendOne(t.db, actor, ZSendMessage.parse({ conversationId, clientMsgId: randomUUID(), body })),
  ],
  [
    "group commit",
    async (actor, conversationId, body) => {
      const before = sendBatchStats(t.db)?.sends ?? 0;
      const result = await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body });
      // It really went through a batch (a refusal also counts as a batched send).
      expect(sendBatchStats(t.db)?.sends ?? 0).toBeGreaterThan(before);
      return result;
    },
  ],
];

async function policy(p: "everyone" | "admins", threshold: number): Promise<void> {
  const admin = await newActor(t.db, { role: "admin" });
  await setBroadcastPolicy(t.db, admin, { policy: p, threshold });
}

/** A channel with `size` members in all: its creator (a plain member) and size - 1 others. */
async function channelOf(size: number, opts: { isPrivate?: boolean } = {}) {
  const member = await newActor(t.db);
  const others = await Promise.all(Array.from({ length: size - 1 }, () => newActor(t.db)));
  const ch = await createChannel(t.db, member, {
    name: channelName("bc"),
    isPrivate: opts.isPrivate ?? false,
    memberIds: others.map((o) => o.userId),
  });
  return { ch, member, others };
}

/** Adds a workspace admin to the channel (as a member of it). */
async function adminIn(conversationId: string, owner: TActor): Promise<TActor> {
  const admin = await newActor(t.db, { role: "admin" });
  await addMembers(t.db, owner, { conversationId, userIds: [admin.userId] });
  return admin;
}

/** Expects `send` to be refused as BROADCAST_RESTRICTED with nothing written anywhere. */
async function expectRefusedWritingNothing(
  conversationId: string,
  send: () => Promise<unknown>,
  threshold: number,
) {
  const before = await logCounts(t.db);
  const seqBefore = await t.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
  const events = await t.published(conversationId, async () => {
    const err = await expectParley(send(), "FORBIDDEN", /Only workspace admins can use @channel/);
    expect(err.reason).toBe(ErrorReason.BroadcastRestricted);
    expect(err.message).toContain(threshold === 0 ? "in channels" : `more than ${threshold} members`);
  });
  expect(events).toEqual([]);
  expect(await logCounts(t.db)).toEqual(before);
  const seqAfter = await t.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
  expect(seqAfter.lastSeq).toBe(seqBefore.lastSeq);
}

describe("broadcast policy settings", () => {
  it("defaults to everyone above 5 members, and only admins may change it (validated)", async () => {
    expect(await getBroadcastPolicy(t.db)).toEqual({ policy: "everyone", threshold: 5 });
    const member = await newActor(t.db);
    await expectParley(setBroadcastPolicy(t.db, member, { policy: "admins", threshold: 3 }), "FORBIDDEN");
    expect(await getBroadcastPolicy(t.db)).toEqual({ policy: "everyone", threshold: 5 });
    const admin = await newActor(t.db, { role: "admin" });
    for (const bad of [
      { policy: "admins", threshold: -1 },
      { policy: "admins", threshold: 100_001 },
      { policy: "admins", threshold: 2.5 },
      { policy: "owners", threshold: 5 },
      { policy: "admins" },
    ]) {
      await expectParley(setBroadcastPolicy(t.db, admin, bad), "BAD_REQUEST");
    }
    expect(await getBroadcastPolicy(t.db)).toEqual({ policy: "everyone", threshold: 5 });
    expect(await setBroadcastPolicy(t.db, admin, { policy: "admins", threshold: 100_000 })).toEqual({
      policy: "admins",
      threshold: 100_000,
    });
    const log = await t.db.auditEntry.findFirst({
      where: { action: "workspace.updated", actorId: admin.userId },
      orderBy: { at: "desc" },
    });
    expect(log?.details).toEqual({
      before: { broadcastPolicy: { policy: "everyone", threshold: 5 } },
      after: { broadcastPolicy: { policy: "admins", threshold: 100_000 } },
    });
    await policy("everyone", 5);
  });
});

describe.each(roads)("broadcast policy, sending %s", (_road, send) => {
  it("policy everyone: a member's @channel in a large channel is stored with mentionsAll", async () => {
    await policy("everyone", 5);
    const { ch, member } = await channelOf(8);
    const m = stored(await send(member, ch.id, "<!channel> standup"));
    expect(m.mentionsAll).toBe(true);
  });

  it("policy admins: a member's @channel, @here and @everyone above the threshold are refused; nothing is written", async () => {
    await policy("admins", 5);
    const { ch, member } = await channelOf(6);
    for (const body of ["<!channel> standup", "hi <!here>", "<!everyone>"]) {
      await expectRefusedWritingNothing(ch.id, () => send(member, ch.id, body), 5);
    }
    // Negative control: the same member, the same channel, no broadcast.
    const plain = stored(await send(member, ch.id, "standup in 5"));
    expect(plain.mentionsAll).toBe(false);
    // A private channel is a channel too.
    const priv = await channelOf(6, { isPrivate: true });
    await expectRefusedWritingNothing(priv.ch.id, () => send(priv.member, priv.ch.id, "<!here>"), 5);
  });

  it("policy admins: workspace admins and owners may broadcast anywhere", async () => {
    await policy("admins", 5);
    const { ch, member } = await channelOf(10);
    const admin = await adminIn(ch.id, member);
    expect(stored(await send(admin, ch.id, "<!channel> release")).mentionsAll).toBe(true);
    const owner = await newActor(t.db, { role: "owner" });
    await addMembers(t.db, member, { conversationId: ch.id, userIds: [owner.userId] });
    expect(stored(await send(owner, ch.id, "<!everyone> hi")).mentionsAll).toBe(true);
  });

  it("policy admins: the stored role decides, not the role the caller's actor claims", async () => {
    await policy("admins", 5);
    const { ch, member } = await channelOf(6);
    await expectRefusedWritingNothing(
      ch.id,
      () => send({ ...member, role: "admin" }, ch.id, "<!channel>"),
      5,
    );
  });

  it("policy admins: channels of at most the threshold's size are not restricted", async () => {
    await policy("admins", 5);
    const { ch, member } = await channelOf(5);
    expect(stored(await send(member, ch.id, "<!channel> small room")).mentionsAll).toBe(true);
    // One more member tips it over.
    const extra = await newActor(t.db);
    await addMembers(t.db, member, { conversationId: ch.id, userIds: [extra.userId] });
    await expectRefusedWritingNothing(ch.id, () => send(member, ch.id, "<!channel> now six"), 5);
  });

  it("policy admins, threshold 0: every channel is restricted, even one of a single member", async () => {
    await policy("admins", 0);
    const { ch, member } = await channelOf(1);
    await expectRefusedWritingNothing(ch.id, () => send(member, ch.id, "<!here>"), 0);
  });

  it("policy admins, threshold 0: DMs and group DMs are never restricted", async () => {
    await policy("admins", 0);
    const me = await newActor(t.db);
    const others = await Promise.all(Array.from({ length: 7 }, () => newActor(t.db)));
    const dm = await openDm(t.db, me, { userIds: [others[0]?.userId] });
    expect(stored(await send(me, dm.id, "<!channel> hi")).mentionsAll).toBe(true);
    const group = await openDm(t.db, me, { userIds: others.map((o) => o.userId) });
    expect(stored(await send(me, group.id, "<!everyone> hi all")).mentionsAll).toBe(true);
  });
});

describe("broadcast policy in one group-commit batch", () => {
  it("refuses only the restricted send; its neighbours are stored with gapless seqs", async () => {
    await policy("admins", 3);
    const { ch, member, others } = await channelOf(6);
    const admin = await adminIn(ch.id, member);
    const before = await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } });
    const sendAs = (actor: TActor, body: string) =>
      sendMessage(t.db, actor, { conversationId: ch.id, clientMsgId: randomUUID(), body });
    const batchesBefore = sendBatchStats(t.db)?.batches ?? 0;
    const settled = await Promise.allSettled([
      sendAs(member, "first"),
      sendAs(others[0] as TActor, "<!channel> refused"),
      sendAs(admin, "<!channel> allowed"),
      sendAs(others[1] as TActor, "last"),
    ]);
    expect((sendBatchStats(t.db)?.batches ?? 0) - batchesBefore).toBe(1);
    const refused = settled[1];
    expect(refused?.status).toBe("rejected");
    expect(refused?.status === "rejected" && refused.reason.reason).toBe(ErrorReason.BroadcastRestricted);
    const seqs = [0, 2, 3].map((i) => {
      const s = settled[i];
      if (s?.status !== "fulfilled") throw new Error(`send ${i} failed`);
      return stored(s.value).seq;
    });
    expect(seqs).toEqual([before.lastSeq + 1, before.lastSeq + 2, before.lastSeq + 3]);
    const after = await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } });
    expect(after.lastSeq).toBe(before.lastSeq + 3);
    expect(await t.db.message.count({ where: { conversationId: ch.id, body: "<!channel> refused" } })).toBe(
      0,
    );
  });
});

describe("broadcast policy on edits", () => {
  it("an edit cannot add a restricted broadcast; nothing is written", async () => {
    await policy("everyone", 5);
    const { ch, member } = await channelOf(6);
    const plain = stored(
      await sendMessage(t.db, member, { conversationId: ch.id, clientMsgId: randomUUID(), body: "hi" }),
    );
    const earlier = stored(
      await sendMessage(t.db, member, {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: "<!channel> old",
      }),
    );
    await policy("admins", 5);
    await expectRefusedWritingNothing(
      ch.id,
      () => editMessage(t.db, member, { messageId: plain.id, body: "hi <!channel>" }),
      5,
    );
    const row = await t.db.message.findUniqueOrThrow({ where: { id: plain.id } });
    expect(row).toMatchObject({ body: "hi", mentionsAll: false, editedAt: null });
    // Other edits still work, and a message that already broadcast may keep its mention.
    expect((await editMessage(t.db, member, { messageId: plain.id, body: "hello" })).seq).not.toBeNull();
    const kept = await editMessage(t.db, member, {
      messageId: earlier.id,
      body: "<!channel> old (typo fixed)",
    });
    expect(kept.mentionsAll).toBe(true);
  });

  it("admins may edit a broadcast in; a small channel or a DM stays unrestricted", async () => {
    await policy("admins", 5);
    const big = await channelOf(6);
    const admin = await adminIn(big.ch.id, big.member);
    const mine = stored(
      await sendMessage(t.db, admin, { conversationId: big.ch.id, clientMsgId: randomUUID(), body: "x" }),
    );
    expect((await editMessage(t.db, admin, { messageId: mine.id, body: "x <!here>" })).mentionsAll).toBe(
      true,
    );
    const small = await channelOf(5);
    const m = stored(
      await sendMessage(t.db, small.member, {
        conversationId: small.ch.id,
        clientMsgId: randomUUID(),
        body: "y",
      }),
    );
    expect((await editMessage(t.db, small.member, { messageId: m.id, body: "y <!here>" })).mentionsAll).toBe(
      true,
    );
    await policy("admins", 0);
    const other = await newActor(t.db);
    const dm = await openDm(t.db, small.member, { userIds: [other.userId] });
    const d = stored(
      await sendMessage(t.db, small.member, { conversationId: dm.id, clientMsgId: randomUUID(), body: "z" }),
    );
    expect(
      (await editMessage(t.db, small.member, { messageId: d.id, body: "z <!channel>" })).mentionsAll,
    ).toBe(true);
  });
});
