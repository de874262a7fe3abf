/**
 * The workspace's edit and delete windows (core/src/messages/windows.ts), measured with a clock the
 * test passes (`now`): inside the window an edit or delete goes through; past it — or with a window
 * of 0 — it is FORBIDDEN with its reason and writes nothing; null is always. Admins may always
 * delete (their own and others' messages) but edit only inside the window like everyone.
 */
import { ErrorReason } from "@parley/protocol";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel } from "../src/conversations.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { editMessage } from "../src/messages/edit.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getMessageWindows, setMessageWindows } from "../src/messages/windows.ts";
import { channelName, expectParley, logCounts, newActor, stored, useTestDb } from "./helpers.ts";

const t = useTestDb();
let admin: TActor;
let member: TActor;
let channelId: string;

beforeAll(async () => {
  admin = await newActor(t.db, { role: "admin" });
  member = await newActor(t.db);
  channelId = (await createChannel(t.db, member, { name: channelName("win") })).id;
  await t.db.membership.create({ data: { conversationId: channelId, userId: admin.userId } });
});
beforeEach(async () => {
  await setMessageWindows(t.db, admin, { editWindowSeconds: null, deleteWindowSeconds: null });
});

async function post(actor: TActor, body = "hello") {
  const m = stored(
    await sendMessage(t.db, actor, { conversationId: channelId, clientMsgId: crypto.randomUUID(), body }),
  );
  return { id: m.id, at: (s: number) => new Date(m.createdAt.getTime() + s * 1000) };
}

describe("edit window", () => {
  it("allows an edit inside the window and refuses one past it with EDIT_WINDOW_CLOSED, writing nothing", async () => {
    await setMessageWindows(t.db, admin, { editWindowSeconds: 60, deleteWindowSeconds: null });
    const m = await post(member);
    await editMessage(t.db, member, { messageId: m.id, body: "inside" }, { now: m.at(59) });
    const before = await logCounts(t.db);
    const err = await expectParley(
      editMessage(t.db, member, { messageId: m.id, body: "too late" }, { now: m.at(61) }),
      "FORBIDDEN",
      /within 1 minute of sending/,
    );
    expect(err.reason).toBe(ErrorReason.EditWindowClosed);
    expect(await logCounts(t.db)).toEqual(before);
    expect((await t.db.message.findUniqueOrThrow({ where: { id: m.id } })).body).toBe("inside");
  });

  it("0 means never, for admins' own messages too; null means always", async () => {
    await setMessageWindows(t.db, admin, { editWindowSeconds: 0, deleteWindowSeconds: null });
    const mine = await post(admin);
    await expectParley(
      editMessage(t.db, admin, { messageId: mine.id, body: "x" }, { now: mine.at(0) }),
      "FORBIDDEN",
      /cannot be edited/,
    );
    await setMessageWindows(t.db, admin, { editWindowSeconds: null, deleteWindowSeconds: null });
    const r = await editMessage(
      t.db,
      admin,
      { messageId: mine.id, body: "years later" },
      { now: mine.at(10 * 365 * 86_400) },
    );
    expect(r.seq).not.toBeNull();
  });
});

describe("delete window", () => {
  it("refuses a member deleting their own message past the window (DELETE_WINDOW_CLOSED), writing nothing", async () => {
    await setMessageWindows(t.db, admin, { editWindowSeconds: null, deleteWindowSeconds: 300 });
    const early = await post(member);
    await deleteMessage(t.db, member, { messageId: early.id }, undefined, undefined, { now: early.at(300) });
    const late = await post(member);
    const before = await logCounts(t.db);
    const err = await expectParley(
      deleteMessage(t.db, member, { messageId: late.id }, undefined, undefined, { now: late.at(301) }),
      "FORBIDDEN",
      /within 5 minutes of sending/,
    );
    expect(err.reason).toBe(ErrorReason.DeleteWindowClosed);
    expect(await logCounts(t.db)).toEqual(before);
    expect((await t.db.message.findUniqueOrThrow({ where: { id: late.id } })).deletedAt).toBeNull();
  });

  it("lets admins always delete — their own and others' messages — even with deleting off (0) for members", async () => {
    await setMessageWindows(t.db, admin, { editWindowSeconds: null, deleteWindowSeconds: 0 });
    const theirs = await post(member);
    await expectParley(
      deleteMessage(t.db, member, { messageId: theirs.id }, undefined, undefined, { now: theirs.at(0) }),
      "FORBIDDEN",
      /cannot be deleted/,
    );
    const mine = await post(admin);
    await deleteMessage(t.db, admin, { messageId: mine.id }, undefined, undefined, { now: mine.at(86_400) });
    await deleteMessage(t.db, admin, { messageId: theirs.id }, undefined, undefined, {
      now: theirs.at(86_400),
    });
    const rows = await t.db.message.findMany({ where: { id: { in: [mine.id, theirs.id] } } });
    expect(rows.every((r) => r.deletedAt !== null)).toBe(true);
  });
});

describe("setting the windows", () => {
  it("admins only; validated; audit-logged with the changed values only", async () => {
    await expectParley(
      setMessageWindows(t.db, member, { editWindowSeconds: 1, deleteWindowSeconds: 1 }),
      "FORBIDDEN",
    );
    await expectParley(
      setMessageWindows(t.db, admin, { editWindowSeconds: -1, deleteWindowSeconds: null }),
      "BAD_REQUEST",
    );
    await expectParley(
      setMessageWindows(t.db, admin, { editWindowSeconds: 1.5, deleteWindowSeconds: null }),
      "BAD_REQUEST",
    );
    const entries = () =>
      t.db.auditEntry.findMany({ where: { action: "workspace.updated" }, orderBy: { at: "asc" } });
    const before = (await entries()).length;
    await setMessageWindows(t.db, admin, { editWindowSeconds: 900, deleteWindowSeconds: null });
    await setMessageWindows(t.db, admin, { editWindowSeconds: 900, deleteWindowSeconds: null });
    const after = await entries();
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)?.details).toEqual({
      before: { editWindowSeconds: null },
      after: { editWindowSeconds: 900 },
    });
    expect(await getMessageWindows(t.db)).toEqual({ editWindowSeconds: 900, deleteWindowSeconds: null });
  });
});
