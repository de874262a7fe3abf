import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv, type TEnv } from "@parley/config";
import { createChannel } from "@parley/core";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode } from "./helpers.ts";
import { handleLocalFileRequest } from "./local-files.ts";

let t: TTestDb;
let dir: string;
let env: TEnv;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 6 });
  await seedWorkspace(t.db, { name: "Files" });
  dir = await mkdtemp(path.join(tmpdir(), "parley-api-files-"));
  // Local disk storage, whatever S3 settings the environment has: this file tests the API layer.
  env = parseEnv({
    DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
    AUTH_SECRET: "test-secret-test-secret-test-secret!",
    PUBLIC_URL: "https://chat.example.test",
    STORAGE_DIR: dir,
    MAX_UPLOAD_BYTES: "1000000",
  });
});
afterAll(async () => {
  await t?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function callerFor() {
  const user = await seedUser(t.db);
  const actor = { userId: user.id, role: user.role };
  const result = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  return { actor, caller: createCaller(await createContext({ db: t.db, sessionId: result.id, env })) };
}

describe("files API", () => {
  it("tells signed-in users the upload limits the server enforces", async () => {
    const alice = await callerFor();
    const limits = await alice.caller.files.limits();
    expect(limits.maxUploadBytes).toBe(1_000_000);
    expect(limits.blockedTypes).toContain("application/x-msdownload");
    const anonymous = createCaller(await createContext({ db: t.db, sessionId: null, env }));
    await expectCode(anonymous.files.limits(), "UNAUTHORIZED");
  });

  it("uploads, sends, downloads and deletes through tRPC and the local file route", async () => {
    const alice = await callerFor();
    const bob = await callerFor();
    const ch = await createChannel(t.db, alice.actor, {
      name: `files-${randomUUID().slice(0, 8)}`,
      isPrivate: true,
      memberIds: [bob.actor.userId],
    });
    const bytes = randomBytes(50_000);

    await expectCode(
      alice.caller.files.createUpload({
        conversationId: ch.id,
        name: "big.bin",
        size: 1_000_001,
        mime: "application/octet-stream",
      }),
      "BAD_REQUEST",
    );
    const ticket = await alice.caller.files.createUpload({
      conversationId: ch.id,
      name: "data.bin",
      size: bytes.length,
      mime: "application/octet-stream",
    });
    expect(ticket.upload.url.startsWith("https://chat.example.test/api/files/local/att/")).toBe(true);

    // The web route hands the request to the same function; a wrong type is refused by the signature.
    const put = (headers: Record<string, string>) =>
      handleLocalFileRequest(env, new Request(ticket.upload.url, { method: "PUT", headers, body: bytes }));
    expect((await put({ "Content-Type": "text/plain" })).status).toBe(403);
    expect((await put(ticket.upload.headers)).status).toBe(200);

    const ready = await alice.caller.files.completeUpload({ attachmentId: ticket.attachmentId });
    expect(ready).toMatchObject({ id: ticket.attachmentId, size: bytes.length, hasThumbnail: false });

    const { message } = await alice.caller.messages.send({
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "",
      attachmentIds: [ticket.attachmentId],
    });
    const history = await bob.caller.messages.history({ conversationId: ch.id });
    expect(history.messages.find((m) => m.id === message.id)?.attachments).toEqual([ready]);

    const { url } = await bob.caller.files.downloadUrl({ attachmentId: ticket.attachmentId });
    const got = await handleLocalFileRequest(env, new Request(url));
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);

    await expectCode(bob.caller.messages.delete({ messageId: message.id }), "FORBIDDEN");
    await alice.caller.messages.delete({ messageId: message.id });
    await expectCode(bob.caller.files.downloadUrl({ attachmentId: ticket.attachmentId }), "NOT_FOUND");
    expect((await handleLocalFileRequest(env, new Request(url))).status).toBe(404);
  });
});
