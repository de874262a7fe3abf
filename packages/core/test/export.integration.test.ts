/**
 * Data exports (core/src/export): a workspace export and a user export built for real, their
 * archives opened and every JSON line compared with the database; file bytes; no secrets; private
 * channels by name and member count only, DMs absent; who may request, see and download (others
 * get the answer an unknown id gets); audit entries; expiry; a dead runner's export taken over.
 * Storage: the real S3 server when S3_ENDPOINT is set (scripts/s3-server.sh), else local disk.
 */
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { createChannel, openDm } from "../src/conversations.ts";
import { exportDownloadUrl, getExport, listExports, requestExport } from "../src/export/requests.ts";
import { expireExports, runPendingExports, startExportWorker } from "../src/export/run.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { editMessage } from "../src/messages/edit.ts";
import { pinMessage } from "../src/messages/pins.ts";
import { addReaction } from "../src/messages/reactions.ts";
import { sendMessage } from "../src/messages/send.ts";
import { createAccessToken } from "../src/tokens.ts";
import { channelName, expectParley, newActor, stored, testStorage, useTestDb } from "./helpers.ts";

const t = useTestDb();
const store = testStorage("export");

type TActorOf = Awaited<ReturnType<typeof newActor>>;

const send = async (actor: TActorOf, conversationId: string, body: string, extra: object = {}) =>
  stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body, ...extra }));

/** A ready attachment on a message, its bytes in storage. */
async function attach(
  uploaderId: string,
  conversationId: string,
  messageId: string,
  name: string,
  bytes: Buffer,
) {
  const objectKey = `attachments/${randomUUID()}`;
  await store.storage.putObject(objectKey, bytes, { contentType: "application/octet-stream" });
  return t.db.attachment.create({
    data: {
      uploaderId,
      conversationId,
      messageId,
      objectKey,
      name,
      mime: "application/octet-stream",
      size: bytes.length,
      status: "ready",
    },
  });
}

/** Every entry of a stored .tar.gz, by name. */
async function readArchive(key: string): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const extract = tar.extract();
  const reading = pipeline(await store.storage.getObject(key), createGunzip(), extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry as unknown as Readable) chunks.push(chunk as Buffer);
    entries.set(entry.header.name, Buffer.concat(chunks));
  }
  await reading;
  return entries;
}

/** The JSON lines of every part of `kind`, parts in name order. */
function lines<T>(entries: Map<string, Buffer>, root: string, kind: string): T[] {
  const names = [...entries.keys()]
    .filter((n) => n.startsWith(`${root}/${kind}/`) && n.endsWith(".jsonl"))
    .sort();
  return names.flatMap((n) =>
    entries
      .get(n)!
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as T),
  );
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

describe("data exports", () => {
  it("builds the owner's workspace export: public content and files, private channels by name only, no DMs, no secrets", async () => {
    const owner = await newActor(t.db, { role: "owner" });
    const admin = await newActor(t.db, { role: "admin" });
    const bob = await newActor(t.db);
    const bobToken = await createAccessToken(t.db, bob, { name: "bot" });
    const pub = await createChannel(t.db, owner, {
      name: channelName("pub"),
      topic: "the topic",
      memberIds: [bob.userId],
    });
    const priv = await createChannel(t.db, owner, {
      name: channelName("secret"),
      isPrivate: true,
      topic: "secret topic",
      memberIds: [bob.userId],
    });
    const dm = await openDm(t.db, owner, { userIds: [bob.userId] });
    const root = await send(owner, pub.id, "root message");
    const reply = await send(bob, pub.id, "a reply", { threadRootId: root.id });
    const edited = await send(bob, pub.id, "before the edit");
    await editMessage(t.db, bob, { messageId: edited.id, body: "after the edit" });
    await addReaction(t.db, bob, { messageId: root.id, emoji: "🎉" });
    await pinMessage(t.db, owner, { messageId: root.id });
    const gone = await send(bob, pub.id, "deleted words");
    await deleteMessage(t.db, bob, { messageId: gone.id }, store.storage);
    const withFile = await send(owner, pub.id, "see attached");
    const fileBytes = Buffer.from(`public file bytes ${randomUUID()}`);
    const file = await attach(owner.userId, pub.id, withFile.id, "../report: final.txt", fileBytes);
    const privMessage = await send(bob, priv.id, "private words");
    await attach(bob.userId, priv.id, privMessage.id, "private.txt", Buffer.from("private file bytes"));
    await send(bob, dm.id, "dm words");

    // Only the owner may ask; nothing is written for anyone else.
    await expectParley(requestExport(t.db, admin, { scope: "workspace" }), "FORBIDDEN");
    await expectParley(requestExport(t.db, bob, { scope: "workspace" }), "FORBIDDEN");
    await expectParley(requestExport(t.db, owner, { scope: "everything" }), "BAD_REQUEST");
    expect(await t.db.dataExport.count()).toBe(0);
    const queued = await requestExport(t.db, owner, { scope: "workspace" }, { ip: "203.0.113.9" });
    expect(queued).toMatchObject({ scope: "workspace", status: "queued", requestedBy: { id: owner.userId } });
    await expectParley(requestExport(t.db, owner, { scope: "workspace" }), "CONFLICT");
    const requested = await t.db.auditEntry.findMany({ where: { action: "export.requested" } });
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({ actorId: owner.userId, ip: "203.0.113.9" });
    expect(requested[0]!.details).toEqual({ exportId: queued.id, scope: "workspace" });

    // Small batches and parts, so every loop crosses a boundary.
    const [result] = await runPendingExports(t.db, store.storage, {
      batching: { batchSize: 2, partLines: 3 },
    });
    expect(result).toMatchObject({ id: queued.id, status: "ready" });
    const done = await getExport(t.db, owner, { id: queued.id });
    expect(done).toMatchObject({ status: "ready", messages: 5, totalMessages: 5, files: 1 });
    expect(done.bytes).toBeGreaterThan(0);

    // Anyone else: the same answer as an unknown id.
    const unknown = await expectParley(getExport(t.db, admin, { id: randomUUID() }), "NOT_FOUND");
    for (const other of [admin, bob]) {
      const refused = await expectParley(getExport(t.db, other, { id: queued.id }), "NOT_FOUND");
      expect(refused.message).toBe(unknown.message);
      await expectParley(exportDownloadUrl(t.db, store.storage, other, { id: queued.id }), "NOT_FOUND");
      expect((await listExports(t.db, other)).map((e) => e.id)).not.toContain(queued.id);
    }
    expect(await t.db.auditEntry.count({ where: { action: "export.downloaded" } })).toBe(0);

    const link = await exportDownloadUrl(t.db, store.storage, owner, { id: queued.id });
    expect(link.url).toMatch(/^https?:\/\//);
    const downloaded = await t.db.auditEntry.findMany({ where: { action: "export.downloaded" } });
    expect(downloaded).toHaveLength(1);
    expect(downloaded[0]).toMatchObject({ actorId: owner.userId });
    if (process.env.S3_ENDPOINT) {
      const response = await fetch(link.url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-disposition")).toContain(".tar.gz");
    }

    const row = await t.db.dataExport.findUniqueOrThrow({ where: { id: queued.id } });
    const entries = await readArchive(row.objectKey!);
    const top = row.fileName!.replace(/\.tar\.gz$/, "");
    expect([...entries.keys()].every((n) => n.startsWith(`${top}/`))).toBe(true);
    const text = [...entries.values()].map((b) => b.toString("utf8")).join("\n");

    // Users: every one, profile fields only.
    const users = lines<Record<string, unknown>>(entries, top, "users");
    const dbUsers = await t.db.user.findMany({ orderBy: { id: "asc" } });
    expect(users).toEqual(
      dbUsers.map((u) => ({
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role,
        statusEmoji: u.statusEmoji,
        statusText: u.statusText,
        deactivatedAt: iso(u.deactivatedAt),
        createdAt: iso(u.createdAt),
      })),
    );
    for (const u of dbUsers) expect(text).not.toContain(u.passwordHash);
    expect(text).not.toContain(bobToken.token);
    const tokenRow = await t.db.personalAccessToken.findFirstOrThrow({ where: { userId: bob.userId } });
    expect(text).not.toContain(tokenRow.tokenHash);
    expect(text).not.toMatch(/passwordHash|tokenHash/);

    // Channels: the public one in full, the private one by name and member count; no DM.
    const channels = lines<Record<string, unknown>>(entries, top, "channels");
    expect(channels.map((c) => c.id).sort()).toEqual([pub.id, priv.id].sort());
    expect(channels.find((c) => c.id === pub.id)).toMatchObject({
      kind: "public_channel",
      name: pub.name,
      topic: "the topic",
      memberCount: 2,
      contentIncluded: true,
    });
    expect(channels.find((c) => c.id === priv.id)).toEqual({
      id: priv.id,
      kind: "private_channel",
      name: priv.name,
      memberCount: 2,
      createdAt: expect.any(String),
      archivedAt: null,
      contentIncluded: false,
    });
    expect(text).not.toContain("secret topic");
    expect(text).not.toContain("private words");
    expect(text).not.toContain("private file bytes");
    expect(text).not.toContain("dm words");
    expect(text).not.toContain(dm.id);
    expect(text).not.toContain("deleted words");

    const memberships = lines<{ conversationId: string; userId: string }>(entries, top, "memberships");
    expect(memberships.map((m) => `${m.conversationId}/${m.userId}`).sort()).toEqual(
      [owner.userId, bob.userId].map((u) => `${pub.id}/${u}`).sort(),
    );

    // Messages: the public channel's, as they are now, compared field by field with the database.
    const messages = lines<Record<string, unknown>>(entries, top, "messages");
    const dbMessages = await t.db.message.findMany({
      where: { conversationId: pub.id },
      orderBy: { seq: "asc" },
      include: { reactions: true, attachments: { where: { status: "ready" } } },
    });
    expect(messages).toEqual(
      dbMessages.map((m) => ({
        id: m.id,
        conversationId: m.conversationId,
        seq: m.seq,
        senderId: m.senderId,
        body: m.body,
        threadRootId: m.threadRootId,
        alsoInChannel: m.alsoInChannel,
        replyCount: m.replyCount,
        lastReplyAt: iso(m.lastReplyAt),
        mentionedUserIds: m.mentionedUserIds,
        mentionsAll: m.mentionsAll,
        pinnedAt: iso(m.pinnedAt),
        pinnedById: m.pinnedById,
        editedAt: iso(m.editedAt),
        deletedAt: iso(m.deletedAt),
        createdAt: iso(m.createdAt),
        reactions: m.reactions.map((r) => ({
          emoji: r.emoji,
          userId: r.userId,
          createdAt: iso(r.createdAt),
        })),
        fileIds: m.attachments.map((a) => a.id),
      })),
    );
    const byId = new Map(messages.map((m) => [m.id, m]));
    expect(byId.get(reply.id)).toMatchObject({ threadRootId: root.id });
    expect(byId.get(root.id)).toMatchObject({ replyCount: 1, pinnedById: owner.userId });
    expect(byId.get(edited.id)).toMatchObject({ body: "after the edit", editedAt: expect.any(String) });
    expect(byId.get(gone.id)).toMatchObject({ body: "", deletedAt: expect.any(String) });
    // Five messages in parts of three lines: two parts.
    expect(entries.has(`${top}/messages/000002.jsonl`)).toBe(true);
    expect(entries.has(`${top}/messages/000003.jsonl`)).toBe(false);

    // The file: metadata line, and its bytes at the path it names (a safe name).
    const files = lines<Record<string, unknown>>(entries, top, "files");
    expect(files).toEqual([
      {
        id: file.id,
        messageId: withFile.id,
        conversationId: pub.id,
        uploaderId: owner.userId,
        name: "../report: final.txt",
        mime: "application/octet-stream",
        size: fileBytes.length,
        width: null,
        height: null,
        durationMs: null,
        createdAt: iso(file.createdAt),
        path: `objects/${file.id}/__report_ final.txt`,
      },
    ]);
    expect(entries.get(`${top}/${files[0]!.path}`)).toEqual(fileBytes);

    const manifest = JSON.parse(entries.get(`${top}/manifest.json`)!.toString("utf8"));
    expect(manifest).toMatchObject({
      format: "parley-export",
      version: 1,
      scope: "workspace",
      exportId: queued.id,
      counts: { users: dbUsers.length, channels: 2, memberships: 2, messages: 5, files: 1, missingFiles: 0 },
    });
  });

  it("builds a user's own export: their messages everywhere and their files, nobody else's, no secrets", async () => {
    const owner = await newActor(t.db, { role: "owner" });
    const carol = await newActor(t.db);
    const dave = await newActor(t.db);
    const pub = await createChannel(t.db, owner, { name: channelName("pub"), memberIds: [carol.userId] });
    const priv = await createChannel(t.db, dave, {
      name: channelName("priv"),
      isPrivate: true,
      memberIds: [carol.userId],
    });
    const dm = await openDm(t.db, carol, { userIds: [dave.userId] });
    const mine = [
      await send(carol, pub.id, "carol in public"),
      await send(carol, priv.id, "carol in private"),
      await send(carol, dm.id, "carol to dave"),
    ];
    await send(dave, dm.id, "dave to carol");
    await send(owner, pub.id, "owner in public");
    const deleted = await send(carol, pub.id, "carol deleted this");
    await deleteMessage(t.db, carol, { messageId: deleted.id }, store.storage);
    await addReaction(t.db, dave, { messageId: mine[2]!.id, emoji: "👍" });
    const bytes = Buffer.from(`carol's file ${randomUUID()}`);
    const file = await attach(carol.userId, priv.id, mine[1]!.id, "notes.txt", bytes);

    const queued = await requestExport(t.db, carol, { scope: "user" });
    await expectParley(requestExport(t.db, carol, { scope: "user" }), "CONFLICT");
    // Someone else's request is theirs alone (no conflict), and not visible to carol.
    const daves = await requestExport(t.db, dave, { scope: "user" });
    const results = await runPendingExports(t.db, store.storage, {
      batching: { batchSize: 1, partLines: 2 },
    });
    expect(results.map((r) => r.status)).toEqual(["ready", "ready"]);

    // Only carol: not dave, not even the owner.
    for (const other of [dave, owner]) {
      await expectParley(getExport(t.db, other, { id: queued.id }), "NOT_FOUND");
      await expectParley(exportDownloadUrl(t.db, store.storage, other, { id: queued.id }), "NOT_FOUND");
    }
    expect((await listExports(t.db, carol)).map((e) => e.id)).toEqual([queued.id]);
    expect((await listExports(t.db, owner)).map((e) => e.id)).not.toContain(daves.id);
    await exportDownloadUrl(t.db, store.storage, carol, { id: queued.id });

    const row = await t.db.dataExport.findUniqueOrThrow({ where: { id: queued.id } });
    expect(row).toMatchObject({ status: "ready", messages: 3, totalMessages: 3, files: 1 });
    const entries = await readArchive(row.objectKey!);
    const top = row.fileName!.replace(/\.tar\.gz$/, "");
    const text = [...entries.values()].map((b) => b.toString("utf8")).join("\n");
    const profile = JSON.parse(entries.get(`${top}/profile.json`)!.toString("utf8"));
    expect(profile).toMatchObject({ id: carol.userId, email: carol.email, name: carol.name, role: "member" });
    const hash = (await t.db.user.findUniqueOrThrow({ where: { id: carol.userId } })).passwordHash;
    expect(text).not.toContain(hash);
    expect(text).not.toMatch(/passwordHash/);

    const messages = lines<{ id: string; body: string; reactions: unknown[] }>(entries, top, "messages");
    expect(messages.map((m) => m.id).sort()).toEqual(mine.map((m) => m.id).sort());
    expect(text).not.toContain("dave to carol");
    expect(text).not.toContain("owner in public");
    expect(text).not.toContain("carol deleted this");
    expect(messages.find((m) => m.id === mine[2]!.id)!.reactions).toMatchObject([
      { emoji: "👍", userId: dave.userId },
    ]);

    const conversations = lines<{ id: string; kind: string; members?: { id: string }[] }>(
      entries,
      top,
      "conversations",
    );
    expect(conversations.map((c) => c.id).sort()).toEqual([pub.id, priv.id, dm.id].sort());
    expect(
      conversations
        .find((c) => c.id === dm.id)!
        .members!.map((m) => m.id)
        .sort(),
    ).toEqual([carol.userId, dave.userId].sort());
    const files = lines<{ id: string; path: string }>(entries, top, "files");
    expect(files.map((f) => f.id)).toEqual([file.id]);
    expect(entries.get(`${top}/${files[0]!.path}`)).toEqual(bytes);
  });

  it("expires archives after their time and takes over an export whose runner died", async () => {
    const erin = await newActor(t.db);
    await send(erin, (await createChannel(t.db, erin, { name: channelName("e") })).id, "hello");
    const first = await requestExport(t.db, erin, { scope: "user" });
    await runPendingExports(t.db, store.storage);
    const ready = await t.db.dataExport.findUniqueOrThrow({ where: { id: first.id } });
    expect(await store.storage.statObject(ready.objectKey!)).not.toBeNull();

    // (Earlier tests' archives expire a little sooner: only this one's state is checked.)
    await expireExports(t.db, store.storage, new Date(ready.expiresAt!.getTime() - 1));
    expect((await getExport(t.db, erin, { id: first.id })).status).toBe("ready");
    expect(await store.storage.statObject(ready.objectKey!)).not.toBeNull();
    expect(await expireExports(t.db, store.storage, ready.expiresAt!)).toBeGreaterThanOrEqual(1);
    expect(await store.storage.statObject(ready.objectKey!)).toBeNull();
    expect((await getExport(t.db, erin, { id: first.id })).status).toBe("expired");
    await expectParley(exportDownloadUrl(t.db, store.storage, erin, { id: first.id }), "CONFLICT", /expired/);

    // A run whose heartbeat stopped two minutes ago: another run takes it over and finishes it.
    const second = await requestExport(t.db, erin, { scope: "user" });
    const old = new Date(Date.now() - 120_000);
    await t.db.dataExport.update({
      where: { id: second.id },
      data: { status: "running", attempts: 1, startedAt: old, heartbeatAt: old },
    });
    await expectParley(requestExport(t.db, erin, { scope: "user" }), "CONFLICT");
    const [takeover] = await runPendingExports(t.db, store.storage);
    expect(takeover).toMatchObject({ id: second.id, status: "ready" });
    expect(await t.db.dataExport.findUniqueOrThrow({ where: { id: second.id } })).toMatchObject({
      attempts: 2,
    });

    // After three dead runs it fails instead of looping forever.
    const third = await requestExport(t.db, erin, { scope: "user" });
    await t.db.dataExport.update({
      where: { id: third.id },
      data: { status: "running", attempts: 3, startedAt: old, heartbeatAt: old },
    });
    expect(await runPendingExports(t.db, store.storage)).toEqual([]);
    // Five started in 24 hours (the three above, and two more): the sixth is refused, nothing written.
    for (let i = 0; i < 2; i++) {
      const more = await requestExport(t.db, erin, { scope: "user" });
      await t.db.dataExport.update({ where: { id: more.id }, data: { status: "failed" } });
    }
    const count = await t.db.dataExport.count();
    await expectParley(requestExport(t.db, erin, { scope: "user" }), "TOO_MANY_REQUESTS", /24 hours/);
    expect(await t.db.dataExport.count()).toBe(count);
    expect(await getExport(t.db, erin, { id: third.id })).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/3 times/),
    });
  });

  it("has the worker build a requested export at once: woken by the request, not by its poll", async () => {
    const frank = await newActor(t.db);
    const stop = startExportWorker(t.db, async () => store.storage, { pollMs: 600_000 });
    try {
      const queued = await requestExport(t.db, frank, { scope: "user" });
      const deadline = Date.now() + 20_000;
      while ((await getExport(t.db, frank, { id: queued.id })).status !== "ready") {
        if (Date.now() > deadline) throw new Error("the worker did not build the export within 20 s");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await stop();
    }
  });
});
