import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv, type TEnv } from "@parley/config";
import { createChannel } from "@parley/core";
import { Prisma } from "@parley/db";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode } from "./helpers.ts";
import { handleLocalFileRequest } from "./local-files.ts";

// The workspace row is shared by every test in this file; each starts from the server's defaults.
let t: TTestDb;
let dir: string;
let env: TEnv;
const CEILING = 1_000_000;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "Limits" });
  dir = await mkdtemp(path.join(tmpdir(), "parley-api-limits-"));
  env = parseEnv({
    DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
    AUTH_SECRET: "test-secret-test-secret-test-secret!",
    PUBLIC_URL: "https://chat.example.test",
    STORAGE_DIR: dir,
    MAX_UPLOAD_BYTES: String(CEILING),
  });
});
afterAll(async () => {
  await t?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await t.db.workspace.update({
    where: { id: 1 },
    data: { maxUploadBytes: null, blockedUploadTypes: Prisma.DbNull },
  });
});

async function callerFor(role: "admin" | "member" | "owner" = "member") {
  const user = await seedUser(t.db, { role });
  const actor = { userId: user.id, role: user.role };
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  return { actor, caller: createCaller(await createContext({ db: t.db, sessionId: session.id, env })) };
}

async function channelOf(actor: { userId: string; role: "admin" | "member" | "owner" | "guest" }) {
  return createChannel(t.db, actor, { name: `up-${randomUUID().slice(0, 8)}` });
}

const storedOverrides = () =>
  t.db.workspace.findUniqueOrThrow({
    where: { id: 1 },
    select: { maxUploadBytes: true, blockedUploadTypes: true },
  });

describe("workspace upload limits", () => {
  it("shows admins the server's defaults and ceiling while nothing is overridden", async () => {
    const admin = await callerFor("admin");
    const settings = await admin.caller.workspace.uploadLimits();
    expect(settings.ceilingBytes).toBe(CEILING);
    expect(settings.defaults).toEqual({ maxUploadBytes: CEILING, blockedTypes: env.UPLOAD_BLOCKED_TYPES });
    expect(settings.overrides).toEqual({ maxUploadBytes: null, blockedTypes: null });
    expect(settings.effective).toEqual(settings.defaults);
  });

  it("applies an admin's limits to files.limits and createUpload at once, and a reset restores the defaults", async () => {
    const admin = await callerFor("admin");
    const member = await callerFor();
    const ch = await channelOf(member.actor);
    const start = (size: number, mime = "application/octet-stream", name = "a.bin") =>
      member.caller.files.createUpload({ conversationId: ch.id, name, size, mime });

    await start(500_000); // within the server's limit
    const saved = await admin.caller.workspace.setUploadLimits({
      maxUploadBytes: 200_000,
      blockedTypes: ["Application/Zip", "text/csv"],
    });
    expect(saved.effective).toEqual({
      maxUploadBytes: 200_000,
      blockedTypes: ["application/zip", "text/csv"],
    });
    expect(await member.caller.files.limits()).toEqual(saved.effective);

    await expectCode(start(200_001), "BAD_REQUEST", /larger than the limit/);
    await expectCode(start(100, "application/zip", "a.zip"), "BAD_REQUEST", /cannot be shared/);
    // The workspace's list replaces the server's: an .exe is no longer on it.
    const exe = await start(100, "application/x-msdownload", "tool.exe");
    expect(exe.attachmentId).toBeTruthy();

    // Only the size is reset; the types stay overridden.
    const sizeReset = await admin.caller.workspace.setUploadLimits({ maxUploadBytes: null });
    expect(sizeReset.effective).toEqual({
      maxUploadBytes: CEILING,
      blockedTypes: ["application/zip", "text/csv"],
    });

    const reset = await admin.caller.workspace.setUploadLimits({ maxUploadBytes: null, blockedTypes: null });
    expect(reset.overrides).toEqual({ maxUploadBytes: null, blockedTypes: null });
    expect(await member.caller.files.limits()).toEqual({
      maxUploadBytes: CEILING,
      blockedTypes: env.UPLOAD_BLOCKED_TYPES,
    });
    expect(await storedOverrides()).toEqual({ maxUploadBytes: null, blockedUploadTypes: null });
    await expectCode(start(100, "application/x-msdownload", "tool.exe"), "BAD_REQUEST", /cannot be shared/);
    await start(100, "application/zip", "a.zip");

    const audit = await t.db.auditEntry.findMany({
      where: { actorId: admin.actor.userId, action: "workspace.updated" },
      orderBy: [{ at: "asc" }, { id: "asc" }],
    });
    expect(audit).toHaveLength(3);
    expect(audit[0]?.targetType).toBe("workspace");
    expect(audit[0]?.details).toEqual({
      before: { maxUploadBytes: null, blockedTypes: null },
      after: { maxUploadBytes: 200_000, blockedTypes: ["application/zip", "text/csv"] },
    });
  });

  it("checks the bytes against the workspace's blocked types at completeUpload", async () => {
    const admin = await callerFor("admin");
    const member = await callerFor();
    const ch = await channelOf(member.actor);
    // A PNG signature declared as a generic file: only the bytes say what it is.
    const png = Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(200)]);
    const uploadPng = async () => {
      const ticket = await member.caller.files.createUpload({
        conversationId: ch.id,
        name: "data.bin",
        size: png.length,
        mime: "application/octet-stream",
      });
      const put = await handleLocalFileRequest(
        env,
        new Request(ticket.upload.url, { method: "PUT", headers: ticket.upload.headers, body: png }),
      );
      expect(put.status).toBe(200);
      return ticket.attachmentId;
    };
    const allowed = await uploadPng();
    await admin.caller.workspace.setUploadLimits({ blockedTypes: ["image/png"] });
    const refused = await uploadPng(); // declared type is not blocked, so the upload starts
    await expectCode(
      member.caller.files.completeUpload({ attachmentId: refused }),
      "BAD_REQUEST",
      /cannot be shared/,
    );
    expect(await t.db.attachment.findUnique({ where: { id: refused } })).toBeNull();
    // An upload that was started before the change is checked against the limits of now, too.
    await expectCode(
      member.caller.files.completeUpload({ attachmentId: allowed }),
      "BAD_REQUEST",
      /cannot be shared/,
    );
  });

  it("never lets admins raise the size above the server's MAX_UPLOAD_BYTES", async () => {
    const owner = await callerFor("owner");
    await owner.caller.workspace.setUploadLimits({ maxUploadBytes: 300_000 });
    await expectCode(
      owner.caller.workspace.setUploadLimits({ maxUploadBytes: CEILING + 1, blockedTypes: ["text/csv"] }),
      "BAD_REQUEST",
      /MAX_UPLOAD_BYTES/,
    );
    expect(await storedOverrides()).toEqual({ maxUploadBytes: 300_000n, blockedUploadTypes: null });
    // Exactly the ceiling is allowed.
    const atCeiling = await owner.caller.workspace.setUploadLimits({ maxUploadBytes: CEILING });
    expect(atCeiling.effective.maxUploadBytes).toBe(CEILING);
  });

  it("clamps a stored limit above a since-lowered ceiling", async () => {
    await t.db.workspace.update({ where: { id: 1 }, data: { maxUploadBytes: BigInt(CEILING * 5) } });
    const member = await callerFor();
    expect((await member.caller.files.limits()).maxUploadBytes).toBe(CEILING);
    const ch = await channelOf(member.actor);
    await expectCode(
      member.caller.files.createUpload({
        conversationId: ch.id,
        name: "big.bin",
        size: CEILING + 1,
        mime: "application/octet-stream",
      }),
      "BAD_REQUEST",
    );
  });

  it("refuses members: FORBIDDEN to read or change, and nothing changes", async () => {
    const member = await callerFor();
    await expectCode(member.caller.workspace.uploadLimits(), "FORBIDDEN");
    await expectCode(member.caller.workspace.setUploadLimits({ maxUploadBytes: 2048 }), "FORBIDDEN");
    await expectCode(
      member.caller.workspace.setUploadLimits({ maxUploadBytes: null, blockedTypes: null }),
      "FORBIDDEN",
    );
    expect(await storedOverrides()).toEqual({ maxUploadBytes: null, blockedUploadTypes: null });
    const anonymous = createCaller(await createContext({ db: t.db, sessionId: null, env }));
    await expectCode(anonymous.workspace.uploadLimits(), "UNAUTHORIZED");
  });

  it("refuses bad input with BAD_REQUEST and changes nothing", async () => {
    const admin = await callerFor("admin");
    await admin.caller.workspace.setUploadLimits({ maxUploadBytes: 50_000, blockedTypes: ["text/csv"] });
    const before = await storedOverrides();
    const auditCount = () => t.db.auditEntry.count({ where: { action: "workspace.updated" } });
    const auditBefore = await auditCount();
    const bad: unknown[] = [
      { maxUploadBytes: 1023 },
      { maxUploadBytes: 0 },
      { maxUploadBytes: -5 },
      { maxUploadBytes: 2048.5 },
      { maxUploadBytes: "2048" },
      { blockedTypes: ["exe"] },
      { blockedTypes: ["application/*"] },
      { blockedTypes: ["text/plain; charset=utf-8"] },
      { blockedTypes: ["text/csv", "TEXT/CSV"] },
      { blockedTypes: [""] },
      { blockedTypes: "text/csv" },
      {},
      // A valid field next to a bad one is not applied either.
      { maxUploadBytes: 4096, blockedTypes: ["not a type"] },
    ];
    for (const input of bad) {
      await expectCode(
        admin.caller.workspace.setUploadLimits(input as { maxUploadBytes: number }),
        "BAD_REQUEST",
      );
    }
    expect(await storedOverrides()).toEqual(before);
    expect(await auditCount()).toBe(auditBefore);
  });
});
