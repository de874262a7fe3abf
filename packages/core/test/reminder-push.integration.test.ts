/**
 * A fired reminder as a web push (reminders/fire.ts `pushFiredReminders`) through web-push to the
 * local HTTPS push service of push-endpoint.ts (VAPID checked, payload decrypted): sent to an owner
 * who is not online, with its own topic and tag; nothing for an owner online, nor for a reminder
 * that fired without its message.
 */
import { randomUUID } from "node:crypto";
import { parseEnv } from "@parley/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, leaveConversation } from "../src/conversations.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { sendMessage } from "../src/messages/send.ts";
import { createWebPushSender, type TPushSender } from "../src/notifications/push-sender.ts";
import { getVapidDetails, subscribePush } from "../src/notifications/push-subscriptions.ts";
import { fireDueReminders, pushFiredReminders } from "../src/reminders/fire.ts";
import { createReminder } from "../src/reminders/reminders.ts";
import { channelName, newActor, useTestDb } from "./helpers.ts";
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

describe("reminders as web push", () => {
  it("pushes a fired reminder to an owner away from every device, and not to one online", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const away = await newActor(t.db, { name: "Away" });
    const online = await newActor(t.db, { name: "Online" });
    const gone = await newActor(t.db, { name: "Gone" });
    const ch = await createChannel(t.db, ada, {
      name: channelName("remind"),
      isPrivate: true,
      memberIds: [away.userId, online.userId, gone.userId],
    });
    const { message } = await sendMessage(t.db, ada, {
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "Review the *contract*",
    });
    const devices = new Map<string, string>();
    for (const who of [away, online, gone]) {
      const device = `${who.name}-${randomUUID().slice(0, 8)}`;
      devices.set(who.userId, device);
      await subscribePush(t.db, who, endpoint.device(device));
    }
    await engine.setPresence(online.userId, "conn-online", { status: "online", statusText: "" }, 60_000);
    await engine.setPresence(away.userId, "conn-away", { status: "away", statusText: "" }, 60_000);
    const now = new Date();
    const reminders = new Map<string, string>();
    for (const who of [away, online, gone]) {
      const r = await createReminder(
        t.db,
        who,
        { messageId: message.id, when: { kind: "in", minutes: 20 } },
        now,
      );
      reminders.set(who.userId, r.id);
    }
    await leaveConversation(t.db, gone, { conversationId: ch.id });

    const round = await fireDueReminders(t.db, { now: new Date(now.getTime() + 20 * 60_000) });
    expect(round.fired).toHaveLength(3);
    const tally = await pushFiredReminders(t.db, push, engine, round.fired);
    expect(endpoint.refused).toEqual([]);
    expect(tally).toMatchObject({ notices: 1, sent: 1, failed: 0 });

    const reminderId = reminders.get(away.userId) ?? "";
    const got = endpoint.received.filter((r) => r.device === devices.get(away.userId));
    expect(got).toHaveLength(1);
    expect(got[0]?.topic).toBe(reminderId.replaceAll("-", ""));
    expect(got[0]?.payload).toEqual({
      type: "reminder",
      tag: `parley:reminder:${reminderId}`,
      reminderId,
      title: "Reminder: Ada",
      body: "Review the contract",
      url: `/app/c/${ch.id}?m=${message.seq}`,
    });
    for (const who of [online, gone]) {
      expect(endpoint.received.filter((r) => r.device === devices.get(who.userId))).toEqual([]);
    }
  });
});
