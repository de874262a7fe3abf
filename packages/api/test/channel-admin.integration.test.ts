/**
 * The channels admin and the message windows over the real router and HTTP adapter: every
 * `channelAdmin.*` procedure and `workspace.setMessageWindows` refuse members and the signed out;
 * the list's private rows carry no content; an edit or delete past its window answers FORBIDDEN
 * with `data.reason` (the clock here is the database's: the message's `createdAt` is set back).
 */
import { randomUUID } from "node:crypto";
import { createChannel, sendMessage } from "@parley/core";
import { seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { ErrorReason } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode, postTrpc, sessionFor, testEnv } from "./helpers.ts";

let t: TTestDb;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "Channels admin" });
});
afterAll(async () => {
  await t?.drop();
});

const session = (role: "admin" | "member") => sessionFor(t.db, role);
const post = (procedure: string, input: unknown, sessionId: string) =>
  postTrpc(t.db, procedure, input, sessionId);

describe("channelAdmin", () => {
  it("refuses members (FORBIDDEN) and the signed out (UNAUTHORIZED) on every procedure, changing nothing", async () => {
    const member = await session("member");
    const ch = await createChannel(t.db, member.actor, { name: `mine-${Date.now()}` });
    const anonymous = createCaller(await createContext({ db: t.db, env: testEnv() }));
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
    const admin = await session("admin");
    const member = await session("member");
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
    const admin = await session("admin");
    const member = await session("member");
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
