/**
 * Web push end to end on real Postgres: messages sent through core → the notifier (following the
 * Event log) → web-push → a local HTTPS push service that checks VAPID and decrypts each payload
 * per RFC 8291 (test/push-endpoint.ts). Covers who gets a push (away or offline, never online),
 * the preferences (mute, mentions only, do-not-disturb, broadcasts ignored), one notification
 * per conversation (Topic + tag, count), the clear once read on any device, gone subscriptions,
 * and subscribe/unsubscribe rules.
 */
import { randomUUID } from "node:crypto";
import { parseEnv } from "@parley/config";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel, openDm } from "../src/conversations.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { markRead } from "../src/messages/read.ts";
import { sendMessage } from "../src/messages/send.ts";
import { notifyPass, notifyRound } from "../src/notifications/notifier.ts";
import {
  setConversationNotifications,
  setDoNotDisturb,
  updateNotificationSettings,
} from "../src/notifications/prefs.ts";
import { createWebPushSender, type TPushSender } from "../src/notifications/push-sender.ts";
import { getVapidDetails, subscribePush, unsubscribePush } from "../src/notifications/push-subscriptions.ts";
import { channelName, expectParley, newActor, stored, useTestDb } from "./helpers.ts";
import { type PushEndpoint, startPushEndpoint } from "./push-endpoint.ts";

const t = useTestDb();
let endpoint: PushEndpoint;
let engine: MemoryEngine;
let push: TPushSender;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "http://localhost:3000",
});

beforeAll(async () => {
  endpoint = await startPushEndpoint();
  engine = new MemoryEngine();
  push = createWebPushSender({ vapid: await getVapidDetails(t.db, env), agent: endpoint.agent });
});
afterAll(async () => {
  await endpoint?.close();
  await engine?.close();
});
beforeEach(() => {
  endpoint.received.length = 0;
});

const pass = () => notifyPass(t.db, { engine, push, emailDelayMinutes: null });

async function say(actor: TActor, conversationId: string, body: string) {
  return stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body }));
}

/** A user with one subscribed device named after them. */
async function withDevice(name: string) {
  const actor = await newActor(t.db, { name });
  const device = `${name}-${randomUUID().slice(0, 8)}`;
  await subscribePush(t.db, actor, endpoint.device(device));
  return { actor, device };
}

function pushesTo(device: string) {
  return endpoint.received.filter((r) => r.device === device);
}

function setPresence(actor: TActor, status: "online" | "away") {
  return engine.setPresence(actor.userId, `conn-${actor.userId}`, { status, statusText: "" }, 60_000);
}

describe("who gets a push", () => {
  it("an offline member gets the DM, encrypted, VAPID-signed, collapsible by conversation", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    const m = await say(ada, dm.id, `hi <@${bob.userId}>, lunch?`);
    await pass();
    expect(endpoint.refused).toEqual([]);
    const [got, ...rest] = pushesTo(device);
    expect(rest).toEqual([]);
    expect(got?.topic).toBe(dm.id.replaceAll("-", ""));
    expect(got?.urgency).toBe("high");
    expect(got?.payload).toEqual({
      type: "message",
      tag: `parley:${dm.id}`,
      conversationId: dm.id,
      seq: m.seq,
      title: "Ada",
      body: "hi @Bob, lunch?",
      count: 1,
      url: `/app/c/${dm.id}?m=${m.seq}`,
    });
    // Nothing new: the next pass sends nothing.
    await pass();
    expect(pushesTo(device)).toHaveLength(1);
  });

  it("an online member gets nothing; the same member away (every socket idle) gets it", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await setPresence(bob, "online");
    await say(ada, dm.id, "are you there?");
    await pass();
    await pass();
    expect(pushesTo(device)).toEqual([]);
    // Leaving it unread (idle on every device, or the tab closed) sends what waited…
    await setPresence(bob, "away");
    await pass();
    expect(pushesTo(device).map((p) => p.payload.body)).toEqual(["are you there?"]);
    // …and while away, the next one is pushed at once, collapsed into the same notification.
    await say(ada, dm.id, "hello?");
    await pass();
    expect(pushesTo(device).map((p) => [p.payload.body, p.payload.count])).toEqual([
      ["are you there?", 1],
      ["hello? (+1 more)", 2],
    ]);
  });

  it("a message read before its member leaves is never pushed; one left unread is, once", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await setPresence(bob, "online");
    const seen = await say(ada, dm.id, "seen it");
    await pass();
    await markRead(t.db, bob, { conversationId: dm.id, seq: seen.seq });
    await pass();
    await engine.clearPresence(bob.userId, `conn-${bob.userId}`);
    await pass();
    expect(pushesTo(device)).toEqual([]);

    // Online when it arrives, gone (no socket left) before reading it: the push still comes.
    await setPresence(bob, "online");
    await say(ada, dm.id, "while you were closing the tab");
    await pass();
    expect(pushesTo(device)).toEqual([]);
    await engine.clearPresence(bob.userId, `conn-${bob.userId}`);
    await pass();
    await pass();
    expect(pushesTo(device).map((p) => p.payload.body)).toEqual(["while you were closing the tab"]);
  });

  it("a held notice older than the notifier's horizon is not sent when its member leaves", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await setPresence(bob, "online");
    await say(ada, dm.id, "an hour ago");
    await pass();
    await setPresence(bob, "away");
    const later = new Date(Date.now() + 2 * 3_600_000);
    await notifyPass(t.db, { engine, push, emailDelayMinutes: null, now: () => later });
    expect(pushesTo(device)).toEqual([]);
  });

  it("a burst is one notification per conversation with a count, and the sender gets none", async () => {
    const { actor: ada, device: adaDevice } = await withDevice("Ada");
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    for (const body of ["one", "two", "three"]) await say(ada, dm.id, body);
    await pass();
    const got = pushesTo(device);
    expect(got).toHaveLength(1);
    expect(got[0]?.payload).toMatchObject({ count: 3, body: "three (+2 more)" });
    expect(pushesTo(adaDevice)).toEqual([]);
    // One more later updates the same notification (same tag and topic).
    await say(ada, dm.id, "four");
    await pass();
    expect(pushesTo(device).map((p) => [p.payload.tag, p.topic, p.payload.count])).toEqual([
      [`parley:${dm.id}`, dm.id.replaceAll("-", ""), 3],
      [`parley:${dm.id}`, dm.id.replaceAll("-", ""), 4],
    ]);
  });

  it("reading on any device clears the notification on every device", async () => {
    const ada = await newActor(t.db);
    const bob = await newActor(t.db, { name: "Bob" });
    const [phone, laptop] = [`phone-${randomUUID()}`, `laptop-${randomUUID()}`];
    await subscribePush(t.db, bob, endpoint.device(phone));
    await subscribePush(t.db, bob, endpoint.device(laptop));
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    const m = await say(ada, dm.id, "ping");
    await pass();
    expect(pushesTo(phone)).toHaveLength(1);
    expect(pushesTo(laptop)).toHaveLength(1);
    await markRead(t.db, bob, { conversationId: dm.id, seq: m.seq });
    await pass();
    for (const device of [phone, laptop]) {
      expect(pushesTo(device).map((p) => p.payload)).toEqual([
        expect.objectContaining({ type: "message" }),
        { type: "clear", tag: `parley:${dm.id}`, conversationId: dm.id },
      ]);
      expect(pushesTo(device)[1]?.topic).toBe(dm.id.replaceAll("-", ""));
    }
    // Read before the notifier ran: never pushed, so nothing to clear either.
    const n = await say(ada, dm.id, "again");
    await markRead(t.db, bob, { conversationId: dm.id, seq: n.seq });
    await pass();
    expect(pushesTo(phone)).toHaveLength(2);
  });
});

describe("preferences decide", () => {
  it("a muted conversation pushes nothing, unmuting brings it back", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await setConversationNotifications(t.db, bob, { conversationId: dm.id, level: "nothing" });
    await say(ada, dm.id, `muted <@${bob.userId}>`);
    await pass();
    expect(pushesTo(device)).toEqual([]);
    await setConversationNotifications(t.db, bob, { conversationId: dm.id, level: "default" });
    await say(ada, dm.id, "unmuted");
    await pass();
    expect(pushesTo(device).map((p) => p.payload.body)).toEqual(["unmuted"]);
  });

  it("mentions only: a plain DM is silent, a DM mentioning me pushes", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    await updateNotificationSettings(t.db, bob, { level: "mentions" });
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await say(ada, dm.id, "plain");
    await pass();
    expect(pushesTo(device)).toEqual([]);
    await say(ada, dm.id, `<@${bob.userId}> this one`);
    await pass();
    expect(pushesTo(device).map((p) => p.payload.body)).toEqual(["@Bob this one"]);
  });

  it("do not disturb holds pushes back; ending it lets the next one through", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await setDoNotDisturb(t.db, bob, { hours: 2 });
    await say(ada, dm.id, "during dnd");
    await pass();
    expect(pushesTo(device)).toEqual([]);
    await setDoNotDisturb(t.db, bob, { hours: null });
    await say(ada, dm.id, "after dnd");
    await pass();
    expect(pushesTo(device).map((p) => p.payload.body)).toEqual(["after dnd"]);
  });

  it("a keyword counts as a mention in a channel; quiet hours in the user's own zone hold pushes back", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const { actor: bob, device } = await withDevice("Bob");
    const name = channelName("kw");
    const ch = await createChannel(t.db, ada, { name, memberIds: [bob.userId] });
    await updateNotificationSettings(t.db, bob, { keywords: ["Deploy"], timeZone: "Asia/Kolkata" });
    await say(ada, ch.id, "nothing for Bob here");
    await pass();
    expect(pushesTo(device)).toEqual([]);
    await say(ada, ch.id, "the DEPLOY is done");
    await pass();
    expect(pushesTo(device).map((p) => p.payload.body)).toEqual(["the DEPLOY is done"]);

    // The minute of the day it is now in Kolkata (UTC+5:30, so a zone mix-up shows).
    const [h, m] = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Kolkata",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .format(new Date())
      .split(":")
      .map(Number);
    const minute = h! * 60 + m!;
    const at = (offset: number) => (minute + offset + 1440) % 1440;
    // A daily window around now (it may wrap midnight): quiet.
    await updateNotificationSettings(t.db, bob, { dndSchedule: { startMinute: at(-60), endMinute: at(60) } });
    await say(ada, ch.id, "deploy number two");
    await pass();
    expect(pushesTo(device)).toHaveLength(1);
    // A window later today: not quiet now.
    await updateNotificationSettings(t.db, bob, {
      dndSchedule: { startMinute: at(120), endMinute: at(180) },
    });
    await say(ada, ch.id, "deploy number three");
    await pass();
    // (Collapsed with the first, still unread; the quiet one never counted.)
    expect(pushesTo(device).map((p) => p.payload.body)).toEqual([
      "the DEPLOY is done",
      "deploy number three (+1 more)",
    ]);
  });

  it("in a channel: a mention pushes, a plain message does not, a broadcast unless ignored there", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const { actor: bob, device: bobDevice } = await withDevice("Bob");
    const { actor: cy, device: cyDevice } = await withDevice("Cy");
    const name = channelName("push");
    const ch = await createChannel(t.db, ada, { name, memberIds: [bob.userId, cy.userId] });
    await setConversationNotifications(t.db, cy, { conversationId: ch.id, ignoreBroadcasts: true });
    await say(ada, ch.id, "nothing to see");
    await pass();
    expect(endpoint.received.filter((r) => [bobDevice, cyDevice].includes(r.device))).toEqual([]);
    await say(ada, ch.id, "<!here> standup");
    await pass();
    expect(pushesTo(bobDevice).map((p) => p.payload.title)).toEqual([`Ada in #${name}`]);
    expect(pushesTo(cyDevice)).toEqual([]);
    await say(ada, ch.id, `<@${cy.userId}> you too`);
    await pass();
    expect(pushesTo(cyDevice).map((p) => p.payload.body)).toEqual(["@Cy you too"]);
  });
});

describe("the notifier follows the log", () => {
  it("a round that fails moves no cursor and decides nothing: the next one delivers", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await pass();
    const cursorBefore = await t.db.notifierCursor.findUnique({ where: { conversationId: dm.id } });
    await say(ada, dm.id, "survives a crash");
    const broken = {
      getPresence: async () => {
        throw new Error("presence store down");
      },
    };
    await expect(notifyRound(t.db, { engine: broken, push, emailDelayMinutes: null })).rejects.toThrow(
      "presence store down",
    );
    expect(await t.db.notifierCursor.findUnique({ where: { conversationId: dm.id } })).toEqual(cursorBefore);
    expect(await t.db.pushNotice.count({ where: { userId: bob.userId } })).toBe(0);
    await pass();
    expect(pushesTo(device).map((p) => p.payload.body)).toEqual(["survives a crash"]);
  });

  it("messages older than the notifier's horizon (it was down) are not pushed, and the cursor moves on", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await say(ada, dm.id, "old news");
    const later = new Date(Date.now() + 2 * 3_600_000);
    await notifyPass(t.db, { engine, push, emailDelayMinutes: null, now: () => later });
    expect(pushesTo(device)).toEqual([]);
    const { lastSeq } = await t.db.conversation.findUniqueOrThrow({ where: { id: dm.id } });
    expect((await t.db.notifierCursor.findUniqueOrThrow({ where: { conversationId: dm.id } })).seq).toBe(
      lastSeq,
    );
  });
});

describe("subscriptions", () => {
  it("a gone subscription (410) is forgotten", async () => {
    const ada = await newActor(t.db);
    const { actor: bob, device } = await withDevice("Bob");
    endpoint.expire(device);
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await say(ada, dm.id, "anyone?");
    await pass();
    expect(await t.db.pushSubscription.count({ where: { userId: bob.userId } })).toBe(0);
  });

  it("only https endpoints with keys are taken; nobody can remove another user's device", async () => {
    const bob = await newActor(t.db);
    const eve = await newActor(t.db);
    const good = endpoint.device(`bob-${randomUUID()}`);
    await expectParley(
      subscribePush(t.db, bob, { ...good, endpoint: "http://127.0.0.1/push/x" }),
      "BAD_REQUEST",
    );
    await expectParley(subscribePush(t.db, bob, { endpoint: good.endpoint }), "BAD_REQUEST");
    await expectParley(
      subscribePush(t.db, bob, { ...good, keys: { p256dh: "not base64!", auth: "x" } }),
      "BAD_REQUEST",
    );
    expect(await t.db.pushSubscription.count({ where: { userId: bob.userId } })).toBe(0);
    await subscribePush(t.db, bob, good);
    expect(await unsubscribePush(t.db, eve, { endpoint: good.endpoint })).toEqual({ removed: false });
    expect(await t.db.pushSubscription.count({ where: { userId: bob.userId } })).toBe(1);
    expect(await unsubscribePush(t.db, bob, { endpoint: good.endpoint })).toEqual({ removed: true });
    expect(await t.db.pushSubscription.count({ where: { userId: bob.userId } })).toBe(0);
  });

  it("VAPID keys are generated once and kept: every process signs with the same pair", async () => {
    const first = await getVapidDetails(t.db, env);
    expect(await t.db.vapidKeys.count()).toBe(1);
    const row = await t.db.vapidKeys.findUniqueOrThrow({ where: { id: 1 } });
    expect(first).toEqual({
      subject: "mailto:parley@localhost",
      publicKey: row.publicKey,
      privateKey: row.privateKey,
    });
    // Configured keys win over the stored pair; an https PUBLIC_URL is the subject.
    const configured = {
      ...env,
      PUBLIC_URL: "https://chat.example.com",
      VAPID_PUBLIC_KEY: "pub",
      VAPID_PRIVATE_KEY: "priv",
    };
    expect(await getVapidDetails(t.db, configured)).toEqual({
      subject: "https://chat.example.com",
      publicKey: "pub",
      privateKey: "priv",
    });
    expect(await t.db.vapidKeys.count()).toBe(1);
  });
});
