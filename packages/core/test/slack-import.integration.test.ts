/**
 * Slack import (core/src/slack-import) on synthetic exports the test builds in Slack's format
 * (slack-export-fixture.ts): the awkward export imported through the real path (upload to storage,
 * start, the worker's run) and the result read back — people matched or created deactivated,
 * channels (a taken name renamed by the rule), order, gap-free seqs with events that decode with
 * the protocol's schemas, threads, reactions, pins, edits, tombstones, files (their bytes from the
 * zip in both layouts tools write, into storage as attachments; missing and blocked ones as a
 * line), an archived channel; the same zip again changes nothing (no second object or attachment,
 * no second archiving); malformed zips are refused with nothing written; admins only. The
 * 100,000-message import beside live traffic, and its progress: slack-import-large.integration.test.ts.
 * Storage: the real S3 server when S3_ENDPOINT is set, else local disk (slack-import-harness.ts).
 */
import { randomUUID } from "node:crypto";
import { buffer as readAll } from "node:stream/consumers";
import { ConversationEventPayloads, type TEventKind } from "@parley/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel, unarchiveConversation } from "../src/conversations.ts";
import { createSlackImport, getSlackImport, startSlackImport } from "../src/slack-import/requests.ts";
import { runPendingSlackImports } from "../src/slack-import/run.ts";
import { expectParley, logCounts, newActor, testStorage, useTestDb } from "./helpers.ts";
import {
  AWKWARD,
  awkwardExport,
  DIAGRAM_PNG,
  NOTES_TXT,
  RANDOM_IMPORTED_TS,
  unsafeZip,
  zipFiles,
} from "./slack-export-fixture.ts";
import { uploadAndStart } from "./slack-import-harness.ts";

const t = useTestDb();
const store = testStorage("import");
let admin: TActor & { name: string; email: string };
let alice: TActor & { name: string; email: string };

beforeAll(async () => {
  admin = await newActor(t.db, { role: "admin", name: "Importing Admin" });
  alice = await newActor(t.db, { name: "Alice in Parley" });
});

/** Uploads `zip` as the browser would (to the presigned key), starts it and runs the worker once. */
async function importZip(zip: Buffer, batchSize?: number) {
  const { id, objectKey } = await uploadAndStart(t.db, store.storage, admin, zip);
  const results = await runPendingSlackImports(t.db, store.storage, batchSize ? { batchSize } : {});
  expect(results.map((r) => r.id)).toEqual([id]);
  return { result: results[0]!, row: await getSlackImport(t.db, admin, { id }), objectKey };
}

async function mapped(kind: string, slackId: string): Promise<string> {
  const row = await t.db.slackImportMapping.findUniqueOrThrow({ where: { kind_slackId: { kind, slackId } } });
  return row.parleyId;
}

/** The attachment objects in storage. */
async function storedObjects(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.storage.listObjects("att/")) keys.push(o.key);
  return keys.sort();
}

/** Everything an import could have written, counted. */
async function worldCounts() {
  const [log, users, conversations, memberships, reactions, mappings, attachments, objects, archived] =
    await Promise.all([
      logCounts(t.db),
      t.db.user.count(),
      t.db.conversation.count(),
      t.db.membership.count(),
      t.db.reaction.count(),
      t.db.slackImportMapping.count(),
      t.db.attachment.count(),
      storedObjects(),
      t.db.conversation.count({ where: { archivedAt: { not: null } } }),
    ]);
  return { ...log, users, conversations, memberships, reactions, mappings, attachments, objects, archived };
}

/** The bytes of a stored object. */
async function bytesOf(key: string): Promise<Buffer> {
  return readAll(await store.storage.getObject(key));
}

/** Asserts a conversation's log is gap-free from 1 and every payload decodes with the protocol's schema. */
async function expectConsistentLog(conversationId: string) {
  const conversation = await t.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
  const events = await t.db.event.findMany({ where: { conversationId }, orderBy: { seq: "asc" } });
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: conversation.lastSeq }, (_, i) => i + 1));
  for (const e of events) {
    const schema = ConversationEventPayloads[e.kind as TEventKind];
    expect(schema.safeParse(e.payload).success, `${e.kind} at seq ${e.seq}`).toBe(true);
  }
  const messages = await t.db.message.findMany({ where: { conversationId }, orderBy: { seq: "asc" } });
  const created = new Map(events.filter((e) => e.kind === "message.created").map((e) => [e.seq, e]));
  for (const m of messages) {
    expect((created.get(m.seq)?.payload as { message?: { id: string } } | undefined)?.message?.id).toBe(m.id);
  }
  return { conversation, events, messages };
}

describe("Slack import", () => {
  let randomTaken: string;
  let firstZip: Buffer;

  it("imports the awkward export: people, channels, order, threads, reactions, pins, edits", async () => {
    // A Parley channel already named #random: the import must not touch it.
    randomTaken = (await createChannel(t.db, alice, { name: "random" })).id;
    firstZip = await zipFiles(awkwardExport(alice.email));
    const seen: string[] = [];
    const off = t.bus.subscribeAll((e) => seen.push("kind" in e ? e.kind : ""));
    const { result, row, objectKey } = await importZip(firstZip, 3);
    off();
    expect(result.status).toBe("done");
    expect(row.status).toBe("done");
    expect(row.totalMessages).toBe(9 + 1 + 1 + 2 + 1);
    expect(row.messages).toBe(row.totalMessages);
    expect(await store.storage.statObject(objectKey)).toBeNull();

    // People: alice matched by e-mail (case-insensitive) and left alone; the rest created deactivated.
    expect(await mapped("user", AWKWARD.alice)).toBe(alice.userId);
    const aliceRow = await t.db.user.findUniqueOrThrow({ where: { id: alice.userId } });
    expect(aliceRow.deactivatedAt).toBeNull();
    expect(aliceRow.name).toBe("Alice in Parley");
    const bob = await t.db.user.findUniqueOrThrow({ where: { id: await mapped("user", AWKWARD.bob) } });
    expect(bob).toMatchObject({ name: "Bøb Ñandú 🚀", email: "bob.import@example.com", passwordHash: "" });
    expect(bob.deactivatedAt).not.toBeNull();
    const carol = await t.db.user.findUniqueOrThrow({ where: { id: await mapped("user", AWKWARD.carol) } });
    expect(carol.email).toBe("u0carol@slack-import.invalid");
    expect(carol.deactivatedAt).not.toBeNull();
    const bot = await t.db.user.findUniqueOrThrow({ where: { id: await mapped("user", AWKWARD.bot) } });
    expect(bot.name).toBe("deploybot");
    expect(bot.deactivatedAt).not.toBeNull();
    // Created: bob, carol, the bot and USLACKBOT (the tombstone's sender, absent from users.json).
    expect(row.summary?.users).toEqual({ matched: 1, created: 4 });

    // #random was taken: the import made #random-slack; the existing channel got nothing.
    const randomId = await mapped("conversation", AWKWARD.random);
    expect(randomId).not.toBe(randomTaken);
    const { conversation, events, messages } = await expectConsistentLog(randomId);
    expect(conversation).toMatchObject({
      name: "random-slack",
      kind: "public_channel",
      topic: "Anything goes",
    });
    expect(await t.db.message.count({ where: { conversationId: randomTaken } })).toBe(0);
    expect(await t.db.conversation.findUniqueOrThrow({ where: { id: randomTaken } })).toMatchObject({
      name: "random",
    });

    // Order: seq order is Slack's time order; createdAt is the Slack ts; the join notice is not a message.
    expect(messages.map((m) => m.createdAt.getTime())).toEqual(
      RANDOM_IMPORTED_TS.map((s) => Math.floor(Number(s) * 1000)),
    );
    const [root, reply, broadcast, edited, botMsg, withFile, tombstone, tombReply, skin] = messages;
    expect(root!.body).toBe(`Hello <@${bob.id}> & all <3`);
    expect(root!.mentionedUserIds).toEqual([bob.id]);
    expect(root!.senderId).toBe(alice.userId);
    // Thread: both replies under the root; the broadcast also in the channel; counters recounted.
    expect(reply).toMatchObject({ threadRootId: root!.id, alsoInChannel: false, senderId: bob.id });
    expect(broadcast).toMatchObject({ threadRootId: root!.id, alsoInChannel: true });
    expect(root).toMatchObject({ replyCount: 2, lastReplyAt: broadcast!.createdAt });
    // Pin (from channels.json pins: by bob, at its time) and reactions (+1 by bob and carol).
    expect(root!.pinnedAt).toEqual(new Date(1_699_920_900_000));
    expect(root!.pinnedById).toBe(bob.id);
    const rootReactions = await t.db.reaction.findMany({
      where: { messageId: root!.id },
      orderBy: { userId: "asc" },
    });
    expect(rootReactions.map((r) => [r.userId, r.emoji])).toEqual(
      [
        [bob.id, ":+1:"],
        [carol.id, ":+1:"],
      ].sort(),
    );
    expect(edited!.editedAt).toEqual(
      new Date(Math.floor(Number(AWKWARD.editedTs.split(".")[0]) + 50) * 1000),
    );
    expect(edited!.senderId).toBe(carol.id);
    expect(botMsg).toMatchObject({ senderId: bot.id, body: "Deployed v1" });
    // Files: the one missing from the zip and the blocked one are lines; the image in
    // `__uploads/<id>/` is an attachment (sized, with a thumbnail), its bytes in storage.
    expect(withFile!.body).toBe(
      "see attached\n[file not imported: report.pdf]\n[file not imported: tool.exe]",
    );
    const [diagram, ...noMore] = await t.db.attachment.findMany({ where: { messageId: withFile!.id } });
    expect(noMore).toEqual([]);
    expect(diagram).toMatchObject({
      name: "diagram.png",
      mime: "image/png",
      size: BigInt(DIAGRAM_PNG.length),
      width: 1,
      height: 1,
      status: "ready",
      uploaderId: alice.userId,
      conversationId: randomId,
      createdAt: withFile!.createdAt,
      objectKey: `att/${randomId}/slack/${AWKWARD.fileTs}-F0DIAGRAM/diagram.png`,
    });
    expect(diagram!.thumbnailKey).not.toBeNull();
    expect((await bytesOf(diagram!.objectKey)).equals(DIAGRAM_PNG)).toBe(true);
    const created = events.find((e) => e.kind === "message.created" && e.seq === withFile!.seq);
    const payload = created?.payload as { message: { attachments: unknown[] } } | undefined;
    expect(payload?.message.attachments).toMatchObject([
      { id: diagram!.id, name: "diagram.png", mime: "image/png", width: 1, height: 1, hasThumbnail: true },
    ]);
    expect(tombstone).toMatchObject({ body: "", replyCount: 1 });
    expect(tombstone!.deletedAt).not.toBeNull();
    expect(tombReply!.threadRootId).toBe(tombstone!.id);
    expect(await t.db.reaction.findMany({ where: { messageId: skin!.id } })).toMatchObject([
      { userId: alice.userId, emoji: ":thumbsup:" },
    ]);
    // The log says it all, in place: edit, deletion, reactions, pin right after their message.
    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((k) => k === "member.joined")).toHaveLength(3);
    expect(kinds.filter((k) => k === "message.created")).toHaveLength(9);
    expect(kinds.filter((k) => k === "message.edited")).toHaveLength(1);
    expect(kinds.filter((k) => k === "message.deleted")).toHaveLength(1);
    expect(kinds.filter((k) => k === "reaction.added")).toHaveLength(3);
    expect(kinds.filter((k) => k === "message.pinned")).toHaveLength(1);
    // Members (the creator owns it) start with the imported history read.
    const members = await t.db.membership.findMany({ where: { conversationId: randomId } });
    expect(members.map((m) => m.userId).sort()).toEqual([alice.userId, bob.id, carol.id].sort());
    expect(members.find((m) => m.userId === alice.userId)?.role).toBe("owner");
    expect(members.every((m) => m.readSeq === conversation.lastSeq)).toBe(true);
    // Published after commit like any write (clients and the search indexer follow the log).
    expect(seen.filter((k) => k === "message.created")).toHaveLength(row.totalMessages!);

    // The unicode channel, the private channel, the DM and the group DM.
    const cafe = await t.db.conversation.findUniqueOrThrow({
      where: { id: await mapped("conversation", AWKWARD.cafe) },
    });
    expect(cafe.name).toBe("cafe-nono");
    expect((await t.db.message.findFirstOrThrow({ where: { conversationId: cafe.id } })).body).toBe(
      "ça va? 日本語",
    );
    const secret = await t.db.conversation.findUniqueOrThrow({
      where: { id: await mapped("conversation", AWKWARD.secret) },
      include: { memberships: true },
    });
    expect(secret.kind).toBe("private_channel");
    expect(secret.memberships.map((m) => m.userId).sort()).toEqual([alice.userId, bob.id].sort());
    // slackdump's standard layout: `<folder>/attachments/<file id>-<name>`.
    const secretMessage = await t.db.message.findFirstOrThrow({
      where: { conversationId: secret.id },
      include: { attachments: true },
    });
    expect(secretMessage.body).toBe("private stuff");
    expect(secretMessage.attachments).toMatchObject([{ name: "notes.txt", mime: "text/plain" }]);
    expect((await bytesOf(secretMessage.attachments[0]!.objectKey)).equals(NOTES_TXT)).toBe(true);
    // Archived in Slack: archived here, after its history, by core's archive (event, audit).
    expect(cafe.archivedAt).not.toBeNull();
    const cafeLog = await expectConsistentLog(cafe.id);
    expect(cafeLog.events.at(-1)).toMatchObject({
      kind: "conversation.updated",
      actorId: admin.userId,
      payload: { archived: true },
    });
    expect(
      await t.db.auditEntry.count({
        where: { action: "channel.archived", targetId: cafe.id, actorId: admin.userId },
      }),
    ).toBe(1);
    expect(await mapped("archived", AWKWARD.cafe)).toBe(cafe.id);
    const dm = await t.db.conversation.findUniqueOrThrow({
      where: { id: await mapped("conversation", AWKWARD.dm) },
    });
    expect(dm).toMatchObject({ kind: "dm", dmKey: [alice.userId, bob.id].sort().join(",") });
    const dmLog = await expectConsistentLog(dm.id);
    expect(dmLog.messages.map((m) => m.body)).toEqual(["psst", "hi back"]);
    const mpim = await t.db.conversation.findUniqueOrThrow({
      where: { id: await mapped("conversation", AWKWARD.mpim) },
    });
    expect(mpim.kind).toBe("group_dm");
    for (const id of [cafe.id, secret.id, mpim.id]) await expectConsistentLog(id);

    expect(row.summary).toMatchObject({
      conversations: { created: 5, existing: 0, archived: 1 },
      messages: { imported: 14, alreadyImported: 0 },
      filesImported: 2,
      filesNotImported: 2,
    });
    expect(await storedObjects()).toEqual(
      [diagram!.objectKey, diagram!.thumbnailKey!, secretMessage.attachments[0]!.objectKey].sort(),
    );
    const audit = await t.db.auditEntry.findMany({
      where: { action: { startsWith: "slack_import." } },
      orderBy: { at: "asc" },
    });
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ["slack_import.started", admin.userId],
      ["slack_import.finished", admin.userId],
    ]);
  });

  it("changes nothing when the same zip is imported again", async () => {
    const before = await worldCounts();
    const lastSeqs = await t.db.conversation.findMany({
      select: { id: true, lastSeq: true },
      orderBy: { id: "asc" },
    });
    const { row } = await importZip(firstZip);
    expect(row.status).toBe("done");
    expect(row.summary).toMatchObject({
      users: { matched: 0, created: 0 },
      conversations: { created: 0, existing: 5, archived: 0 },
      messages: { imported: 0, alreadyImported: 14 },
      events: 0,
      filesImported: 0,
    });
    expect(await worldCounts()).toEqual(before);
    expect(
      await t.db.conversation.findMany({ select: { id: true, lastSeq: true }, orderBy: { id: "asc" } }),
    ).toEqual(lastSeqs);
  });

  it("archives an archived Slack channel once: an admin's unarchive stands on the next import", async () => {
    const cafe = await mapped("conversation", AWKWARD.cafe);
    await unarchiveConversation(t.db, admin, { conversationId: cafe });
    const { row } = await importZip(firstZip);
    expect(row.summary).toMatchObject({ conversations: { archived: 0 }, events: 0 });
    expect((await t.db.conversation.findUniqueOrThrow({ where: { id: cafe } })).archivedAt).toBeNull();
  });

  it("refuses malformed zips with a clear reason and writes nothing", async () => {
    const before = await worldCounts();
    const cases: [Buffer, RegExp][] = [
      [Buffer.from("this is not a zip at all"), /not a zip file/],
      [await zipFiles(new Map([["channels.json", []]])), /users\.json is missing/],
      [await unsafeZip("../evil.json"), /unsafe path/],
      [
        await zipFiles(
          new Map<string, unknown>([
            ...awkwardExport("someone-else@example.com"),
            ["random/2023-11-20.json", [{ type: "message", user: AWKWARD.alice, text: "no ts" }]],
          ]),
        ),
        /random\/2023-11-20\.json is not in Slack's export format at 0\.ts/,
      ],
      [await zipFiles(new Map([["users.json", Buffer.from("[{")]])), /users\.json is not valid JSON/],
    ];
    for (const [zip, reason] of cases) {
      const { row } = await importZip(zip);
      expect(row.status).toBe("failed");
      expect(row.error).toMatch(reason);
      // The failure is audit-logged once, as the admin who started it, with the reason they saw.
      const failed = await t.db.auditEntry.findMany({
        where: { action: "slack_import.failed", details: { path: ["importId"], equals: row.id } },
      });
      expect(failed).toMatchObject([
        { actorId: admin.userId, targetType: "workspace", details: { error: row.error } },
      ]);
    }
    expect(await worldCounts()).toEqual(before);
  });

  it("is for admins only, and starts only a completely uploaded zip", async () => {
    const member = await newActor(t.db);
    await expectParley(
      createSlackImport(t.db, store.storage, member, { fileName: "a.zip", size: 10 }),
      "FORBIDDEN",
    );
    await expectParley(
      createSlackImport(t.db, store.storage, admin, { fileName: "a.tar", size: 10 }),
      "BAD_REQUEST",
    );
    const { import: created } = await createSlackImport(t.db, store.storage, admin, {
      fileName: "a.zip",
      size: 10,
    });
    await expectParley(startSlackImport(t.db, store.storage, member, { id: created.id }), "FORBIDDEN");
    await expectParley(getSlackImport(t.db, member, { id: created.id }), "FORBIDDEN");
    await expectParley(
      startSlackImport(t.db, store.storage, admin, { id: created.id }),
      "BAD_REQUEST",
      /not been uploaded/,
    );
    await expectParley(startSlackImport(t.db, store.storage, admin, { id: randomUUID() }), "NOT_FOUND");
  });
});
