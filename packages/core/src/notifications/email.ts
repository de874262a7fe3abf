/**
 * E-mail notifications: DMs, mentions and keywords still unread `EMAIL_NOTIFY_DELAY_MINUTES`
 * after they were sent, one e-mail per user per pass listing them all with a link to each
 * message, and an unsubscribe link (a token signed with AUTH_SECRET; also as List-Unsubscribe
 * one-click, RFC 8058). Off while SMTP_HOST is unset (`createMailer` answers null).
 *
 * The notifier (notifier.ts) writes a PendingEmail per message and member when it decides; here
 * due rows are claimed (deleted, SKIP LOCKED: several processes never send one twice; a crash
 * after the claim loses that e-mail), re-checked against the database as it is now (still
 * unread, not deleted, still a member, e-mail still on, user active), and sent.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { TEnv } from "@parley/config";
import type { TDb } from "@parley/db";
import nodemailer from "nodemailer";
import { notificationText } from "./should-notify.ts";

/** What sending needs: `sendMail` of a nodemailer transport (or anything shaped like it). */
export type TMailer = {
  sendMail(mail: {
    from: string;
    to: string;
    subject: string;
    text: string;
    html: string;
    headers: Record<string, string>;
  }): Promise<unknown>;
};

/** An SMTP transport from the settings, or null when SMTP_HOST is unset (no e-mail). */
export function createMailer(
  env: Pick<TEnv, "SMTP_HOST" | "SMTP_PORT" | "SMTP_SECURE" | "SMTP_USER" | "SMTP_PASSWORD">,
): TMailer | null {
  if (!env.SMTP_HOST) return null;
  return nodemailer.createTransport({
    host: env.SMTP_HOST,
    port: env.SMTP_PORT,
    secure: env.SMTP_SECURE,
    ...(env.SMTP_USER ? { auth: { user: env.SMTP_USER, pass: env.SMTP_PASSWORD ?? "" } } : {}),
  });
}

/** The From: of notification e-mails (SMTP_FROM, else Parley <parley@PUBLIC_URL's host>). */
export function mailFrom(env: Pick<TEnv, "SMTP_FROM" | "PUBLIC_URL">): string {
  return env.SMTP_FROM ?? `Parley <parley@${new URL(env.PUBLIC_URL).hostname}>`;
}

const UNSUBSCRIBE_PURPOSE = "parley.email-unsubscribe";

function mac(secret: string, userId: string): string {
  return createHmac("sha256", secret).update(`${UNSUBSCRIBE_PURPOSE}:${userId}`).digest("base64url");
}

/** A token that turns e-mail notifications off for `userId` (no sign-in needed, never expires). */
export function unsubscribeToken(secret: string, userId: string): string {
  return `${userId}.${mac(secret, userId)}`;
}

/** The user a token was made for, or null when it was not made with `secret`. */
export function verifyUnsubscribeToken(secret: string, token: string): string | null {
  const [userId, given, ...rest] = token.split(".");
  if (!userId || !given || rest.length > 0 || !/^[0-9a-f-]{36}$/i.test(userId)) return null;
  const expected = Buffer.from(mac(secret, userId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? userId : null;
}

/** Turns e-mail notifications off for the token's user; false for a bad token (nothing changes). */
export async function unsubscribeEmail(db: TDb, secret: string, token: string): Promise<boolean> {
  const userId = verifyUnsubscribeToken(secret, token);
  if (!userId) return false;
  const user = await db.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!user) return false;
  await db.notificationSettings.upsert({
    where: { userId },
    create: { userId, emailEnabled: false },
    update: { emailEnabled: false },
  });
  return true;
}

type DueRow = {
  userId: string;
  email: string;
  userName: string;
  conversationId: string;
  seq: number;
  kind: string;
  channelName: string | null;
  senderName: string;
  body: string;
  createdAt: Date;
};

/** Text for an HTML e-mail body (also invite e-mails). */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function place(row: DueRow): string {
  return row.kind === "public_channel" || row.kind === "private_channel"
    ? `${row.senderName} in #${row.channelName ?? ""}`
    : row.senderName;
}

/** The e-mail for one user's due messages (oldest first). */
export function composeEmail(
  rows: readonly DueRow[],
  names: ReadonlyMap<string, string>,
  options: { publicUrl: string; unsubscribeUrl: string },
): { subject: string; text: string; html: string } {
  const items = rows.map((row) => ({
    who: place(row),
    text: notificationText(row.body, names) || "sent a file",
    url: new URL(`/app/c/${row.conversationId}?m=${row.seq}`, options.publicUrl).toString(),
  }));
  const senders = [...new Set(rows.map((r) => r.senderName))];
  const subject =
    rows.length === 1
      ? `New message from ${senders[0]}`
      : `${rows.length} unread messages from ${senders.slice(0, 3).join(", ")}${senders.length > 3 ? " and others" : ""}`;
  const text = [
    `You have ${rows.length === 1 ? "an unread message" : `${rows.length} unread messages`} in Parley:`,
    "",
    ...items.flatMap((i) => [`${i.who}: ${i.text}`, i.url, ""]),
    `Stop these e-mails: ${options.unsubscribeUrl}`,
  ].join("\n");
  const html = [
    `<p>You have ${rows.length === 1 ? "an unread message" : `${rows.length} unread messages`} in Parley:</p>`,
    "<ul>",
    ...items.map(
      (i) =>
        `<li><strong>${escapeHtml(i.who)}</strong>: ${escapeHtml(i.text)} — <a href="${escapeHtml(i.url)}">open</a></li>`,
    ),
    "</ul>",
    `<p style="color:#666;font-size:12px"><a href="${escapeHtml(options.unsubscribeUrl)}">Stop these e-mails</a></p>`,
  ].join("\n");
  return { subject, text, html };
}

/** What one e-mail pass did. */
export type TEmailPass = { claimed: number; emails: number; messages: number; failed: number };

/** Sends every due e-mail (see the header); `now` decides what is due. */
export async function sendDueEmails(
  db: TDb,
  options: { mailer: TMailer; from: string; publicUrl: string; secret: string; now?: Date; limit?: number },
): Promise<TEmailPass> {
  const now = options.now ?? new Date();
  const rows = await db.$queryRaw<(DueRow & { live: boolean })[]>`
    WITH due AS (
      SELECT "userId", "messageId" FROM "PendingEmail" WHERE "dueAt" <= ${now}
      ORDER BY "dueAt" LIMIT ${options.limit ?? 1000}::int FOR UPDATE SKIP LOCKED
    ), claimed AS (
      DELETE FROM "PendingEmail" p USING due WHERE p."userId" = due."userId" AND p."messageId" = due."messageId"
      RETURNING p."userId", p."messageId"
    )
    SELECT c."userId"::text AS "userId", u.email, u.name AS "userName", m."conversationId"::text AS "conversationId",
      m.seq, v.kind::text AS kind, v.name AS "channelName", s.name AS "senderName", m.body, m."createdAt",
      (m."deletedAt" IS NULL AND mb."readSeq" < m.seq AND u."deactivatedAt" IS NULL
        AND COALESCE(ns."emailEnabled", true)) AS live
    FROM claimed c
    JOIN "User" u ON u.id = c."userId"
    JOIN "Message" m ON m.id = c."messageId"
    JOIN "Conversation" v ON v.id = m."conversationId"
    JOIN "User" s ON s.id = m."senderId"
    LEFT JOIN "Membership" mb ON mb."conversationId" = m."conversationId" AND mb."userId" = c."userId"
    LEFT JOIN "NotificationSettings" ns ON ns."userId" = c."userId"
    ORDER BY c."userId", m."createdAt"`;
  const pass: TEmailPass = { claimed: rows.length, emails: 0, messages: 0, failed: 0 };
  const byUser = new Map<string, DueRow[]>();
  for (const row of rows) {
    // A left conversation has no membership row: the comparison is null, so not live.
    if (row.live) byUser.set(row.userId, [...(byUser.get(row.userId) ?? []), row]);
  }
  if (byUser.size === 0) return pass;
  const mentioned = new Set<string>();
  for (const rs of byUser.values()) {
    for (const r of rs)
      for (const m of r.body.matchAll(/<@([0-9a-fA-F-]{36})>/g)) mentioned.add(m[1]!.toLowerCase());
  }
  const groupIds = new Set<string>();
  for (const rs of byUser.values()) {
    for (const r of rs)
      for (const m of r.body.matchAll(/<!subteam\^([0-9a-fA-F-]{36})>/g)) groupIds.add(m[1]!.toLowerCase());
  }
  const users = mentioned.size
    ? await db.user.findMany({ where: { id: { in: [...mentioned] } }, select: { id: true, name: true } })
    : [];
  const groups = groupIds.size
    ? await db.userGroup.findMany({
        where: { id: { in: [...groupIds] } },
        select: { id: true, handle: true },
      })
    : [];
  const names = new Map([
    ...users.map((u) => [u.id, u.name] as const),
    ...groups.map((g) => [g.id, g.handle] as const),
  ]);
  for (const [userId, userRows] of byUser) {
    const unsubscribeUrl = new URL(
      `/api/notifications/unsubscribe?token=${unsubscribeToken(options.secret, userId)}`,
      options.publicUrl,
    ).toString();
    const mail = composeEmail(userRows, names, { publicUrl: options.publicUrl, unsubscribeUrl });
    try {
      await options.mailer.sendMail({
        from: options.from,
        to: userRows[0]!.email,
        ...mail,
        headers: {
          "List-Unsubscribe": `<${unsubscribeUrl}>`,
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
      });
      pass.emails += 1;
      pass.messages += userRows.length;
    } catch {
      pass.failed += 1;
    }
  }
  return pass;
}
