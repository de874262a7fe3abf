/**
 * Issue 15: files.getUploadURLExternal + files.completeUploadExternal, driven by the real
 * `@slack/web-api` WebClient's `filesUploadV2` against the Slack handler and the upload handler on
 * a node:http server (routed as apps/web routes them), with real Postgres and the real S3 server
 * when S3_ENDPOINT is set (local disk otherwise). A bot's file becomes an attachment of ONE message
 * in the channel (with its comment, in a thread when asked), readable in history, its bytes
 * downloadable and equal; and every refusal — wrong length, unknown, used or expired URL, unknown
 * file id, a second completion, another bot's file, scope, size, type — answers a code and writes
 * nothing.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TEnv } from "@parley/config";
import { createBot, createBotToken, createChannel, getHistory, messageTs, sendMessage } from "@parley/core";
import { getDownloadUrl, getStorage, sweepPendingUploads } from "@parley/core/files";
import { seedUser } from "@parley/db/seed";
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackHandler, createSlackUploadHandler } from "../src/slack/index.ts";
import { testEnv, useApiTestDb } from "./helpers.ts";
import { handleLocalFileRequest } from "./local-files.ts";
import { serve } from "./slack-serve.ts";

const { db } = useApiTestDb("Slack Files", 6);

/** A 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

let server: Server;
let origin = "";
let env: TEnv;
let localDir: string | undefined;
let w: Awaited<ReturnType<typeof seed>>;

/** Serves the API, the upload URLs and local-disk file URLs, routed as apps/web routes them. */
async function start(): Promise<void> {
  let api: (req: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
  let upload = api;
  const started = await serve((req) => {
    const { pathname } = new URL(req.url);
    if (pathname.startsWith("/api/slack/upload/")) return upload(req);
    if (pathname.startsWith("/api/files/local/")) return handleLocalFileRequest(env, req);
    return api(req);
  });
  server = started.server;
  origin = new URL(started.base).origin;
  if (!process.env.S3_ENDPOINT) localDir = await mkdtemp(path.join(tmpdir(), "parley-slack-files-"));
  const storage: Record<string, string> = process.env.S3_ENDPOINT
    ? {
        S3_ENDPOINT: process.env.S3_ENDPOINT,
        S3_PORT: process.env.S3_PORT ?? "",
        S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? "",
        S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? "",
        S3_USE_SSL: process.env.S3_USE_SSL ?? "false",
        S3_PATH_STYLE: process.env.S3_PATH_STYLE ?? "true",
        S3_REGION: process.env.S3_REGION ?? "us-east-1",
        S3_BUCKET: `parley-slack-files-${process.pid}`,
      }
    : { STORAGE_DIR: localDir ?? "" };
  // The upload URL is made from PUBLIC_URL, as behind a proxy in production.
  env = testEnv({ PUBLIC_URL: origin, MAX_UPLOAD_BYTES: "1000000", ...storage });
  api = createSlackHandler({ db: db(), env });
  upload = createSlackUploadHandler({ db: db(), env });
}

async function seed() {
  const owner = await seedUser(db(), { role: "owner" });
  const member = await seedUser(db());
  const ownerActor = { userId: owner.id, role: owner.role };
  const memberActor = { userId: member.id, role: member.role };
  const bot = await createBot(db(), ownerActor, { name: "File Bot" });
  const other = await createBot(db(), ownerActor, { name: "Other Bot" });
  const channel = (name: string, memberIds: string[], isPrivate = false) =>
    createChannel(db(), ownerActor, { name, isPrivate, memberIds });
  const builds = await channel("builds", [bot.id, other.id, member.id]);
  const secret = await channel("secret-builds", [bot.id, member.id], true);
  const outside = await channel("elsewhere", [bot.id]);
  const token = async (botId: string, channelIds: string[], canWrite = true) =>
    (
      await createBotToken(db(), ownerActor, {
        botId,
        name: `t-${randomUUID().slice(0, 6)}`,
        channelIds,
        canRead: true,
        canWrite,
      })
    ).token;
  return {
    ownerActor,
    memberActor,
    bot,
    builds,
    secret,
    outside,
    token: await token(bot.id, [builds.id, secret.id]),
    readOnly: await token(bot.id, [builds.id], false),
    otherToken: await token(other.id, [builds.id]),
  };
}

beforeAll(async () => {
  await start();
  w = await seed();
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

const client = (token: string) =>
  new WebClient(token, { slackApiUrl: `${origin}/api/slack/`, retryConfig: { retries: 0 } });

/** One Slack API call with a plain fetch (for arguments the SDK would not send); the JSON answer. */
async function call(method: string, token: string, args: Record<string, unknown>) {
  const res = await fetch(`${origin}/api/slack/${method}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { ok: boolean; error?: string; upload_url?: string; file_id?: string };
}

/** POSTs raw bytes to an upload URL; the status and text answer. */
async function post(url: string, body: Buffer | string) {
  const res = await fetch(url, { method: "POST", body });
  return { status: res.status, text: await res.text() };
}

/** A started upload of `size` bytes named `filename`. */
async function startUpload(token: string, filename: string, size: number) {
  const started = await call("files.getUploadURLExternal", token, { filename, length: size });
  expect(started).toMatchObject({ ok: true });
  return { url: started.upload_url as string, id: started.file_id as string };
}

/** What a refused call could have written, by content. */
async function world() {
  const [messages, events, attachments, uploads] = await Promise.all([
    db().message.count(),
    db().event.count(),
    db().attachment.findMany({ select: { id: true, messageId: true }, orderBy: { id: "asc" } }),
    db().botUpload.findMany({ select: { id: true, status: true }, orderBy: { id: "asc" } }),
  ]);
  return { messages, events, attachments, uploads };
}

/** The bytes behind an attachment, fetched through the presigned URL a reader gets. */
async function download(attachmentId: string): Promise<Buffer> {
  const storage = await getStorage(env);
  const { url } = await getDownloadUrl(db(), storage, w.memberActor, { attachmentId });
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe("files.getUploadURLExternal + files.completeUploadExternal", () => {
  it("shares a file through filesUploadV2: one message with the comment, in history, the bytes equal", async () => {
    const bot = client(w.token);
    const bytes = Buffer.from(`build 42 passed\n${"x".repeat(20_000)}\n`);
    const done = await bot.filesUploadV2({
      channel_id: w.builds.id,
      file: bytes,
      filename: "build-42.log",
      title: "Build 42",
      initial_comment: "*Build 42* is green",
    });
    expect(done.ok).toBe(true);
    const completion = (done.files as { files?: Record<string, unknown>[] }[])[0]?.files?.[0];
    expect(completion).toMatchObject({
      name: "build-42.log",
      title: "Build 42",
      mimetype: "text/plain",
      filetype: "log",
      size: bytes.length,
      user: w.bot.id,
      channels: [w.builds.id],
    });
    const fileId = completion?.id as string;
    const shares = completion?.shares as { public: Record<string, { ts: string }[]> } | undefined;
    const share = shares?.public[w.builds.id]?.[0];

    // One message by the bot, with the comment and the file, through the send path (seq, log).
    const stored = await db().message.findFirstOrThrow({
      where: { conversationId: w.builds.id, body: "**Build 42** is green" },
      include: { attachments: true },
    });
    expect(stored.senderId).toBe(w.bot.id);
    expect(stored.clientMsgId).toBe(fileId);
    expect(messageTs(stored.createdAt, stored.seq)).toBe(share?.ts);
    expect(stored.attachments).toMatchObject([
      { id: fileId, name: "build-42.log", size: BigInt(bytes.length), status: "ready" },
    ]);
    expect(stored.attachments[0]?.objectKey).toMatch(new RegExp(`^att/bot/${fileId}/build-42\\.log$`));
    const event = await db().event.findUniqueOrThrow({
      where: { conversationId_seq: { conversationId: w.builds.id, seq: stored.seq } },
    });
    expect(event).toMatchObject({ kind: "message.created", actorId: w.bot.id });
    expect(
      (event.payload as { message: { attachments: { id: string }[] } }).message.attachments,
    ).toMatchObject([{ id: fileId }]);
    expect(await db().botUpload.count({ where: { id: fileId } })).toBe(0);

    // History: the member sees it; the bot reads it back through the API.
    const seen = await getHistory(db(), w.memberActor, { conversationId: w.builds.id });
    expect(seen.messages.find((m) => m.id === stored.id)?.attachments).toMatchObject([{ id: fileId }]);
    const history = await bot.conversations.history({ channel: w.builds.id, limit: 1 });
    expect(history.messages?.[0]).toMatchObject({
      ts: share?.ts,
      text: "**Build 42** is green",
      files: [{ id: fileId, name: "build-42.log", size: bytes.length }],
    });
    expect((await download(fileId)).equals(bytes)).toBe(true);
  });

  it("shares several files as one thread reply, images with their size and thumbnail", async () => {
    const bot = client(w.token);
    const root = await bot.chat.postMessage({ channel: w.secret.id, text: "nightly" });
    const done = await bot.filesUploadV2({
      channel_id: w.secret.id,
      thread_ts: root.ts ?? "",
      initial_comment: "artifacts",
      file_uploads: [
        { file: PNG, filename: "dot.png" },
        { content: "all good", filename: "notes.txt" },
      ],
    });
    const files = (done.files as { files?: Record<string, unknown>[] }[]).flatMap((c) => c.files ?? []);
    expect(files.map((f) => f.name)).toEqual(["dot.png", "notes.txt"]);
    expect(files[0]).toMatchObject({
      mimetype: "image/png",
      original_w: 1,
      original_h: 1,
      groups: [w.secret.id],
    });
    const reply = await db().message.findFirstOrThrow({
      where: { conversationId: w.secret.id, body: "artifacts" },
      include: { attachments: true },
    });
    const rootRow = await db().message.findFirstOrThrow({
      where: { conversationId: w.secret.id, body: "nightly" },
    });
    expect(reply.threadRootId).toBe(rootRow.id);
    // (Their order is the order their upload URLs were asked for, which filesUploadV2 does at once.)
    expect(reply.attachments.map((a) => a.name).sort()).toEqual(["dot.png", "notes.txt"]);
    expect(reply.attachments.find((a) => a.name === "dot.png")?.thumbnailKey).not.toBeNull();
    expect(reply.attachments.find((a) => a.name === "notes.txt")?.thumbnailKey).toBeNull();
    expect((await download(files[0]?.id as string)).equals(PNG)).toBe(true);
    expect((await download(files[1]?.id as string)).toString()).toBe("all good");
  });

  it("takes the raw body too; refuses a body of the wrong length, and a used, wrong or expired URL", async () => {
    const up = await startUpload(w.token, "raw.bin", 10);
    const storage = await getStorage(env);
    const row = await db().botUpload.findUniqueOrThrow({ where: { id: up.id } });
    // Wrong length: nothing kept, not completable, but the URL may be used again while valid.
    expect(await post(up.url, "12345")).toEqual({ status: 400, text: "length_mismatch" });
    expect(await post(up.url, "12345678901")).toEqual({ status: 400, text: "length_mismatch" });
    expect(await storage.statObject(row.objectKey)).toBeNull();
    expect(
      await call("files.completeUploadExternal", w.token, {
        files: [{ id: up.id }],
        channel_id: w.builds.id,
      }),
    ).toEqual({ ok: false, error: "file_not_found" });
    expect(await post(up.url, "0123456789")).toEqual({ status: 200, text: "OK - 10" });
    // Single use.
    expect(await post(up.url, "0123456789")).toEqual({ status: 404, text: "invalid_upload_url" });
    // A wrong secret and an expired URL answer the same, and store nothing.
    const other = await startUpload(w.token, "late.bin", 3);
    expect(await post(`${other.url}x`, "abc")).toEqual({ status: 404, text: "invalid_upload_url" });
    await db().botUpload.update({
      where: { id: other.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await post(other.url, "abc")).toEqual({ status: 404, text: "invalid_upload_url" });
    expect(
      await storage.statObject(
        (await db().botUpload.findUniqueOrThrow({ where: { id: other.id } })).objectKey,
      ),
    ).toBeNull();
    expect((await fetch(up.url)).status).toBe(405);
    const done = await call("files.completeUploadExternal", w.token, {
      files: [{ id: up.id }],
      channel_id: w.builds.id,
    });
    expect(done.ok).toBe(true);
    expect((await download(up.id)).toString()).toBe("0123456789");
  });

  it("refuses unknown files, a second completion and another bot's file, writing nothing", async () => {
    const up = await startUpload(w.token, "once.txt", 4);
    expect((await post(up.url, "once")).status).toBe(200);
    const complete = (token: string, id: string) =>
      call("files.completeUploadExternal", token, { files: [{ id }], channel_id: w.builds.id });
    const before = await world();
    // Another bot — in the same channel, with write scope — cannot share this bot's upload.
    expect(await complete(w.otherToken, up.id)).toEqual({ ok: false, error: "file_not_found" });
    expect(await complete(w.token, randomUUID())).toEqual({ ok: false, error: "file_not_found" });
    expect(await complete(w.token, "F0NOTAUUID")).toEqual({ ok: false, error: "file_not_found" });
    // Known and unknown together: all or nothing.
    expect(
      await call("files.completeUploadExternal", w.token, {
        files: [{ id: up.id }, { id: randomUUID() }],
        channel_id: w.builds.id,
      }),
    ).toEqual({ ok: false, error: "file_not_found" });
    expect(await world()).toEqual(before);

    expect((await complete(w.token, up.id)).ok).toBe(true);
    const after = await world();
    expect(after.messages).toBe(before.messages + 1);
    expect(await complete(w.token, up.id)).toEqual({ ok: false, error: "file_not_found" });
    expect(await world()).toEqual(after);
  });

  it("needs write scope in the channel, membership, and a file the rules allow", async () => {
    const up = await startUpload(w.token, "scoped.txt", 2);
    expect((await post(up.url, "ok")).status).toBe(200);
    const complete = (token: string, channel: string, extra: Record<string, unknown> = {}) =>
      call("files.completeUploadExternal", token, { files: [{ id: up.id }], channel_id: channel, ...extra });
    const left = await createChannel(db(), w.ownerActor, { name: "no-bot-here", memberIds: [] });
    const scopedThere = (
      await createBotToken(db(), w.ownerActor, {
        botId: w.bot.id,
        name: "left",
        channelIds: [left.id],
        canRead: true,
        canWrite: true,
      })
    ).token;
    const before = await world();
    // Outside the token's scope (the bot is a member there), unknown, read-only, not a member.
    expect(await complete(w.token, w.outside.id)).toEqual({ ok: false, error: "not_in_channel" });
    expect(await complete(w.token, randomUUID())).toEqual({ ok: false, error: "channel_not_found" });
    expect(await complete(w.readOnly, w.builds.id)).toMatchObject({ ok: false, error: "missing_scope" });
    expect(await complete(w.token, w.builds.id, { thread_ts: "1.999999" })).toEqual({
      ok: false,
      error: "thread_not_found",
    });
    expect(await complete(scopedThere, left.id)).toEqual({ ok: false, error: "not_in_channel" });
    expect(await call("files.completeUploadExternal", w.token, { files: [{ id: up.id }] })).toMatchObject({
      ok: false,
      error: "invalid_arguments",
    });
    expect(await world()).toEqual(before);
    expect((await complete(w.token, w.builds.id)).ok).toBe(true);

    // getUploadURLExternal: write scope, the size limit and blocked types, before anything is stored.
    const uploads = await db().botUpload.count();
    expect(
      await call("files.getUploadURLExternal", w.readOnly, { filename: "a.txt", length: 1 }),
    ).toMatchObject({ ok: false, error: "missing_scope" });
    expect(
      await call("files.getUploadURLExternal", w.token, { filename: "huge.bin", length: 1_000_001 }),
    ).toEqual({ ok: false, error: "file_upload_size_restricted" });
    expect(
      await call("files.getUploadURLExternal", w.token, { filename: "tool.exe", length: 10 }),
    ).toMatchObject({ ok: false, error: "invalid_arguments" });
    expect(await call("files.getUploadURLExternal", w.token, { filename: "a.txt" })).toMatchObject({
      ok: false,
      error: "invalid_arguments",
    });
    expect(await db().botUpload.count()).toBe(uploads);
  });

  it("refuses at completion a file whose bytes are not what its name says, and removes it", async () => {
    const up = await startUpload(w.token, "photo.png", 11);
    expect((await post(up.url, "not a photo")).status).toBe(200);
    const key = (await db().botUpload.findUniqueOrThrow({ where: { id: up.id } })).objectKey;
    const messages = await db().message.count();
    expect(
      await call("files.completeUploadExternal", w.token, {
        files: [{ id: up.id }],
        channel_id: w.builds.id,
      }),
    ).toMatchObject({ ok: false, error: "invalid_arguments" });
    expect(await db().message.count()).toBe(messages);
    expect(await db().attachment.count({ where: { id: up.id } })).toBe(0);
    expect(await db().botUpload.count({ where: { id: up.id } })).toBe(0);
    expect(await (await getStorage(env)).statObject(key)).toBeNull();
  });

  it("sweeps uploads never completed, with their bytes", async () => {
    const up = await startUpload(w.token, "forgotten.txt", 5);
    expect((await post(up.url, "stale")).status).toBe(200);
    const key = (await db().botUpload.findUniqueOrThrow({ where: { id: up.id } })).objectKey;
    const storage = await getStorage(env);
    expect(await storage.statObject(key)).not.toBeNull();
    await db().botUpload.update({
      where: { id: up.id },
      data: { createdAt: new Date(Date.now() - 2 * 3600_000) },
    });
    // A live send meanwhile is untouched; the sweep takes only what is past the TTL.
    await sendMessage(db(), w.memberActor, {
      conversationId: w.builds.id,
      clientMsgId: randomUUID(),
      body: "hi",
    });
    await sweepPendingUploads(db(), storage, 60);
    expect(await db().botUpload.count({ where: { id: up.id } })).toBe(0);
    expect(await storage.statObject(key)).toBeNull();
    expect(
      await call("files.completeUploadExternal", w.token, {
        files: [{ id: up.id }],
        channel_id: w.builds.id,
      }),
    ).toEqual({ ok: false, error: "file_not_found" });
  });
});
