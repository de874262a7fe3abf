/**
 * Notification preferences against real Postgres: defaults, validation (bad input changes
 * nothing), do-not-disturb for N hours, per-conversation levels folded into mute, broadcasts
 * ignored per channel, membership required, "mark all as read", and the user events that tell
 * the user's other devices.
 */
import { randomUUID } from "node:crypto";
import { UserEventKind } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import { createChannel, getConversation, openDm, setMuted } from "../src/conversations.ts";
import { sendMessage } from "../src/messages/send.ts";
import { markAllRead } from "../src/notifications/mark-all-read.ts";
import {
  getNotificationSettings,
  setConversationNotifications,
  setDoNotDisturb,
  updateNotificationSettings,
} from "../src/notifications/prefs.ts";
import { channelName, expectParley, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();

async function lastUserEvent(userId: string) {
  return t.db.userEvent.findFirst({ where: { userId }, orderBy: { seq: "desc" } });
}

describe("global notification settings", () => {
  it("start at the defaults and change only what is given", async () => {
    const ada = await newActor(t.db);
    expect(await getNotificationSettings(t.db, ada)).toEqual({
      level: "dms_and_mentions",
      keywords: [],
      dndUntil: null,
      dndStartMinute: null,
      dndEndMinute: null,
      timeZone: "UTC",
      emailEnabled: true,
    });
    const changed = await updateNotificationSettings(t.db, ada, {
      level: "mentions",
      keywords: [" Deploy ", "deploy", "Outage"],
      dndSchedule: { startMinute: 22 * 60, endMinute: 7 * 60 },
      timeZone: "Europe/Berlin",
    });
    expect(changed).toMatchObject({
      level: "mentions",
      keywords: ["deploy", "outage"],
      dndStartMinute: 1320,
      dndEndMinute: 420,
      timeZone: "Europe/Berlin",
    });
    expect((await lastUserEvent(ada.userId))?.kind).toBe(UserEventKind.PreferencesUpdated);
    await updateNotificationSettings(t.db, ada, { emailEnabled: false });
    expect(await getNotificationSettings(t.db, ada)).toMatchObject({
      level: "mentions",
      emailEnabled: false,
    });
  });

  it("refuses bad input with BAD_REQUEST and changes nothing", async () => {
    const ada = await newActor(t.db);
    await updateNotificationSettings(t.db, ada, { level: "nothing" });
    const before = await getNotificationSettings(t.db, ada);
    const bad: unknown[] = [
      { level: "loud" },
      { timeZone: "Mars/Olympus" },
      { keywords: [""] },
      { keywords: Array.from({ length: 26 }, (_, i) => `k${i}`) },
      { dndSchedule: { startMinute: 60, endMinute: null } },
      { dndSchedule: { startMinute: 1440, endMinute: 10 } },
      { level: "all", userId: randomUUID() },
    ];
    for (const input of bad) await expectParley(updateNotificationSettings(t.db, ada, input), "BAD_REQUEST");
    await expectParley(setDoNotDisturb(t.db, ada, { hours: 0 }), "BAD_REQUEST");
    await expectParley(setDoNotDisturb(t.db, ada, { hours: 24 * 7 + 1 }), "BAD_REQUEST");
    expect(await getNotificationSettings(t.db, ada)).toEqual(before);
  });

  it("do not disturb for N hours sets its end, null ends it", async () => {
    const ada = await newActor(t.db);
    const now = new Date("2026-12-05T10:00:00Z");
    const on = await setDoNotDisturb(t.db, ada, { hours: 1.5 }, now);
    expect(on.dndUntil?.toISOString()).toBe("2026-12-05T11:30:00.000Z");
    expect((await setDoNotDisturb(t.db, ada, { hours: null })).dndUntil).toBeNull();
  });
});

describe("per-conversation notification settings", () => {
  it("levels: nothing is mute, another level unmutes; the conversation DTO and other devices follow", async () => {
    const ada = await newActor(t.db);
    const ch = await createChannel(t.db, ada, { name: channelName("notif") });
    expect(await setConversationNotifications(t.db, ada, { conversationId: ch.id, level: "all" })).toEqual({
      conversationId: ch.id,
      muted: false,
      notifyLevel: "all",
      ignoreBroadcasts: false,
    });
    await setConversationNotifications(t.db, ada, { conversationId: ch.id, level: "nothing" });
    let dto = await getConversation(t.db, ada, { conversationId: ch.id });
    expect(dto).toMatchObject({ muted: true, notifyLevel: "all" });
    const event = await lastUserEvent(ada.userId);
    expect(event?.kind).toBe(UserEventKind.MembershipUpdated);
    expect(event?.payload).toMatchObject({ conversationId: ch.id, muted: true });
    // The old mute switch is the same setting.
    await setMuted(t.db, ada, { conversationId: ch.id, muted: false });
    dto = await getConversation(t.db, ada, { conversationId: ch.id });
    expect(dto).toMatchObject({ muted: false, notifyLevel: "all" });
    await setConversationNotifications(t.db, ada, {
      conversationId: ch.id,
      level: "mentions",
      ignoreBroadcasts: true,
    });
    dto = await getConversation(t.db, ada, { conversationId: ch.id });
    expect(dto).toMatchObject({ muted: false, notifyLevel: "mentions", ignoreBroadcasts: true });
  });

  it("a change that changes nothing appends no event", async () => {
    const ada = await newActor(t.db);
    const ch = await createChannel(t.db, ada, { name: channelName("same") });
    await setConversationNotifications(t.db, ada, { conversationId: ch.id, level: "mentions" });
    const before = await lastUserEvent(ada.userId);
    await setConversationNotifications(t.db, ada, { conversationId: ch.id, level: "mentions" });
    expect((await lastUserEvent(ada.userId))?.seq).toBe(before?.seq);
  });

  it("needs membership; others' private channels and DMs answer like unknown ids; DMs have no broadcasts", async () => {
    const ada = await newActor(t.db);
    const bob = await newActor(t.db);
    const eve = await newActor(t.db);
    const open = await createChannel(t.db, ada, { name: channelName("open") });
    const secret = await createChannel(t.db, ada, { name: channelName("secret"), isPrivate: true });
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await expectParley(
      setConversationNotifications(t.db, eve, { conversationId: open.id, level: "all" }),
      "FORBIDDEN",
      /Join the channel first/,
    );
    for (const id of [secret.id, dm.id, randomUUID()]) {
      await expectParley(
        setConversationNotifications(t.db, eve, { conversationId: id, level: "all" }),
        "NOT_FOUND",
        /Conversation not found/,
      );
    }
    await expectParley(
      setConversationNotifications(t.db, ada, { conversationId: dm.id, ignoreBroadcasts: true }),
      "BAD_REQUEST",
    );
    await expectParley(
      setConversationNotifications(t.db, ada, { conversationId: open.id, level: "loud" }),
      "BAD_REQUEST",
    );
    expect(await getConversation(t.db, ada, { conversationId: dm.id })).toMatchObject({
      muted: false,
      notifyLevel: "default",
    });
  });
});

describe("mark all as read", () => {
  it("moves every read cursor to the end, tells other devices per conversation, and only mine", async () => {
    const ada = await newActor(t.db);
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, ada, { name: channelName("all"), memberIds: [bob.userId] });
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    for (const conversationId of [ch.id, dm.id, ch.id]) {
      await sendMessage(t.db, ada, { conversationId, clientMsgId: randomUUID(), body: "hi" });
    }
    expect((await getConversation(t.db, bob, { conversationId: ch.id })).unreadCount).toBe(2);
    const adaKey = { conversationId_userId: { conversationId: dm.id, userId: ada.userId } };
    const adaBefore = await t.db.membership.findUniqueOrThrow({ where: adaKey });
    expect(await markAllRead(t.db, bob)).toEqual({ conversations: 2 });
    for (const conversationId of [ch.id, dm.id]) {
      const c = await getConversation(t.db, bob, { conversationId });
      expect(c.unreadCount).toBe(0);
      expect(c.readSeq).toBe(c.lastSeq);
    }
    const events = await t.db.userEvent.findMany({
      where: { userId: bob.userId, kind: UserEventKind.ReadUpdated },
    });
    expect(events.map((e) => (e.payload as { conversationId: string }).conversationId).sort()).toEqual(
      [ch.id, dm.id].sort(),
    );
    // Nothing left: a second call moves nothing; ada's own cursors were not touched by bob's call.
    expect(await markAllRead(t.db, bob)).toEqual({ conversations: 0 });
    expect((await t.db.membership.findUniqueOrThrow({ where: adaKey })).readSeq).toBe(adaBefore.readSeq);
  });
});
