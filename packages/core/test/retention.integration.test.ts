/**
 * Message retention (core/src/retention): the job removes exactly the messages older than each
 * conversation's cutoff — their events, reactions, pins, search rows and files (objects included)
 * — behind the tombstone `Conversation.truncatedSeq`; sync and history skip the removed range;
 * sends keep working while it runs; the dry run changes nothing. Storage: the real S3 server
 * when S3_ENDPOINT is set (scripts/s3-server.sh), else local disk.
 */

import { randomUUID } from "node:crypto";
import { seedMessages } from "@parley/db/seed";
import { describe, expect, it } from "vitest";
import { createChannel } from "../src/conversations.ts";
import { editMessage } from "../src/messages/edit.ts";
import { pinMessage } from "../src/messages/pins.ts";
import { addReaction } from "../src/messages/reactions.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import { runMessageRetention } from "../src/retention/run.ts";
import {
  getRetentionSettings,
  previewRetention,
  setChannelRetention,
  setWorkspaceRetention,
} from "../src/retention/settings.ts";
import { indexSearchUntilCaughtUp } from "../src/search/indexer.ts";
import { syncSince } from "../src/sync.ts";
import { channelName, expectParley, newActor, stored, testStorage, useTestDb } from "./helpers.ts";

const t = useTestDb();
const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-12-01T12:00:00.000Z");

const store = testStorage("retention");

const send = async (actor: Awaited<ReturnType<typeof newActor>>, conversationId: string, body: string) =>
  stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body }));

/** Dates a conversation's log entries (events and messages) with seq in [from, to] at `at`. */
async function backdate(conversationId: string, from: number, to: number, at: Date): Promise<void> {
  await t.db.$executeRaw`UPDATE "Event" SET "createdAt" = ${at}::timestamp(3)
    WHERE "conversationId" = ${conversationId}::uuid AND seq BETWEEN ${from} AND ${to}`;
  await t.db.$executeRaw`UPDATE "Message" SET "createdAt" = ${at}::timestamp(3)
    WHERE "conversationId" = ${conversationId}::uuid AND seq BETWEEN ${from} AND ${to}`;
}

/** An attachment on a message, with its object and thumbnail in storage. */
async function attach(uploaderId: string, conversationId: string, messageId: string) {
  const objectKey = `retention/${randomUUID()}`;
  const thumbnailKey = `${objectKey}.thumb.webp`;
  await store.storage.putObject(objectKey, Buffer.from("file bytes"), { contentType: "text/plain" });
  await store.storage.putObject(thumbnailKey, Buffer.from("thumb"), { contentType: "image/webp" });
  await t.db.attachment.create({
    data: {
      uploaderId,
      conversationId,
      messageId,
      objectKey,
      thumbnailKey,
      name: "notes.txt",
      mime: "text/plain",
      size: 10,
      status: "ready",
    },
  });
  return { objectKey, thumbnailKey };
}

describe("message retention", () => {
  it("removes exactly what is older than the cutoff, with its files, and skips the range on sync and history", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, admin, { name: channelName(), memberIds: [bob.userId] });
    const old = [];
    for (let i = 0; i < 4; i++) old.push(await send(admin, ch.id, `old ${i}`));
    const edge = await send(admin, ch.id, "one millisecond too old");
    const kept = await send(admin, ch.id, "exactly at the cutoff");
    const recent = await send(bob, ch.id, "recent");
    const oldFile = await attach(admin.userId, ch.id, old[1]!.id);
    const keptFile = await attach(admin.userId, ch.id, kept.id);
    await addReaction(t.db, bob, { messageId: old[0]!.id, emoji: "👍" });
    await pinMessage(t.db, bob, { messageId: old[2]!.id });
    // An old message edited recently: the edit sits above the tombstone and must lose its text.
    await editMessage(t.db, admin, { messageId: old[3]!.id, body: "secret edit" });

    const cutoff = new Date(NOW.getTime() - 30 * DAY);
    // Everything up to the edge message is older than the cutoff (the reaction and pin with it).
    await backdate(ch.id, 1, edge.seq, new Date(cutoff.getTime() - 5 * DAY));
    await backdate(ch.id, edge.seq, edge.seq, new Date(cutoff.getTime() - 1));
    await backdate(ch.id, kept.seq, kept.seq, cutoff);
    await backdate(ch.id, recent.seq + 1, 1_000_000, NOW); // the reaction, pin and edit: recent
    await t.db.$executeRaw`UPDATE "Event" SET "createdAt" = ${cutoff}::timestamp(3)
      WHERE "conversationId" = ${ch.id}::uuid AND seq IN (${kept.seq}, ${recent.seq})`;
    await indexSearchUntilCaughtUp(t.db);
    expect(await t.db.messageSearch.count({ where: { conversationId: ch.id } })).toBe(7);

    // Only admins, and the audit log has each change.
    await expectParley(setWorkspaceRetention(t.db, bob, { days: 30 }), "FORBIDDEN");
    await expectParley(setWorkspaceRetention(t.db, admin, { days: -1 }), "BAD_REQUEST");
    await setWorkspaceRetention(t.db, admin, { days: 30 });
    const lastSeqBefore = (await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } })).lastSeq;

    // The dry run says what would go and changes nothing.
    const before = await t.db.message.count({ where: { conversationId: ch.id } });
    const preview = await previewRetention(t.db, admin, { now: NOW });
    expect(preview.find((r) => r.conversationId === ch.id)).toMatchObject({
      days: 30,
      messages: 5,
      files: 1,
      oldestKeptAt: cutoff,
    });
    expect(await t.db.message.count({ where: { conversationId: ch.id } })).toBe(before);
    expect((await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } })).truncatedSeq).toBe(0);

    const summary = await runMessageRetention(t.db, store.storage, { now: NOW, batchSize: 3 });
    expect(summary).toMatchObject({ isLocked: true, messages: 5, files: 1 });
    expect(summary.batches).toBeGreaterThan(1);

    const conversation = await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } });
    expect(conversation.truncatedSeq).toBe(edge.seq);
    expect(conversation.lastSeq).toBe(lastSeqBefore);
    const left = await t.db.message.findMany({ where: { conversationId: ch.id }, orderBy: { seq: "asc" } });
    expect(left.map((m) => m.body)).toEqual(["exactly at the cutoff", "recent"]);
    expect(await t.db.event.count({ where: { conversationId: ch.id, seq: { lte: edge.seq } } })).toBe(0);
    expect(await t.db.event.count({ where: { conversationId: ch.id } })).toBe(lastSeqBefore - edge.seq);
    expect(await t.db.reaction.count({ where: { messageId: old[0]!.id } })).toBe(0);
    expect(await t.db.messageSearch.count({ where: { conversationId: ch.id } })).toBe(2);
    const edit = await t.db.event.findFirstOrThrow({
      where: { conversationId: ch.id, kind: "message.edited" },
    });
    expect((edit.payload as { body: string }).body).toBe("");
    // The removed message's file: row and objects gone; the kept one's untouched.
    expect(await store.storage.statObject(oldFile.objectKey)).toBeNull();
    expect(await store.storage.statObject(oldFile.thumbnailKey)).toBeNull();
    expect(await store.storage.statObject(keptFile.objectKey)).not.toBeNull();
    expect(await t.db.attachment.count({ where: { conversationId: ch.id } })).toBe(1);

    // A cursor inside the removed range: told where the log starts, then every remaining event.
    const sync = await syncSince(t.db, bob, { cursors: { [ch.id]: 2 } });
    expect(sync.conversations[0]).toMatchObject({
      status: "ok",
      truncatedSeq: edge.seq,
      lastSeq: lastSeqBefore,
    });
    expect(sync.conversations[0]!.events.map((e) => e.seq)).toEqual(
      Array.from({ length: lastSeqBefore - edge.seq }, (_, i) => edge.seq + 1 + i),
    );
    // A cursor above it is answered as ever (no truncatedSeq).
    const above = await syncSince(t.db, bob, { cursors: { [ch.id]: kept.seq } });
    expect(above.conversations[0]).not.toHaveProperty("truncatedSeq");

    // History pages stop at the tombstone.
    const page = await getHistory(t.db, bob, { conversationId: ch.id, before: recent.seq, limit: 50 });
    expect(page).toMatchObject({ hasMoreBefore: false, truncatedSeq: edge.seq });
    expect(page.messages.map((m) => m.seq)).toEqual([kept.seq]);

    // A second pass finds nothing; the run is in the audit log with its counts.
    expect(await runMessageRetention(t.db, store.storage, { now: NOW })).toMatchObject({ events: 0 });
    const audit = await t.db.auditEntry.findMany({
      where: { action: { in: ["retention.ran", "retention.updated"] } },
      orderBy: { at: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(["retention.updated", "retention.ran"]);
    expect(audit[1]!.details).toMatchObject({ messages: 5, files: 1 });
  });

  it("lets a channel's override win: shorter, longer or forever", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const make = async (days: number | null, ageDays: number) => {
      const ch = await createChannel(t.db, admin, { name: channelName() });
      await setChannelRetention(t.db, admin, { conversationId: ch.id, days });
      const m = await send(admin, ch.id, `${ageDays} days old`);
      await backdate(ch.id, 1, m.seq, new Date(NOW.getTime() - ageDays * DAY));
      return ch.id;
    };
    await setWorkspaceRetention(t.db, admin, { days: 30 });
    const shorter = await make(5, 10); // goes (5 < 10)
    const longer = await make(60, 40); // stays (the default 30 would remove it)
    const forever = await make(0, 400); // stays
    const byDefault = await make(null, 40); // goes
    const settings = await getRetentionSettings(t.db, admin);
    expect(settings.workspaceDays).toBe(30);
    expect(settings.channels.find((c) => c.conversationId === longer)?.retentionDays).toBe(60);

    await runMessageRetention(t.db, store.storage, { now: NOW });
    const count = (id: string) => t.db.message.count({ where: { conversationId: id } });
    expect(await count(shorter)).toBe(0);
    expect(await count(longer)).toBe(1);
    expect(await count(forever)).toBe(1);
    expect(await count(byDefault)).toBe(0);
    await expectParley(
      setChannelRetention(t.db, admin, { conversationId: randomUUID(), days: 1 }),
      "NOT_FOUND",
    );
  });

  it("does not block sends: concurrent sends during a run all succeed with dense seqs", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    await setWorkspaceRetention(t.db, admin, { days: 30 });
    const ch = await createChannel(t.db, admin, { name: channelName() });
    await seedMessages(t.db, { conversationId: ch.id, senderId: admin.userId, count: 300 });
    const { lastSeq } = await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } });
    await backdate(ch.id, 1, lastSeq, new Date(NOW.getTime() - 90 * DAY));

    const run = runMessageRetention(t.db, store.storage, { now: NOW, batchSize: 20 });
    const sends = await Promise.all(
      Array.from({ length: 30 }, (_, i) => send(admin, ch.id, `during the run ${i}`)),
    );
    const summary = await run;
    expect(summary.events).toBe(lastSeq);
    expect(sends.map((m) => m.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => lastSeq + 1 + i),
    );
    const left = await t.db.message.findMany({ where: { conversationId: ch.id }, select: { body: true } });
    expect(left).toHaveLength(30);
    expect(left.every((m) => m.body.startsWith("during the run"))).toBe(true);
  });
});
