/**
 * Saved messages and reminders over tRPC: inputs are validated (zod) before anything is written,
 * the procedures answer what core decides (the behaviour itself is core's saved-reminders test),
 * and a reminder set through the API reaches the job and fires once, with its user event.
 */
import { randomUUID } from "node:crypto";
import { parseEnv } from "@parley/config";
import { fireDueReminders } from "@parley/core";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { UserEventKind } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode } from "./helpers.ts";

let t: TTestDb;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
});

beforeAll(async () => {
  t = await createTestDb({ poolSize: 6 });
  await seedWorkspace(t.db, { name: "Later" });
});
afterAll(async () => {
  await t?.drop();
});

async function callerFor() {
  const user = await seedUser(t.db, {});
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  return { id: user.id, caller: createCaller(await createContext({ db: t.db, sessionId: session.id, env })) };
}

describe("saved messages and reminders over tRPC", () => {
  it("refuses bad input with BAD_REQUEST and writes nothing", async () => {
    const ada = await callerFor();
    const ch = await ada.caller.conversations.create({
      name: `l-${randomUUID().slice(0, 8)}`,
      isPrivate: true,
    });
    const { message } = await ada.caller.messages.send({
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "x",
    });
    const bad: unknown[] = [
      { messageId: message.id },
      { messageId: message.id, when: { kind: "in", minutes: 0 } },
      { messageId: message.id, when: { kind: "in", minutes: 1.5 } },
      { messageId: message.id, when: { kind: "someday" } },
      { messageId: message.id, when: { kind: "local", dateTime: "tomorrow-ish" } },
      { messageId: message.id, when: { kind: "at", dueAt: "not a date" } },
      { messageId: message.id, when: { kind: "at", dueAt: new Date(Date.now() - 60_000) } },
      { messageId: "not-an-id", when: { kind: "tomorrow" } },
    ];
    for (const input of bad) {
      await expectCode(ada.caller.reminders.create(input as never), "BAD_REQUEST");
    }
    await expectCode(ada.caller.saved.save({ messageId: "x" }), "BAD_REQUEST");
    await expectCode(ada.caller.saved.list({ limit: 1000 }), "BAD_REQUEST");
    await expectCode(ada.caller.saved.list({ cursor: "2026-01-01T00:00:00.000Z_nope" }), "BAD_REQUEST");
    await expectCode(ada.caller.reminders.cancel({ reminderId: "x" }), "BAD_REQUEST");
    expect(await t.db.reminder.count({ where: { userId: ada.id } })).toBe(0);
    expect(await t.db.savedMessage.count({ where: { userId: ada.id } })).toBe(0);
  });

  it("saves, lists, sets a reminder at an exact time and fires it once", async () => {
    const ada = await callerFor();
    const ch = await ada.caller.conversations.create({
      name: `l-${randomUUID().slice(0, 8)}`,
      isPrivate: false,
    });
    const { message } = await ada.caller.messages.send({
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "ship it",
    });
    expect(await ada.caller.saved.save({ messageId: message.id })).toMatchObject({ isChanged: true });
    expect(await ada.caller.saved.save({ messageId: message.id })).toMatchObject({ isChanged: false });
    const page = await ada.caller.saved.list({});
    expect(page.items.map((i) => [i.messageId, i.body, i.conversationName])).toEqual([
      [message.id, "ship it", ch.name],
    ]);
    expect(await ada.caller.saved.ids({ conversationId: ch.id })).toEqual([message.id]);

    const dueAt = new Date(Date.now() + 2_000);
    const reminder = await ada.caller.reminders.create({
      messageId: message.id,
      when: { kind: "at", dueAt },
    });
    expect(reminder.dueAt).toEqual(dueAt);
    expect((await ada.caller.reminders.list()).pending.map((r) => r.id)).toEqual([reminder.id]);
    const round = await fireDueReminders(t.db, { now: new Date(dueAt.getTime() + 1) });
    expect(round.fired.map((f) => f.payload.reminderId)).toEqual([reminder.id]);
    expect((await fireDueReminders(t.db, { now: new Date(dueAt.getTime() + 1) })).fired).toEqual([]);
    const list = await ada.caller.reminders.list();
    expect(list.pending).toEqual([]);
    expect(list.fired.map((r) => r.id)).toEqual([reminder.id]);
    expect(await t.db.userEvent.count({ where: { userId: ada.id, kind: UserEventKind.ReminderFired } })).toBe(
      1,
    );
  });
});
