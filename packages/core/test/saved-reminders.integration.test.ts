/**
 * Saved messages and reminders against real Postgres: saving is per user, private and idempotent;
 * only readable, live messages can be saved and only those show in the list (leaving a private
 * channel or a delete hides them), with their current text, paged newest save first; reminders'
 * due times (tomorrow 9:00 in the user's time zone, a picked local time, limits), one pending
 * reminder per message, exactly-once firing with two concurrent rounds, cancelled ones never
 * firing, unreadable ones firing without content, and the user events every change appends.
 */
import { randomUUID } from "node:crypto";
import { UserEventKind } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel, leaveConversation, removeMember } from "../src/conversations.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { editMessage } from "../src/messages/edit.ts";
import { sendMessage } from "../src/messages/send.ts";
import { updateNotificationSettings } from "../src/notifications/prefs.ts";
import { resolveDueAt } from "../src/reminders/due.ts";
import { fireDueReminders, hasDueReminders } from "../src/reminders/fire.ts";
import { cancelReminder, createReminder, listReminders } from "../src/reminders/reminders.ts";
import { listSaved, savedIdsIn, saveMessage, unsaveMessage } from "../src/saved/saved.ts";
import { channelName, expectParley, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();

async function say(actor: TActor, conversationId: string, body: string) {
  const sent = await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body });
  return sent.message;
}

async function userEvents(userId: string, kind: string) {
  return t.db.userEvent.findMany({ where: { userId, kind }, orderBy: { seq: "asc" } });
}

/** A private channel of ada's with bob in it, and a message of ada's there. */
async function privateWorld() {
  const ada = await newActor(t.db);
  const bob = await newActor(t.db);
  const ch = await createChannel(t.db, ada, {
    name: channelName("later"),
    isPrivate: true,
    memberIds: [bob.userId],
  });
  const message = await say(ada, ch.id, `hello <@${bob.userId}> about the plan`);
  return { ada, bob, conversationId: ch.id, message };
}

describe("saved messages", () => {
  it("saves once per user, privately, and unsaving is a no-op the second time", async () => {
    const { ada, bob, conversationId, message } = await privateWorld();
    expect(await saveMessage(t.db, bob, { messageId: message.id })).toEqual({
      messageId: message.id,
      isSaved: true,
      isChanged: true,
    });
    expect(await saveMessage(t.db, bob, { messageId: message.id })).toMatchObject({ isChanged: false });
    expect(await t.db.savedMessage.count({ where: { messageId: message.id } })).toBe(1);
    // One event for the one change, none for the no-op.
    const events = await userEvents(bob.userId, UserEventKind.SavedUpdated);
    expect(events.map((e) => e.payload)).toEqual([{ messageId: message.id, conversationId, isSaved: true }]);
    // Private: ada sees none of bob's saves.
    expect((await listSaved(t.db, ada, {})).items).toEqual([]);
    expect(await savedIdsIn(t.db, ada, { conversationId })).toEqual([]);
    expect(await savedIdsIn(t.db, bob, { conversationId })).toEqual([message.id]);

    expect(await unsaveMessage(t.db, bob, { messageId: message.id })).toMatchObject({
      isSaved: false,
      isChanged: true,
    });
    expect(await unsaveMessage(t.db, bob, { messageId: message.id })).toMatchObject({ isChanged: false });
    expect((await userEvents(bob.userId, UserEventKind.SavedUpdated)).map((e) => e.payload)).toEqual([
      { messageId: message.id, conversationId, isSaved: true },
      { messageId: message.id, conversationId, isSaved: false },
    ]);
  });

  it("refuses messages the user cannot read (like unknown ones) and deleted ones, writing nothing", async () => {
    const { ada, conversationId, message } = await privateWorld();
    const outsider = await newActor(t.db);
    const before = await t.db.userEvent.count({ where: { userId: outsider.userId } });
    await expectParley(
      saveMessage(t.db, outsider, { messageId: message.id }),
      "NOT_FOUND",
      /^Message not found$/,
    );
    await expectParley(
      saveMessage(t.db, outsider, { messageId: randomUUID() }),
      "NOT_FOUND",
      /^Message not found$/,
    );
    await expectParley(
      savedIdsIn(t.db, outsider, { conversationId }),
      "NOT_FOUND",
      /^Conversation not found$/,
    );
    await expectParley(saveMessage(t.db, outsider, { messageId: "nope" }), "BAD_REQUEST");
    // Unsaving answers the same for any id (it only ever removes the caller's own row).
    expect(await unsaveMessage(t.db, outsider, { messageId: message.id })).toMatchObject({
      isChanged: false,
    });
    const gone = await say(ada, conversationId, "soon deleted");
    await deleteMessage(t.db, ada, { messageId: gone.id });
    await expectParley(saveMessage(t.db, ada, { messageId: gone.id }), "NOT_FOUND");
    expect(await t.db.savedMessage.count({ where: { userId: { in: [ada.userId, outsider.userId] } } })).toBe(
      0,
    );
    expect(await t.db.userEvent.count({ where: { userId: outsider.userId } })).toBe(before);
  });

  it("lists newest save first with current text, paged, and hides deleted and no-longer-readable messages", async () => {
    const { ada, bob, conversationId, message } = await privateWorld();
    const publicCh = await createChannel(t.db, ada, {
      name: channelName("pub"),
      isPrivate: false,
      memberIds: [],
    });
    const open = await say(ada, publicCh.id, "in the open");
    const later = await say(ada, conversationId, "edit me");
    const doomed = await say(ada, conversationId, "delete me");
    for (const m of [message, open, later, doomed]) await saveMessage(t.db, bob, { messageId: m.id });
    await editMessage(t.db, ada, { messageId: later.id, body: "edited text" });

    const first = await listSaved(t.db, bob, { limit: 2 });
    expect(first.items.map((i) => i.messageId)).toEqual([doomed.id, later.id]);
    expect(first.items[1]).toMatchObject({
      body: "edited text",
      conversationId,
      conversationKind: "private_channel",
      senderId: ada.userId,
      senderName: ada.name,
      seq: later.seq,
      threadRootId: null,
      attachmentCount: 0,
    });
    expect(first.items[1]?.editedAt).toBeInstanceOf(Date);
    expect(first.nextCursor).not.toBeNull();
    const second = await listSaved(t.db, bob, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((i) => i.messageId)).toEqual([open.id, message.id]);
    expect(second.nextCursor).toBeNull();
    await expectParley(listSaved(t.db, bob, { cursor: "garbage" }), "BAD_REQUEST");

    // Deleted: gone from the list and the marks, though its row stays.
    await deleteMessage(t.db, ada, { messageId: doomed.id });
    expect((await listSaved(t.db, bob, {})).items.map((i) => i.messageId)).toEqual([
      later.id,
      open.id,
      message.id,
    ]);
    expect((await savedIdsIn(t.db, bob, { conversationId })).sort()).toEqual([message.id, later.id].sort());

    // Leaving the private channel hides its messages at once; the public channel's stays.
    await leaveConversation(t.db, bob, { conversationId });
    expect((await listSaved(t.db, bob, {})).items.map((i) => i.messageId)).toEqual([open.id]);
    await expectParley(savedIdsIn(t.db, bob, { conversationId }), "NOT_FOUND");
  });

  it("hides a private channel's saves from someone removed from it", async () => {
    const { ada, bob, conversationId, message } = await privateWorld();
    await saveMessage(t.db, bob, { messageId: message.id });
    await removeMember(t.db, ada, { conversationId, userId: bob.userId });
    expect((await listSaved(t.db, bob, {})).items).toEqual([]);
  });
});

describe("reminder due times", () => {
  const now = new Date("2026-03-28T20:30:00.000Z");

  it("puts tomorrow 9:00 and picked times in the user's time zone (daylight saving included)", async () => {
    const ada = await newActor(t.db);
    // UTC by default.
    expect(await resolveDueAt(t.db, ada.userId, { kind: "tomorrow" }, now)).toEqual(
      new Date("2026-03-29T09:00:00.000Z"),
    );
    // Berlin: 21:30 local on the 28th; the clocks go forward that night, so 9:00 is UTC+2.
    await updateNotificationSettings(t.db, ada, { timeZone: "Europe/Berlin" });
    expect(await resolveDueAt(t.db, ada.userId, { kind: "tomorrow" }, now)).toEqual(
      new Date("2026-03-29T07:00:00.000Z"),
    );
    // Tokyo: already the 29th there (05:30), so tomorrow is the 30th.
    await updateNotificationSettings(t.db, ada, { timeZone: "Asia/Tokyo" });
    expect(await resolveDueAt(t.db, ada.userId, { kind: "tomorrow" }, now)).toEqual(
      new Date("2026-03-30T00:00:00.000Z"),
    );
    expect(
      await resolveDueAt(t.db, ada.userId, { kind: "local", dateTime: "2026-04-01T18:30" }, now),
    ).toEqual(new Date("2026-04-01T09:30:00.000Z"));
    expect(await resolveDueAt(t.db, ada.userId, { kind: "in", minutes: 20 }, now)).toEqual(
      new Date("2026-03-28T20:50:00.000Z"),
    );
  });

  it("refuses past, too distant and impossible times", async () => {
    const ada = await newActor(t.db);
    await expectParley(
      resolveDueAt(t.db, ada.userId, { kind: "at", dueAt: new Date(now.getTime() - 1) }, now),
      "BAD_REQUEST",
      /future/,
    );
    await expectParley(
      resolveDueAt(t.db, ada.userId, { kind: "local", dateTime: "2026-03-28T20:00" }, now),
      "BAD_REQUEST",
      /future/,
    );
    await expectParley(
      resolveDueAt(t.db, ada.userId, { kind: "at", dueAt: new Date("2027-06-01T00:00:00Z") }, now),
      "BAD_REQUEST",
      /366 days/,
    );
    await expectParley(
      resolveDueAt(t.db, ada.userId, { kind: "local", dateTime: "2026-02-30T10:00" }, now),
      "BAD_REQUEST",
    );
  });
});

describe("reminders", () => {
  it("keeps one pending reminder per message, lists it with its message, and cancels only the owner's", async () => {
    const { ada, bob, conversationId, message } = await privateWorld();
    const first = await createReminder(t.db, bob, {
      messageId: message.id,
      when: { kind: "in", minutes: 60 },
    });
    expect(first.message).toMatchObject({ conversationId, seq: message.seq, senderName: ada.name });
    const moved = await createReminder(t.db, bob, {
      messageId: message.id,
      when: { kind: "in", minutes: 180 },
    });
    expect(moved.id).toBe(first.id);
    expect(moved.dueAt.getTime()).toBeGreaterThan(first.dueAt.getTime());
    expect((await listReminders(t.db, bob)).pending.map((r) => r.id)).toEqual([first.id]);
    expect((await userEvents(bob.userId, UserEventKind.ReminderUpdated)).map((e) => e.payload)).toEqual([
      { reminderId: first.id, messageId: message.id, dueAt: first.dueAt.toISOString() },
      { reminderId: first.id, messageId: message.id, dueAt: moved.dueAt.toISOString() },
    ]);

    // Someone else's reminder, an unknown one and an unreadable message answer NOT_FOUND.
    await expectParley(
      cancelReminder(t.db, ada, { reminderId: first.id }),
      "NOT_FOUND",
      /^Reminder not found$/,
    );
    await expectParley(
      cancelReminder(t.db, ada, { reminderId: randomUUID() }),
      "NOT_FOUND",
      /^Reminder not found$/,
    );
    const outsider = await newActor(t.db);
    await expectParley(
      createReminder(t.db, outsider, { messageId: message.id, when: { kind: "in", minutes: 20 } }),
      "NOT_FOUND",
      /^Message not found$/,
    );
    expect(await t.db.reminder.count({ where: { userId: outsider.userId } })).toBe(0);

    expect(await cancelReminder(t.db, bob, { reminderId: first.id })).toEqual({
      reminderId: first.id,
      isChanged: true,
    });
    expect(await cancelReminder(t.db, bob, { reminderId: first.id })).toMatchObject({ isChanged: false });
    expect(await listReminders(t.db, bob)).toEqual({ pending: [], fired: [] });
    const last = (await userEvents(bob.userId, UserEventKind.ReminderUpdated)).at(-1);
    expect(last?.payload).toEqual({ reminderId: first.id, messageId: message.id, dueAt: null });
  });

  it("fires each due reminder exactly once with two rounds at the same time, never a cancelled one", async () => {
    const { ada, bob, conversationId, message } = await privateWorld();
    const now = new Date();
    const made: Awaited<ReturnType<typeof createReminder>>[] = [];
    for (let i = 0; i < 6; i++) {
      const m = i === 0 ? message : await say(ada, conversationId, `note ${i}`);
      made.push(await createReminder(t.db, bob, { messageId: m.id, when: { kind: "in", minutes: 20 } }, now));
    }
    const cancelled = made[5]!;
    await cancelReminder(t.db, bob, { reminderId: cancelled.id });
    const dueNow = new Date(now.getTime() + 21 * 60_000);
    expect(await hasDueReminders(t.db, now)).toBe(false);
    expect(await hasDueReminders(t.db, dueNow)).toBe(true);

    // Two rounds at once (two processes): one fires, the other finds the lock taken or nothing left.
    const rounds = await Promise.all([
      fireDueReminders(t.db, { now: dueNow, limit: 3 }),
      fireDueReminders(t.db, { now: dueNow, limit: 3 }),
      fireDueReminders(t.db, { now: dueNow, limit: 3 }),
    ]);
    let fired = rounds.flatMap((r) => r.fired);
    while (fired.length < 5) {
      const more = await fireDueReminders(t.db, { now: dueNow, limit: 3 });
      if (more.fired.length === 0) break;
      fired = [...fired, ...more.fired];
    }
    expect(fired.map((f) => f.payload.reminderId).sort()).toEqual(
      made
        .slice(0, 5)
        .map((r) => r.id)
        .sort(),
    );
    expect((await fireDueReminders(t.db, { now: dueNow })).fired).toEqual([]);
    expect(await hasDueReminders(t.db, dueNow)).toBe(false);

    const events = await userEvents(bob.userId, UserEventKind.ReminderFired);
    expect(events.map((e) => (e.payload as { reminderId: string }).reminderId).sort()).toEqual(
      made
        .slice(0, 5)
        .map((r) => r.id)
        .sort(),
    );
    const firstEvent = events.find((e) => (e.payload as { reminderId: string }).reminderId === made[0]!.id);
    expect(firstEvent?.payload).toEqual({
      reminderId: made[0]!.id,
      messageId: message.id,
      dueAt: made[0]!.dueAt.toISOString(),
      message: {
        conversationId,
        seq: message.seq,
        threadRootId: null,
        senderName: ada.name,
        excerpt: `hello @${bob.name} about the plan`,
      },
    });
    const list = await listReminders(t.db, bob);
    expect(list.pending).toEqual([]);
    expect(list.fired).toHaveLength(5);
    expect(list.fired.every((r) => r.firedAt?.getTime() === dueNow.getTime())).toBe(true);
    // A fired reminder can be removed from the list (it does not fire again).
    await cancelReminder(t.db, bob, { reminderId: made[0]!.id });
    expect((await listReminders(t.db, bob)).fired).toHaveLength(4);
    const cancelledRow = await t.db.reminder.findUniqueOrThrow({ where: { id: cancelled.id } });
    expect(cancelledRow.firedAt).toBeNull();
  });

  it("fires without content once the message is unreadable or deleted", async () => {
    const { ada, bob, conversationId, message } = await privateWorld();
    const now = new Date();
    const other = await say(ada, conversationId, "will be deleted");
    const left = await createReminder(
      t.db,
      bob,
      { messageId: message.id, when: { kind: "in", minutes: 20 } },
      now,
    );
    const deleted = await createReminder(
      t.db,
      ada,
      { messageId: other.id, when: { kind: "in", minutes: 20 } },
      now,
    );
    await leaveConversation(t.db, bob, { conversationId });
    await deleteMessage(t.db, ada, { messageId: other.id });
    expect((await listReminders(t.db, bob)).pending[0]).toMatchObject({ id: left.id, message: null });
    const round = await fireDueReminders(t.db, { now: new Date(now.getTime() + 30 * 60_000) });
    const payloads = round.fired.filter((f) => [left.id, deleted.id].includes(f.payload.reminderId));
    expect(payloads).toHaveLength(2);
    for (const f of payloads) expect(f.payload.message).toBeNull();
    const [event] = await userEvents(bob.userId, UserEventKind.ReminderFired);
    expect(event?.payload).toMatchObject({ reminderId: left.id, message: null });
  });
});
