import { createCipheriv, createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { createLocalStorage, createS3Storage, type TLocalStorage, type TStorage } from "@parley/storage";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel, removeMember } from "../src/conversations.ts";
import {
  completeUpload,
  createUpload,
  DEFAULT_UPLOAD_LIMITS,
  deleteMessage,
  getDownloadUrl,
  sweepPendingUploads,
} from "../src/files.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import { channelName, expectParley, logCounts, newActor, stored, useTestDb } from "./helpers.ts";

const t = useTestDb();
const { bus } = t;

/** Serves a local storage's signed URLs over real HTTP, as the web app's route does. */
async function startLocalBackend(): Promise<{ storage: TLocalStorage; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "parley-files-"));
  let storage: TLocalStorage | undefined;
  const server: Server = createServer((req, res) => {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>) : undefined,
      ...(hasBody ? { duplex: "half" } : {}),
    } as RequestInit);
    (storage as TLocalStorage)
      .handle(request)
      .then((response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (!response.body) return res.end();
        Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>).pipe(res);
      })
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  storage = createLocalStorage({
    dir,
    publicBaseUrl: `http://127.0.0.1:${port}`,
    secret: "files-test-secret-files-test-secret!",
  });
  await storage.ensureBucket();
  return {
    storage,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const s3Env = process.env;

function s3Storage(): TStorage {
  return createS3Storage({
    endPoint: s3Env.S3_ENDPOINT ?? "",
    port: s3Env.S3_PORT ? Number(s3Env.S3_PORT) : undefined,
    useSSL: s3Env.S3_USE_SSL === "true",
    accessKey: s3Env.S3_ACCESS_KEY ?? "",
    secretKey: s3Env.S3_SECRET_KEY ?? "",
    bucket: s3Env.S3_TEST_BUCKET ?? "parley-test",
    region: s3Env.S3_REGION ?? "us-east-1",
    pathStyle: s3Env.S3_PATH_STYLE !== "false",
  });
}

/** A noise PNG (incompressible, so about width × height × 3 bytes). */
function noisePng(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

async function fetchBytes(url: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const response = await fetch(url);
  return {
    status: response.status,
    bytes: Buffer.from(await response.arrayBuffer()),
    headers: response.headers,
  };
}

/**
 * `size` pseudo-random bytes as a stream (AES-256-CTR over zeros: fast, incompressible and the
 * same for the same seed), so a large file never sits in memory; also returns its SHA-256 once
 * the stream has ended.
 */
function pseudoRandomStream(size: number, seed: Buffer): { stream: Readable; sha256: () => string } {
  const cipher = createCipheriv("aes-256-ctr", seed, Buffer.alloc(16));
  const hash = createHash("sha256");
  const zeros = Buffer.alloc(1024 * 1024);
  let left = size;
  const stream = new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, zeros.length);
      left -= n;
      const chunk = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest("hex") };
}

/** SHA-256 and length of a response body, read as a stream. */
async function digestBody(body: ReadableStream<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}

function runFileSuite(
  backend: string,
  open: () => Promise<{ storage: TStorage; close: () => Promise<void> }>,
) {
  describe(`attachments on ${backend} storage`, () => {
    let storage: TStorage;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ storage, close } = await open());
      await storage.ensureBucket();
    });
    afterAll(async () => {
      await close?.();
    });

    /** createUpload → PUT with fetch → completeUpload. */
    async function upload(
      actor: TActor,
      conversationId: string,
      file: { name: string; mime: string; bytes: Buffer },
    ) {
      const ticket = await createUpload(t.db, storage, actor, {
        conversationId,
        name: file.name,
        size: file.bytes.length,
        mime: file.mime,
      });
      const put = await fetch(ticket.upload.url, {
        method: ticket.upload.method,
        headers: ticket.upload.headers,
        body: file.bytes,
      });
      expect(put.status, await put.clone().text()).toBe(200);
      return ticket;
    }

    async function uploadReady(actor: TActor, conversationId: string, bytes = randomBytes(2000)) {
      const ticket = await upload(actor, conversationId, {
        name: "notes.bin",
        mime: "application/octet-stream",
        bytes,
      });
      return completeUpload(t.db, storage, actor, { attachmentId: ticket.attachmentId });
    }

    async function privateChannel() {
      const alice = await newActor(t.db);
      const bob = await newActor(t.db);
      const ch = await createChannel(t.db, alice, {
        name: channelName("files"),
        isPrivate: true,
        memberIds: [bob.userId],
      });
      return { alice, bob, ch };
    }

    const sendWith = async (actor: TActor, conversationId: string, attachmentIds: string[], body = "") => ({
      message: stored(
        await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body, attachmentIds }),
      ),
    });

    it("uploads through the presigned PUT, sends it, and another member downloads identical bytes", async () => {
      const { alice, bob, ch } = await privateChannel();
      const bytes = randomBytes(300_000);
      const ticket = await upload(alice, ch.id, {
        name: "report 2026 (final).pdf",
        mime: "application/pdf",
        bytes,
      });
      const ready = await completeUpload(t.db, storage, alice, { attachmentId: ticket.attachmentId });
      expect(ready).toEqual({
        id: ticket.attachmentId,
        name: "report 2026 (final).pdf",
        mime: "application/pdf",
        size: bytes.length,
        width: null,
        height: null,
        hasThumbnail: false,
        durationMs: null,
        waveform: [],
      });

      const { message } = await sendWith(alice, ch.id, [ticket.attachmentId], "the report");
      expect(message.attachments).toEqual([ready]);
      const history = await getHistory(t.db, bob, { conversationId: ch.id });
      expect(history.messages.at(-1)?.attachments).toEqual([ready]);

      const { url } = await getDownloadUrl(t.db, storage, bob, { attachmentId: ticket.attachmentId });
      const got = await fetchBytes(url);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(bytes)).toBe(true);
      expect(got.headers.get("content-disposition")).toContain("attachment");
      await expectParley(
        getDownloadUrl(t.db, storage, bob, { attachmentId: ticket.attachmentId, variant: "thumbnail" }),
        "NOT_FOUND",
      );
    });

    it("carries a 70 MB file through upload, send and download byte for byte, streaming both ways", async () => {
      const { alice, bob, ch } = await privateChannel();
      const size = 70 * 1024 * 1024;
      const ticket = await createUpload(t.db, storage, alice, {
        conversationId: ch.id,
        name: "site-walkthrough.bin",
        size,
        mime: "application/octet-stream",
      });
      const source = pseudoRandomStream(size, randomBytes(32));
      const put = await fetch(ticket.upload.url, {
        method: ticket.upload.method,
        headers: { ...ticket.upload.headers, "Content-Length": String(size) },
        body: Readable.toWeb(source.stream) as unknown as ReadableStream<Uint8Array>,
        duplex: "half",
      } as RequestInit);
      expect(put.status, await put.clone().text()).toBe(200);
      const sent = source.sha256();

      const ready = await completeUpload(t.db, storage, alice, { attachmentId: ticket.attachmentId });
      expect(ready).toMatchObject({ size, mime: "application/octet-stream", hasThumbnail: false });
      const { message } = await sendWith(alice, ch.id, [ticket.attachmentId], "the walkthrough");
      expect(message.attachments).toEqual([ready]);

      const { url } = await getDownloadUrl(t.db, storage, bob, { attachmentId: ticket.attachmentId });
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-length")).toBe(String(size));
      expect(response.body).not.toBeNull();
      expect(await digestBody(response.body as ReadableStream<Uint8Array>)).toEqual({ sha256: sent, size });
    }, 90_000); // 140 MB of disk or S3 traffic: seconds alone, far longer beside CI's other tiers

    it("sends several files with text, listed in upload order in the reply and in history", async () => {
      const { alice, bob, ch } = await privateChannel();
      const files = [];
      for (let i = 0; i < 3; i++) files.push(await uploadReady(alice, ch.id));
      const { message } = await sendWith(alice, ch.id, files.map((f) => f.id).reverse(), "three files");
      expect(message.attachments.map((a) => a.id)).toEqual(files.map((f) => f.id));
      const history = await getHistory(t.db, bob, { conversationId: ch.id });
      expect(history.messages.find((m) => m.id === message.id)?.attachments).toEqual(message.attachments);
      const created = await t.db.event.findUniqueOrThrow({
        where: { conversationId_seq: { conversationId: ch.id, seq: message.seq } },
      });
      expect((created.payload as { message: { attachments: unknown[] } }).message.attachments).toHaveLength(
        3,
      );
    });

    it("makes a WebP thumbnail with the image's aspect ratio for a 5 MB PNG", async () => {
      const { alice, bob, ch } = await privateChannel();
      const png = await noisePng(1600, 1100);
      expect(png.length).toBeGreaterThan(5_000_000);
      const ticket = await upload(alice, ch.id, { name: "photo.png", mime: "image/png", bytes: png });
      const ready = await completeUpload(t.db, storage, alice, { attachmentId: ticket.attachmentId });
      expect(ready).toMatchObject({ mime: "image/png", width: 1600, height: 1100, hasThumbnail: true });
      await sendWith(alice, ch.id, [ticket.attachmentId]);

      const thumbUrl = await getDownloadUrl(t.db, storage, bob, {
        attachmentId: ticket.attachmentId,
        variant: "thumbnail",
      });
      const thumb = await fetchBytes(thumbUrl.url);
      expect(thumb.status).toBe(200);
      const meta = await sharp(thumb.bytes).metadata();
      expect(meta.format).toBe("webp");
      expect(meta.width).toBe(360);
      expect(Math.abs((meta.height ?? 0) - (360 * 1100) / 1600)).toBeLessThanOrEqual(1);

      const original = await fetchBytes(
        (await getDownloadUrl(t.db, storage, bob, { attachmentId: ticket.attachmentId })).url,
      );
      expect(original.bytes.equals(png)).toBe(true);
      expect(original.headers.get("content-type")).toBe("image/png");
    });

    it("rejects a file named .png that is not an image and keeps nothing", async () => {
      const { alice, ch } = await privateChannel();
      const ticket = await upload(alice, ch.id, {
        name: "cat.png",
        mime: "image/png",
        bytes: Buffer.from("#!/bin/sh\necho this is not a picture\n".repeat(50)),
      });
      const row = await t.db.attachment.findUniqueOrThrow({ where: { id: ticket.attachmentId } });
      expect(await storage.statObject(row.objectKey)).not.toBeNull();

      await expectParley(
        completeUpload(t.db, storage, alice, { attachmentId: ticket.attachmentId }),
        "BAD_REQUEST",
        /not an image/,
      );
      expect(await t.db.attachment.findUnique({ where: { id: ticket.attachmentId } })).toBeNull();
      expect(await storage.statObject(row.objectKey)).toBeNull();
      expect(await storage.statObject(`${row.objectKey}.thumb.webp`)).toBeNull();
    });

    it("refuses an executable in disguise at completeUpload, keeping nothing", async () => {
      const { alice, ch } = await privateChannel();
      const exe = Buffer.alloc(4096);
      exe.write("MZ", 0, "latin1"); // DOS header …
      exe.writeUInt32LE(0x80, 0x3c); // … pointing at a PE header
      exe.write("PE\0\0", 0x80, "latin1");
      const ticket = await upload(alice, ch.id, { name: "holiday.pdf", mime: "application/pdf", bytes: exe });
      const row = await t.db.attachment.findUniqueOrThrow({ where: { id: ticket.attachmentId } });
      await expectParley(
        completeUpload(t.db, storage, alice, { attachmentId: ticket.attachmentId }),
        "BAD_REQUEST",
        /cannot be shared/,
      );
      expect(await t.db.attachment.findUnique({ where: { id: ticket.attachmentId } })).toBeNull();
      expect(await storage.statObject(row.objectKey)).toBeNull();
    });

    it("refuses over-limit sizes and blocked types at createUpload, storing nothing", async () => {
      const { alice, ch } = await privateChannel();
      const before = await t.db.attachment.count({ where: { uploaderId: alice.userId } });
      await expectParley(
        createUpload(t.db, storage, alice, {
          conversationId: ch.id,
          name: "huge.iso",
          size: DEFAULT_UPLOAD_LIMITS.maxUploadBytes + 1,
          mime: "application/octet-stream",
        }),
        "BAD_REQUEST",
        /larger than the limit of 100 MiB/,
      );
      await expectParley(
        createUpload(
          t.db,
          storage,
          alice,
          { conversationId: ch.id, name: "a.bin", size: 1025, mime: "application/octet-stream" },
          { ...DEFAULT_UPLOAD_LIMITS, maxUploadBytes: 1024 },
        ),
        "BAD_REQUEST",
      );
      await expectParley(
        createUpload(t.db, storage, alice, {
          conversationId: ch.id,
          name: "setup.exe",
          size: 10,
          mime: "application/octet-stream",
        }),
        "BAD_REQUEST",
        /cannot be shared/,
      );
      await expectParley(
        createUpload(t.db, storage, alice, {
          conversationId: ch.id,
          name: "x",
          size: 10,
          mime: "application/x-msdownload",
        }),
        "BAD_REQUEST",
      );
      await expectParley(
        createUpload(t.db, storage, alice, {
          conversationId: ch.id,
          name: "empty.txt",
          size: 0,
          mime: "text/plain",
        }),
        "BAD_REQUEST",
      );
      expect(await t.db.attachment.count({ where: { uploaderId: alice.userId } })).toBe(before);
    });

    it("keeps a voice message's duration and waveform from upload to history; refuses them on other files", async () => {
      const { alice, bob, ch } = await privateChannel();
      // A minimal WebM (EBML) header, as MediaRecorder writes, then opaque bytes.
      const bytes = Buffer.concat([
        Buffer.from("1a45dfa39f4286810142f7810142f2810442f381084282847765626d", "hex"),
        randomBytes(5000),
      ]);
      const waveform = Array.from({ length: 48 }, (_, i) => (i * 37) % 256);
      const ticket = await createUpload(t.db, storage, alice, {
        conversationId: ch.id,
        name: "Voice message.webm",
        size: bytes.length,
        mime: "audio/webm;codecs=opus",
        durationMs: 4_250,
        waveform,
      });
      const put = await fetch(ticket.upload.url, {
        method: ticket.upload.method,
        headers: ticket.upload.headers,
        body: bytes,
      });
      expect(put.status).toBe(200);
      const ready = await completeUpload(t.db, storage, alice, { attachmentId: ticket.attachmentId });
      expect(ready).toMatchObject({ mime: "audio/webm", durationMs: 4_250, waveform });
      const { message } = await sendWith(alice, ch.id, [ready.id]);
      const history = await getHistory(t.db, bob, { conversationId: ch.id });
      expect(history.messages.find((m) => m.id === message.id)?.attachments).toEqual([ready]);

      const before = await t.db.attachment.count({ where: { uploaderId: alice.userId } });
      const bad = [
        { name: "a.pdf", mime: "application/pdf", durationMs: 1000 },
        { name: "a.webm", mime: "audio/webm", durationMs: -1 },
        { name: "a.webm", mime: "audio/webm", waveform: [256] },
        { name: "a.webm", mime: "audio/webm", waveform: Array.from({ length: 65 }, () => 1) },
      ];
      for (const extra of bad) {
        await expectParley(
          createUpload(t.db, storage, alice, { conversationId: ch.id, size: 10, ...extra }),
          "BAD_REQUEST",
        );
      }
      expect(await t.db.attachment.count({ where: { uploaderId: alice.userId } })).toBe(before);
    });

    it("refuses uploads from non-members", async () => {
      const { ch } = await privateChannel();
      const outsider = await newActor(t.db);
      await expectParley(
        createUpload(t.db, storage, outsider, {
          conversationId: ch.id,
          name: "a.txt",
          size: 3,
          mime: "text/plain",
        }),
        "NOT_FOUND",
      );
    });

    it("refuses a non-member, a removed member and an expired URL", async () => {
      const { alice, bob, ch } = await privateChannel();
      const outsider = await newActor(t.db);
      const att = await uploadReady(alice, ch.id);
      await sendWith(alice, ch.id, [att.id], "secret file");

      await expectParley(getDownloadUrl(t.db, storage, outsider, { attachmentId: att.id }), "NOT_FOUND");

      const early = await getDownloadUrl(t.db, storage, bob, { attachmentId: att.id });
      expect((await fetchBytes(early.url)).status).toBe(200);
      await removeMember(t.db, alice, { conversationId: ch.id, userId: bob.userId });
      await expectParley(getDownloadUrl(t.db, storage, bob, { attachmentId: att.id }), "NOT_FOUND");

      // A URL issued ten minutes ago (300 s lifetime) has expired: the storage answers 403.
      vi.useFakeTimers({ toFake: ["Date"] });
      let stale: { url: string };
      try {
        vi.setSystemTime(Date.now() - 10 * 60_000);
        stale = await getDownloadUrl(t.db, storage, alice, { attachmentId: att.id });
      } finally {
        vi.useRealTimers();
      }
      expect((await fetchBytes(stale.url)).status).toBe(403);
      // A tampered URL too.
      expect((await fetchBytes(early.url.replace(/.$/, (c) => (c === "0" ? "1" : "0")))).status).toBe(403);
    });

    it("lets only the uploader fetch an unsent upload", async () => {
      const { alice, bob, ch } = await privateChannel();
      const att = await uploadReady(alice, ch.id);
      const own = await getDownloadUrl(t.db, storage, alice, { attachmentId: att.id });
      expect((await fetchBytes(own.url)).status).toBe(200);
      await expectParley(getDownloadUrl(t.db, storage, bob, { attachmentId: att.id }), "NOT_FOUND");
      await expectParley(completeUpload(t.db, storage, bob, { attachmentId: att.id }), "NOT_FOUND");
    });

    it("makes a deleted message's files unreachable and removes their objects", async () => {
      const { alice, bob, ch } = await privateChannel();
      const png = await noisePng(64, 48);
      const ticket = await upload(alice, ch.id, { name: "small.png", mime: "image/png", bytes: png });
      await completeUpload(t.db, storage, alice, { attachmentId: ticket.attachmentId });
      const { message } = await sendWith(alice, ch.id, [ticket.attachmentId], "look");
      const row = await t.db.attachment.findUniqueOrThrow({ where: { id: ticket.attachmentId } });
      const issued = await getDownloadUrl(t.db, storage, bob, { attachmentId: row.id });

      await expectParley(deleteMessage(t.db, bob, { messageId: message.id }, storage), "FORBIDDEN");
      const seen: string[] = [];
      const off = bus.subscribeConversation(ch.id, (e) => seen.push(e.kind));
      const deleted = await deleteMessage(t.db, alice, { messageId: message.id }, storage);
      off();
      expect(seen).toEqual(["message.deleted"]);
      expect(deleted.seq).toBe(message.seq);

      await expectParley(getDownloadUrl(t.db, storage, bob, { attachmentId: row.id }), "NOT_FOUND");
      await expectParley(getDownloadUrl(t.db, storage, alice, { attachmentId: row.id }), "NOT_FOUND");
      expect(await storage.statObject(row.objectKey)).toBeNull();
      expect(await storage.statObject(`${row.objectKey}.thumb.webp`)).toBeNull();
      expect((await fetchBytes(issued.url)).status).toBe(404);
      expect(await t.db.attachment.findUnique({ where: { id: row.id } })).toBeNull();

      const history = await getHistory(t.db, bob, { conversationId: ch.id });
      const shown = history.messages.find((m) => m.id === message.id);
      expect(shown).toMatchObject({ body: "", attachments: [] });
      expect(shown?.deletedAt).not.toBeNull();
      const created = await t.db.event.findUniqueOrThrow({
        where: { conversationId_seq: { conversationId: ch.id, seq: message.seq } },
      });
      expect((created.payload as { message: { body: string } }).message.body).toBe("");
      // Deleting again is a no-op.
      const again = await deleteMessage(t.db, alice, { messageId: message.id }, storage);
      expect(again.deletedAt).toEqual(deleted.deletedAt);
    });

    it("answers concurrent resends of a message with files as duplicates of the one stored", async () => {
      const { alice, bob, ch } = await privateChannel();
      for (let round = 0; round < 5; round++) {
        const file = await uploadReady(alice, ch.id);
        const clientMsgId = randomUUID();
        const attempt = () =>
          sendMessage(t.db, alice, {
            conversationId: ch.id,
            clientMsgId,
            body: "",
            attachmentIds: [file.id],
          });
        const results = await Promise.all([attempt(), attempt(), attempt()]);
        expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        const first = results.find((r) => !r.duplicate);
        expect(first && !first.duplicate && first.message.attachments.map((a) => a.id)).toEqual([file.id]);
        // Resends carry the message's identity only (issue 9 defect 6), never its files.
        for (const r of results.filter((x) => x.duplicate)) {
          expect(Object.keys(r.message).sort()).toEqual(["clientMsgId", "conversationId", "id", "seq"]);
        }
      }
      const history = await getHistory(t.db, bob, { conversationId: ch.id });
      expect(history.messages.filter((m) => m.attachments.length > 0)).toHaveLength(5);
    });

    it("does not attach other users', other conversations', unfinished or already sent files", async () => {
      const { alice, bob, ch } = await privateChannel();
      const other = await createChannel(t.db, alice, { name: channelName("other"), isPrivate: false });
      const bobs = await uploadReady(bob, ch.id);
      const elsewhere = await uploadReady(alice, other.id);
      const mine = await uploadReady(alice, ch.id);
      const unfinished = await createUpload(t.db, storage, alice, {
        conversationId: ch.id,
        name: "later.txt",
        size: 5,
        mime: "text/plain",
      });
      const before = await logCounts(t.db);
      for (const ids of [
        [bobs.id],
        [elsewhere.id],
        [unfinished.attachmentId],
        [mine.id, bobs.id],
        [randomUUID()],
      ]) {
        await expectParley(sendWith(alice, ch.id, ids, "try"), "BAD_REQUEST", /cannot be sent/);
      }
      await expectParley(sendWith(alice, ch.id, [mine.id, mine.id]), "BAD_REQUEST");
      await expectParley(
        sendWith(
          alice,
          ch.id,
          Array.from({ length: 11 }, () => randomUUID()),
        ),
        "BAD_REQUEST",
      );
      await expectParley(
        sendMessage(t.db, alice, { conversationId: ch.id, clientMsgId: randomUUID(), body: " " }),
        "BAD_REQUEST",
      );
      expect(await logCounts(t.db)).toEqual(before);
      const linked = await t.db.attachment.count({
        where: { id: { in: [bobs.id, elsewhere.id, mine.id] }, messageId: { not: null } },
      });
      expect(linked).toBe(0);

      // Concurrent sends of one file: exactly one carries it, the others write nothing.
      const results = await Promise.allSettled(
        ["one", "two", "three", "four", "five"].map((body) => sendWith(alice, ch.id, [mine.id], body)),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "BAD_REQUEST" });
      }
      expect(await logCounts(t.db)).toEqual({
        ...before,
        events: before.events + 1,
        messages: before.messages + 1,
      });
      await expectParley(sendWith(alice, ch.id, [mine.id], "again"), "BAD_REQUEST");
    });

    it("writes nothing when a file stops qualifying between the check and the write", async () => {
      const { alice, ch } = await privateChannel();
      const att = await uploadReady(alice, ch.id);
      const before = await logCounts(t.db);
      let sending: Promise<unknown> | undefined;
      await t.db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT id FROM "Attachment" WHERE id = ${att.id}::uuid FOR UPDATE`;
          // The send passes its read-only check, then waits on the row lock inside its one statement.
          sending = sendWith(alice, ch.id, [att.id], "racing");
          sending.catch(() => undefined);
          // Wait until it really is blocked on that lock, so the guard in the statement is what refuses.
          // (Polled outside this transaction: pg_stat_activity is snapshotted once per transaction.)
          for (let i = 0; i < 250; i++) {
            const [row] = await t.db.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%"Attachment"%'`;
            if ((row?.n ?? 0) > 0) break;
            if (i === 249) throw new Error("the send never waited on the attachment lock");
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await tx.attachment.update({ where: { id: att.id }, data: { status: "deleted" } });
        },
        { timeout: 20_000 },
      );
      await expectParley(sending as Promise<unknown>, "BAD_REQUEST");
      expect(await logCounts(t.db)).toEqual(before);
    });

    it("sweeps unsent uploads (rows and objects) and leaves sent ones", async () => {
      const { alice, ch } = await privateChannel();
      const sent = await uploadReady(alice, ch.id);
      await sendWith(alice, ch.id, [sent.id]);
      const unsent = await uploadReady(alice, ch.id);
      const neverPut = await createUpload(t.db, storage, alice, {
        conversationId: ch.id,
        name: "n.txt",
        size: 4,
        mime: "text/plain",
      });
      const keys = await t.db.attachment.findMany({
        where: { id: { in: [sent.id, unsent.id, neverPut.attachmentId] } },
        select: { id: true, objectKey: true },
      });
      const keyOf = (id: string) => keys.find((k) => k.id === id)?.objectKey as string;

      await sweepPendingUploads(t.db, storage, 60); // too young to go
      expect(await t.db.attachment.count({ where: { id: { in: [unsent.id, neverPut.attachmentId] } } })).toBe(
        2,
      );
      expect(await sweepPendingUploads(t.db, storage, 0)).toBeGreaterThanOrEqual(2);
      expect(await t.db.attachment.findUnique({ where: { id: unsent.id } })).toBeNull();
      expect(await t.db.attachment.findUnique({ where: { id: neverPut.attachmentId } })).toBeNull();
      expect(await storage.statObject(keyOf(unsent.id))).toBeNull();
      expect(await t.db.attachment.findUnique({ where: { id: sent.id } })).not.toBeNull();
      expect(await storage.statObject(keyOf(sent.id))).not.toBeNull();
    });
  });
}

runFileSuite("local", startLocalBackend);

if (s3Env.S3_ENDPOINT) {
  runFileSuite("s3", async () => ({ storage: s3Storage(), close: async () => {} }));
} else if (s3Env.CI === "true") {
  describe("attachments on s3 storage", () => {
    it("needs a real S3 server in CI", () => {
      throw new Error(
        'S3_ENDPOINT is not set. Start the test server with `eval "$(bash scripts/s3-server.sh start)"` first.',
      );
    });
  });
} else {
  describe.skip("attachments on s3 storage (S3_ENDPOINT not set; run `bash scripts/s3-server.sh start`)", () => {
    it("skipped", () => {});
  });
}
