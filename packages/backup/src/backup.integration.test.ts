import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import {
  createChannel,
  getHistory,
  listMyConversations,
  openDm,
  sendMessage,
  type TActor,
} from "@parley/core";
import { completeUpload, createUpload, getDownloadUrl } from "@parley/core/files";
import { createDb, type TDb } from "@parley/db";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import {
  adminQuery,
  createTestDb,
  databaseName,
  quoteIdent,
  type TTestDb,
  withDatabase,
} from "@parley/db/testing";
import { createS3Storage, type TStorage } from "@parley/storage";
import pg from "pg";
import sharp from "sharp";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll } from "./archive.ts";
import { CLI_ACTOR_LABEL } from "./audit.ts";
import { createBackup } from "./backup.ts";
import { isDatabaseEmpty } from "./database.ts";
import { BackupError, MANIFEST_ENTRY, OBJECT_PREFIX, type TManifest } from "./manifest.ts";
import { repoRoot } from "./migrations.ts";
import { restoreBackup } from "./restore.ts";

// Real Postgres (with-test-db.mjs) and the real S3 server (scripts/s3-server.sh); skipped without S3.
const env = process.env;
const run = Boolean(env.S3_ENDPOINT);

function bucketStorage(bucket: string): TStorage {
  return createS3Storage({
    endPoint: env.S3_ENDPOINT ?? "",
    port: env.S3_PORT ? Number(env.S3_PORT) : undefined,
    useSSL: env.S3_USE_SSL === "true",
    accessKey: env.S3_ACCESS_KEY ?? "",
    secretKey: env.S3_SECRET_KEY ?? "",
    bucket,
    region: env.S3_REGION ?? "us-east-1",
    pathStyle: env.S3_PATH_STYLE !== "false",
  });
}

/** A new EMPTY database on the test server, named after the template so the runner drops it. */
async function emptyDatabase(): Promise<string> {
  const templateUrl = env.PARLEY_TEST_TEMPLATE_URL ?? "";
  const name = `${databaseName(templateUrl)}_r${randomBytes(4).toString("hex")}`;
  await adminQuery(templateUrl, `CREATE DATABASE ${quoteIdent(name)}`);
  return withDatabase(templateUrl, name);
}

async function keysOf(storage: TStorage): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of storage.listObjects()) keys.push(o.key);
  return keys.sort();
}

async function isEmptyDb(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await isDatabaseEmpty(client);
  } finally {
    await client.end();
  }
}

/** Rewrites an archive entry by entry (`edit` may replace a body), as a damaged or forged copy. */
async function rewriteArchive(from: string, to: string, edit: (name: string, body: Buffer) => Buffer) {
  const extract = tar.extract();
  const pack = tar.pack();
  const writing = pipeline(pack, createGzip(), createWriteStream(to));
  const reading = pipeline(createReadStream(from), createGunzip(), extract);
  for await (const entry of extract) {
    const body = edit(entry.header.name, await readAll(entry as never));
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: entry.header.name, size: body.length }, body, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  await reading;
  pack.finalize();
  await writing;
}

describe.runIf(run)("backup and restore (real Postgres, real S3)", () => {
  let source: TTestDb;
  let sourceStorage: TStorage;
  let restored: TDb | undefined;
  let work: string;
  let archive: string;
  let alice: TActor;
  let bob: TActor;
  const conversations: string[] = [];
  const files: { attachmentId: string; bytes: Buffer; hasThumbnail: boolean }[] = [];
  const buckets: TStorage[] = [];
  const suffix = randomBytes(4).toString("hex");

  const newBucket = (label: string) => {
    const storage = bucketStorage(`parley-bk-${label}-${suffix}`);
    buckets.push(storage);
    return storage;
  };

  async function upload(actor: TActor, conversationId: string, name: string, mime: string, bytes: Buffer) {
    const ticket = await createUpload(source.db, sourceStorage, actor, {
      conversationId,
      name,
      size: bytes.length,
      mime,
    });
    const put = await fetch(ticket.upload.url, {
      method: "PUT",
      headers: ticket.upload.headers,
      body: bytes,
    });
    expect(put.status).toBe(200);
    const ready = await completeUpload(source.db, sourceStorage, actor, {
      attachmentId: ticket.attachmentId,
    });
    files.push({ attachmentId: ready.id, bytes, hasThumbnail: ready.width !== null });
    return ready.id;
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "parley-backup-test-"));
    archive = path.join(work, "backup.tar.gz");
    source = await createTestDb();
    sourceStorage = newBucket("src");
    await sourceStorage.ensureBucket();
    await seedWorkspace(source.db, { name: "Backed Up Inc." });
    const a = await seedUser(source.db, { role: "owner", name: "Alice Ådmin" });
    const b = await seedUser(source.db, { name: "Bob" });
    alice = { userId: a.id, role: a.role };
    bob = { userId: b.id, role: b.role };
    const channel = await createChannel(source.db, alice, {
      name: `general-${suffix}`,
      memberIds: [bob.userId],
    });
    const dm = await openDm(source.db, bob, { userIds: [alice.userId] });
    conversations.push(channel.id, dm.id);
    for (let i = 0; i < 12; i++) {
      const sender = i % 2 ? bob : alice;
      await sendMessage(source.db, sender, {
        conversationId: channel.id,
        clientMsgId: randomUUID(),
        body: `message ${i}: tabs\tnewlines\nquotes "' backslash \\ émoji 🎉 <@${alice.userId}>`,
      });
    }
    const png = await sharp(randomBytes(40 * 30 * 3), { raw: { width: 40, height: 30, channels: 3 } })
      .png()
      .toBuffer();
    const image = await upload(alice, channel.id, "photo.png", "image/png", png);
    const pdf = await upload(bob, dm.id, "report (final).pdf", "application/pdf", randomBytes(70_000));
    await sendMessage(source.db, alice, {
      conversationId: channel.id,
      clientMsgId: randomUUID(),
      body: "a photo",
      attachmentIds: [image],
    });
    await sendMessage(source.db, bob, {
      conversationId: dm.id,
      clientMsgId: randomUUID(),
      body: "the report",
      attachmentIds: [pdf],
    });
  });

  afterAll(async () => {
    await restored?.$disconnect();
    await source?.drop();
    for (const storage of buckets) {
      for (const key of await keysOf(storage).catch(() => []))
        await storage.deleteObject(key).catch(() => {});
    }
    await rm(work, { recursive: true, force: true });
  });

  it("restores into a fresh database and bucket an install that serves the same history and file bytes", async () => {
    const made = await createBackup({ databaseUrl: source.url, storage: sourceStorage, file: archive });
    // Two uploads, one of them an image with a thumbnail.
    expect(made.objects.count).toBe(3);
    expect(made.manifest.tables.find((t) => t.name === "Message")?.rows).toBe(14);

    const targetUrl = await emptyDatabase();
    const target = newBucket("dst");
    const result = await restoreBackup({ databaseUrl: targetUrl, storage: target, file: archive });
    expect(result.migratedForward).toBe(0);
    expect(await keysOf(target)).toEqual(await keysOf(sourceStorage));

    restored = createDb(targetUrl);
    for (const actor of [alice, bob]) {
      expect(await listMyConversations(restored, actor)).toEqual(await listMyConversations(source.db, actor));
    }
    for (const conversationId of conversations) {
      const before = await getHistory(source.db, alice, { conversationId });
      expect(before.messages.length).toBeGreaterThan(0);
      expect(await getHistory(restored, alice, { conversationId })).toEqual(before);
    }
    for (const file of files) {
      const { url } = await getDownloadUrl(restored, target, alice, { attachmentId: file.attachmentId });
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), file.bytes)).toBe(0);
      if (file.hasThumbnail) {
        const thumb = await getDownloadUrl(restored, target, alice, {
          attachmentId: file.attachmentId,
          variant: "thumbnail",
        });
        expect((await fetch(thumb.url)).status).toBe(200);
      }
    }
    // Both are in the audit log, with no actor: the backup in the source (after its snapshot, so
    // not in the archive), the restore in the restored install.
    const entries = async (db: TDb, action: string) =>
      db.auditEntry.findMany({
        where: { action },
        select: { actorId: true, actorLabel: true, details: true },
      });
    expect(await entries(source.db, "backup.created")).toEqual([
      {
        actorId: null,
        actorLabel: CLI_ACTOR_LABEL,
        details: expect.objectContaining({ file: path.basename(archive), objects: 3 }),
      },
    ]);
    expect(await entries(restored, "backup.created")).toEqual([]);
    expect(await entries(restored, "backup.restored")).toEqual([
      {
        actorId: null,
        actorLabel: CLI_ACTOR_LABEL,
        details: expect.objectContaining({ backupCreatedAt: made.manifest.createdAt, objects: 3 }),
      },
    ]);
    // The append-only audit trigger is back on after the load.
    await expect(restored.$executeRawUnsafe(`TRUNCATE "AuditEntry"`)).rejects.toThrow(/append-only/);

    // A second restore into the same, now non-empty, targets is refused and changes nothing.
    await expect(restoreBackup({ databaseUrl: targetUrl, storage: target, file: archive })).rejects.toThrow(
      /database is not empty/,
    );
    expect(
      (await getHistory(restored, alice, { conversationId: conversations[0] ?? "" })).messages.length,
    ).toBe(13);
  });

  it("runs as the command line self-hosters use (npm run backup / restore), settings from the environment", async () => {
    const cli = (args: string[], extra: Record<string, string>) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "scripts/backup.mjs", ...args], {
          cwd: repoRoot,
          env: { ...process.env, INIT_CWD: work, ...extra },
        });
        let output = "";
        child.stderr.on("data", (d) => {
          output += d;
        });
        child.on("exit", (code) => resolve({ code: code ?? 1, output }));
      });
    const from = { DATABASE_URL: source.url, S3_BUCKET: `parley-bk-src-${suffix}` };
    const made = await cli(["backup", "cli.tar.gz"], from);
    expect(made.output).toContain(`backup written to ${path.join(work, "cli.tar.gz")}`);
    expect(made.code).toBe(0);

    const targetUrl = await emptyDatabase();
    const target = newBucket("cli");
    const to = { DATABASE_URL: targetUrl, S3_BUCKET: `parley-bk-cli-${suffix}` };
    const restoredRun = await cli(["restore", "cli.tar.gz"], to);
    // Every table of the schema (their number grows with it) and every object of the bucket.
    const objects = (await keysOf(sourceStorage)).length;
    expect(restoredRun.output).toMatch(
      new RegExp(`restored \\d+ tables \\(\\d+ rows\\) and ${objects} objects`),
    );
    expect(restoredRun.code).toBe(0);
    expect(await keysOf(target)).toEqual(await keysOf(sourceStorage));
    const again = await cli(["restore", "cli.tar.gz"], to);
    expect(again).toEqual({ code: 1, output: expect.stringMatching(/database is not empty.*--force/) });
  }, 90_000); // two CLI processes (tsx) and a full backup + restore: ≈ 6 s alone, far longer beside CI's other tiers

  it("refuses a damaged archive before writing anything: the targets stay empty", async () => {
    const damaged = path.join(work, "damaged.tar.gz");
    let flipped = "";
    await rewriteArchive(archive, damaged, (name, body) => {
      if (!flipped && name.startsWith(OBJECT_PREFIX)) {
        flipped = name;
        body[10] = (body[10] ?? 0) ^ 0xff;
      }
      return body;
    });
    const targetUrl = await emptyDatabase();
    const target = newBucket("bad");
    const err = await restoreBackup({ databaseUrl: targetUrl, storage: target, file: damaged }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(BackupError);
    expect(err.message).toContain(`Checksum mismatch for object ${flipped.slice(OBJECT_PREFIX.length)}`);
    expect(await isEmptyDb(targetUrl)).toBe(true);
    expect(await keysOf(target)).toEqual([]);
  });

  it("refuses a backup from a newer release, and a missing archive, with a clear error", async () => {
    const newer = path.join(work, "newer.tar.gz");
    await rewriteArchive(archive, newer, (name, body) => {
      if (name !== MANIFEST_ENTRY) return body;
      const manifest = JSON.parse(body.toString()) as TManifest;
      manifest.parleyVersion = "9.9.9";
      manifest.migrations.push({ name: "29991231000000_from_the_future", checksum: "0".repeat(64) });
      return Buffer.from(JSON.stringify(manifest));
    });
    const targetUrl = await emptyDatabase();
    const target = newBucket("new");
    await expect(restoreBackup({ databaseUrl: targetUrl, storage: target, file: newer })).rejects.toThrow(
      /newer Parley \(9\.9\.9\): its migration 29991231000000_from_the_future is unknown here/,
    );
    await expect(
      restoreBackup({ databaseUrl: targetUrl, storage: target, file: path.join(work, "nope.tar.gz") }),
    ).rejects.toThrow(/No backup archive at/);
    expect(await isEmptyDb(targetUrl)).toBe(true);
  });

  it("undoes a restore that fails midway (an upload refused): empty database, no objects left", async () => {
    const targetUrl = await emptyDatabase();
    const inner = newBucket("fail");
    let puts = 0;
    const failing: TStorage = {
      ...inner,
      listObjects: (prefix) => inner.listObjects(prefix),
      async putObject(key, body, options) {
        if (++puts === 2) throw new Error("disk full");
        return inner.putObject(key, body, options);
      },
    };
    await expect(restoreBackup({ databaseUrl: targetUrl, storage: failing, file: archive })).rejects.toThrow(
      /Restore failed \(the database and object store were left empty\): disk full/,
    );
    expect(await isEmptyDb(targetUrl)).toBe(true);
    expect(await keysOf(inner)).toEqual([]);
  });
});
