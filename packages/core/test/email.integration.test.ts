/**
 * E-mail notifications end to end on real Postgres: messages sent through core → the notifier →
 * nodemailer over SMTP → a local SMTP server (`smtp-server`) started here, whose received mail is
 * parsed (`mailparser`) and checked. The delay is given as a clock: the test asks for what is due
 * before and after it. Covers: sent only after the delay and only if still unread, batched per
 * user, links to each message, the unsubscribe link (signed; a forged one changes nothing),
 * preferences (mute, mentions only, DND) and who is never e-mailed (broadcasts, plain channel
 * messages, the sender). No e-mail is decided while SMTP is not configured.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel, openDm } from "../src/conversations.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { markRead } from "../src/messages/read.ts";
import { sendMessage } from "../src/messages/send.ts";
import {
  createMailer,
  sendDueEmails,
  type TMailer,
  unsubscribeEmail,
  unsubscribeToken,
  verifyUnsubscribeToken,
} from "../src/notifications/email.ts";
import { notifyPass, startNotifier } from "../src/notifications/notifier.ts";
import {
  getNotificationSettings,
  setConversationNotifications,
  setDoNotDisturb,
  updateNotificationSettings,
} from "../src/notifications/prefs.ts";
import { channelName, newActor, stored, useTestDb } from "./helpers.ts";
import { startSmtpSink, type TArrivedMail } from "./smtp-sink.ts";

const t = useTestDb();
const SECRET = "test-secret-test-secret-test-secret!";
const PUBLIC_URL = "https://chat.example.test";
const DELAY = 10;
let arrived: TArrivedMail[] = [];
let mailer: TMailer;
let closeSmtp: (() => Promise<void>) | undefined;
const engine = new MemoryEngine();

beforeAll(async () => {
  const sink = await startSmtpSink();
  arrived = sink.arrived;
  mailer = sink.mailer;
  closeSmtp = sink.close;
});
afterAll(async () => {
  await closeSmtp?.();
  await engine.close();
});
beforeEach(() => {
  arrived.length = 0;
});

/** Decides (the notifier) and then sends what is due `minutesLater` from now. */
async function passAt(minutesLater: number) {
  await notifyPass(t.db, { engine, push: null, emailDelayMinutes: DELAY });
  return sendDueEmails(t.db, {
    mailer,
    from: "Parley <parley@chat.example.test>",
    publicUrl: PUBLIC_URL,
    secret: SECRET,
    now: new Date(Date.now() + minutesLater * 60_000),
  });
}

async function say(actor: TActor, conversationId: string, body: string) {
  return stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body }));
}

const to = (actor: { email: string }) => arrived.filter((m) => m.to === actor.email);

describe("e-mail for unread DMs and mentions", () => {
  it("waits for the delay, then sends one e-mail per user with every unread message and links", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const bob = await newActor(t.db, { name: "Bob" });
    const name = channelName("mail");
    const ch = await createChannel(t.db, ada, { name, memberIds: [bob.userId] });
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    const first = await say(ada, dm.id, "are you <b>around</b>?");
    const second = await say(ada, ch.id, `<@${bob.userId}> please review`);
    await say(ada, ch.id, "a plain channel message");
    await say(ada, ch.id, "<!channel> all hands");

    expect((await passAt(DELAY - 1)).emails).toBe(0);
    expect(arrived).toEqual([]);
    await passAt(DELAY + 1);
    const mails = to(bob);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.subject).toBe("2 unread messages from Ada");
    // Markup is dropped from the one-line text (as in pushes); what is left is escaped in HTML.
    expect(mail.text).toContain("Ada: are you <baround</b?");
    expect(mail.text).toContain(`Ada in #${name}: @Bob please review`);
    expect(mail.text).toContain(`${PUBLIC_URL}/app/c/${dm.id}?m=${first.seq}`);
    expect(mail.text).toContain(`${PUBLIC_URL}/app/c/${ch.id}?m=${second.seq}`);
    expect(mail.text).not.toContain("plain channel message");
    expect(mail.text).not.toContain("all hands");
    expect(mail.html).toContain("are you &lt;baround&lt;/b?");
    expect(mail.html).not.toContain("<baround");
    // The sender is never e-mailed about their own messages; nothing is sent twice.
    expect(to(ada)).toEqual([]);
    await passAt(DELAY + 2);
    expect(to(bob)).toHaveLength(1);
  });

  it("a message read before the delay is not e-mailed", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const bob = await newActor(t.db, { name: "Bob" });
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    const m = await say(ada, dm.id, "quick question");
    await passAt(1);
    await markRead(t.db, bob, { conversationId: dm.id, seq: m.seq });
    await passAt(DELAY + 1);
    expect(to(bob)).toEqual([]);
    // Control: the same without reading arrives.
    await say(ada, dm.id, "another question");
    await passAt(DELAY + 1);
    expect(to(bob).map((x) => x.subject)).toEqual(["New message from Ada"]);
  });

  it("mute, mentions only and do-not-disturb each keep a DM out of e-mail", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const [muted, mentionsOnly, dnd] = await Promise.all(
      ["Mo", "Mia", "Dan"].map((n) => newActor(t.db, { name: n })),
    );
    const dms = await Promise.all(
      [muted!, mentionsOnly!, dnd!].map((u) => openDm(t.db, ada, { userIds: [u.userId] })),
    );
    await setConversationNotifications(t.db, muted!, { conversationId: dms[0]!.id, level: "nothing" });
    await updateNotificationSettings(t.db, mentionsOnly!, { level: "mentions" });
    await setDoNotDisturb(t.db, dnd!, { hours: 1 });
    for (const dm of dms) await say(ada, dm.id, "hello");
    await passAt(DELAY + 1);
    expect(arrived.filter((m) => [muted!, mentionsOnly!, dnd!].some((u) => u.email === m.to))).toEqual([]);
    // Mentions only still e-mails a mention.
    await say(ada, dms[1]!.id, `<@${mentionsOnly!.userId}> this needs you`);
    await passAt(DELAY + 1);
    expect(to(mentionsOnly!).map((m) => m.text)).toEqual([expect.stringContaining("@Mia this needs you")]);
  });

  it("the unsubscribe link turns e-mail off; a forged token changes nothing", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const bob = await newActor(t.db, { name: "Bob" });
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await say(ada, dm.id, "first");
    await passAt(DELAY + 1);
    const mail = to(bob)[0]!;
    const link = /Stop these e-mails: (\S+)/.exec(mail.text)?.[1] ?? "";
    const token = new URL(link).searchParams.get("token") ?? "";
    expect(link.startsWith(`${PUBLIC_URL}/api/notifications/unsubscribe?token=`)).toBe(true);
    expect(mail.headerLines).toContain(`List-Unsubscribe: <${link}>`);
    expect(mail.headerLines).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(verifyUnsubscribeToken(SECRET, token)).toBe(bob.userId);

    const forged = unsubscribeToken("another-secret-another-secret-12345", bob.userId);
    expect(await unsubscribeEmail(t.db, SECRET, forged)).toBe(false);
    expect(await unsubscribeEmail(t.db, SECRET, `${ada.userId}.${token.split(".")[1]}`)).toBe(false);
    expect(await unsubscribeEmail(t.db, SECRET, "garbage")).toBe(false);
    expect((await getNotificationSettings(t.db, bob)).emailEnabled).toBe(true);
    expect((await getNotificationSettings(t.db, ada)).emailEnabled).toBe(true);

    expect(await unsubscribeEmail(t.db, SECRET, token)).toBe(true);
    expect((await getNotificationSettings(t.db, bob)).emailEnabled).toBe(false);
    arrived.length = 0;
    await say(ada, dm.id, "second");
    await passAt(DELAY + 1);
    expect(to(bob)).toEqual([]);
  });

  it("the background notifier (as server.ts runs it) with a short delay sends once the delay has passed", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const bob = await newActor(t.db, { name: "Bob" });
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    const delayMinutes = 0.03; // 1.8 s
    const stop = startNotifier(
      t.db,
      {
        engine,
        push: null,
        emailDelayMinutes: delayMinutes,
        sendDueEmails: () =>
          sendDueEmails(t.db, {
            mailer,
            from: "Parley <p@chat.example.test>",
            publicUrl: PUBLIC_URL,
            secret: SECRET,
          }),
      },
      { intervalMs: 100 },
    );
    try {
      const sentAt = Date.now();
      await say(ada, dm.id, "real clock");
      await expect.poll(() => to(bob).length, { timeout: 15_000, interval: 100 }).toBe(1);
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(delayMinutes * 60_000 - 50);
      expect(to(bob)[0]?.text).toContain("Ada: real clock");
    } finally {
      await stop();
    }
  });

  it("without SMTP nothing is decided for e-mail", async () => {
    expect(createMailer({ SMTP_PORT: 587, SMTP_SECURE: false })).toBeNull();
    const ada = await newActor(t.db);
    const bob = await newActor(t.db);
    const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
    await say(ada, dm.id, "no smtp");
    await notifyPass(t.db, { engine, push: null, emailDelayMinutes: null });
    expect(await t.db.pendingEmail.count({ where: { userId: bob.userId } })).toBe(0);
  });
});
