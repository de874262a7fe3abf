/**
 * The channels admin and the message windows over the real router and HTTP adapter: every
 * `channelAdmin.*` procedure and `workspace.setMessageWindows` refuse members and the signed out;
 * the list's private rows carry no content; an edit or delete past its window answers FORBIDDEN
 * with `data.reason` (the clock here is the database's: the message's `createdAt` is set back).
 */
import { randomUUID } from "node:crypto";
import { parseEnv } from "@parley/config";
import { createChannel, sendMessage } from "@parley/core";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { ErrorReason } from "@parley/protocol";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode } from "./helpers.ts";

let t: TTestDb;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
});

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "Channels admin" });
});
afterAll(async () => {
  await t?.drop();
});

async function sessionFor(role: "admin" | "member") {
  const user = await seedUser(t.db, { role });
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  const caller = createCaller(await createContext({ db: t.db, sessionId: session.id, env }));
  return { actor: { userId: user.id, role: user.role }, sessionId: session.id, caller };
}

/** One tRPC mutation over HTTP, as a browser makes it; the error's JSON when it failed. */
async function post(procedure: string, input: unknown, sessionId: string) {
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req: new Request(`http://localhost/api/trpc/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(superjson.serialize(input)),
    }),
    createContext: () => createContext({ db: t.db, sessionId, env }),
  });
  const body = (await res.json()) as {
    error?: { json: { message: string; data: { code: string; reason: string | null } } };
  };
  return { status: res.status, error: body.error?.json ?? null };
}

describe("channelAdmin", () => {
  it("refuses members (FORBIDDEN) and the signed out (UNAUTHORIZED) on every procedure, changing nothing", async () => {
    const member = await sessionFor("member");
    const ch = await createChannel(t.db, member.actor, { name: `mine-${Date.now()}` });
    const anonymous = createCaller(await createContext({ db: t.db, env }));
    for (const caller of [member.caller, anonymous]) {
      const code = caller === anonymous ? "UNAUTHORIZED" : "FORBIDDEN";
      await expectCode(caller.channelAdmin.list({}), code);
      await expectCode(caller.channelAdmin.convert({ conversationId: ch.id, isPrivate: true }), code);
      await expectCode(
        caller.channelAdmin.setOwner({ conversationId: ch.id, userId: member.actor.userId }),
        code,
      );
      await expectCode(caller.channelAdmin.delete({ conversationId: ch.id, confirmName: ch.name }), code);
      await expectCode(
        caller.workspace.setMessageWindows({ editWindowSeconds: 0, deleteWindowSeconds: 0 }),
        code,
      );
    }
    expect(await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } })).toMatchObject({
      kind: "public_channel",
    });
    expect(await t.db.auditEntry.count({ where: { targetId: ch.id } })).toBe(0);
  });

  it("lists a private channel by name, member count and archived flag only; deletes with the typed name", async () => {
    const admin = await sessionFor("admin");
    const member = await sessionFor("member");
    const name = `hidden-${Date.now()}`;
    const ch = await createChannel(t.db, member.actor, { name, isPrivate: true, topic: "do not show" });
    const page = await admin.caller.channelAdmin.list({ query: name });
    expect(page.channels).toEqual([
      { id: ch.id, name, kind: "private_channel", memberCount: 1, isArchived: false },
    ]);
    await expectCode(
      admin.caller.channelAdmin.delete({ conversationId: ch.id, confirmName: "hidden" }),
      "BAD_REQUEST",
    );
    const gone = await admin.caller.channelAdmin.delete({ conversationId: ch.id, confirmName: name });
    expect(gone).toMatchObject({ conversationId: ch.id, members: 1, messages: 0 });
    expect((await admin.caller.channelAdmin.list({ query: name })).channels).toEqual([]);
  });
});

describe("message windows over tRPC", () => {
  it("any signed-in user reads them; an edit or delete past its window is FORBIDDEN with its reason", async () => {
    const admin = await sessionFor("admin");
    const member = await sessionFor("member");
    expect(await member.caller.workspace.messageWindows()).toEqual({
      editWindowSeconds: null,
      deleteWindowSeconds: null,
    });
    await admin.caller.workspace.setMessageWindows({ editWindowSeconds: 900, deleteWindowSeconds: 3600 });
    expect(await member.caller.workspace.messageWindows()).toEqual({
      editWindowSeconds: 900,
      deleteWindowSeconds: 3600,
    });
    const ch = await createChannel(t.db, member.actor, { name: `win-${Date.now()}` });
    const sent = await sendMessage(t.db, member.actor, {
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "hi",
    });
    const messageId = sent.message.id;
    // Still inside both windows.
    expect((await post("messages.edit", { messageId, body: "hi!" }, member.sessionId)).error).toBeNull();
    // Sent 20 minutes ago: past the edit window (15 min), inside the delete window (1 h).
    await t.db.message.update({
      where: { id: messageId },
      data: { createdAt: new Date(Date.now() - 20 * 60_000) },
    });
    const edit = await post("messages.edit", { messageId, body: "late" }, member.sessionId);
    expect(edit.status).toBe(403);
    expect(edit.error?.data.reason).toBe(ErrorReason.EditWindowClosed);
    expect(edit.error?.message).toBe("Messages can only be edited within 15 minutes of sending");
    // Two hours ago: past the delete window too.
    await t.db.message.update({
      where: { id: messageId },
      data: { createdAt: new Date(Date.now() - 2 * 3600_000) },
    });
    const del = await post("messages.delete", { messageId }, member.sessionId);
    expect(del.error?.data.reason).toBe(ErrorReason.DeleteWindowClosed);
    expect((await t.db.message.findUniqueOrThrow({ where: { id: messageId } })).deletedAt).toBeNull();
    // An admin deletes it anyway (moderation).
    expect((await post("messages.delete", { messageId }, admin.sessionId)).error).toBeNull();
    expect((await t.db.message.findUniqueOrThrow({ where: { id: messageId } })).deletedAt).not.toBeNull();
  });
});
