/**
 * Password reset links, made by an admin for someone (Settings → People): shown to copy, and
 * e-mailed too when SMTP is configured. The secret is shown once; only its SHA-256 is stored
 * (`PasswordReset`). A link works once and for PASSWORD_RESET_TTL_MS; making a new one for the
 * same person voids their earlier unused ones. Using it sets the password, ends every browser
 * session of that person (their open sockets on sessions close; access tokens stay) and is
 * recorded. Ranks as for deactivating: admins reset members' and guests' passwords, the owner
 * anyone's (so an admin cannot take over the owner's account this way).
 */
import type { TDb } from "@parley/db";
import { z } from "zod";
import { requireAdmin, type TActor } from "./actor.ts";
import { recordAudit, type TAuditOrigin } from "./audit/record.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { randomSecret, sha256 } from "./ids.ts";
import type { TMailer } from "./notifications/email.ts";
import { hashPassword } from "./passwords.ts";
import { notifyCredentialRevoked } from "./revocations.ts";
import { ZPassword, ZUserRef } from "./schemas.ts";
import { requireOutranks } from "./users.ts";

/** How long a reset link works. */
export const PASSWORD_RESET_TTL_MS = 60 * 60 * 1000;

/** The path of the page that takes a reset link's token (`?token=`). */
export const PASSWORD_RESET_PATH = "/reset-password";

/** A link made for someone: shown once to the admin who made it. */
export type TPasswordResetLink = { url: string; expiresAt: Date; emailed: boolean };

/** How a link is delivered: the public origin it points to, and e-mail when SMTP is configured. */
export type TPasswordResetDelivery = {
  publicUrl: string;
  mailer?: TMailer | null;
  from?: string;
  origin?: TAuditOrigin;
};

/**
 * Makes a single-use reset link for `userId` (admins; ranks as in the header), voiding their
 * earlier unused links; e-mails it when a mailer is given (a failed e-mail still returns the link,
 * with `emailed: false`).
 */
export async function createPasswordResetLink(
  db: TDb,
  actor: TActor,
  input: unknown,
  delivery: TPasswordResetDelivery,
): Promise<TPasswordResetLink> {
  requireAdmin(actor);
  const { userId } = parseInput(ZUserRef, input);
  const secret = randomSecret();
  const expiresAt = new Date(Date.now() + PASSWORD_RESET_TTL_MS);
  const target = await db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({
      where: { id: userId },
      select: { id: true, email: true, name: true, role: true, deactivatedAt: true, isBot: true },
    });
    if (!user) throw new ParleyError("NOT_FOUND", "User not found");
    requireOutranks(actor, user.role, "reset the password of");
    if (user.deactivatedAt) throw new ParleyError("BAD_REQUEST", "Reactivate them first");
    if (user.isBot) throw new ParleyError("BAD_REQUEST", "Bots have no password; make a bot token instead");
    await tx.passwordReset.deleteMany({ where: { userId, usedAt: null } });
    const row = await tx.passwordReset.create({
      data: { tokenHash: sha256(secret), userId, createdById: actor.userId, expiresAt },
      select: { id: true },
    });
    await recordAudit(tx, {
      action: "user.password_reset_created",
      actorId: actor.userId,
      target: { type: "user", id: userId, label: user.email },
      origin: delivery.origin,
      details: { resetId: row.id, expiresAt: expiresAt.toISOString(), emailed: Boolean(delivery.mailer) },
    });
    return user;
  });
  const url = new URL(PASSWORD_RESET_PATH, delivery.publicUrl);
  url.searchParams.set("token", secret);
  let emailed = false;
  if (delivery.mailer) {
    const text = `Hello ${target.name},\n\nAn administrator made a link to set a new Parley password for you:\n\n${url}\n\nIt works once, until ${expiresAt.toUTCString()}.\n`;
    try {
      await delivery.mailer.sendMail({
        from: delivery.from ?? `Parley <parley@${new URL(delivery.publicUrl).hostname}>`,
        to: target.email,
        subject: "Set a new Parley password",
        text,
        html: `<p>Hello ${escapeHtml(target.name)},</p><p>An administrator made a link to set a new Parley password for you:</p><p><a href="${escapeHtml(url.toString())}">Set a new password</a></p><p>It works once, until ${escapeHtml(expiresAt.toUTCString())}.</p>`,
        headers: {},
      });
      emailed = true;
    } catch {
      emailed = false;
    }
  }
  return { url: url.toString(), expiresAt, emailed };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Input of resetPassword: the link's token and the new password (the usual policy). */
export const ZResetPassword = z.object({
  token: z.string().min(1).max(200),
  password: ZPassword,
});

/**
 * Sets a new password with a reset link's token: FORBIDDEN when the token is unknown, used,
 * voided or expired, or its person is deactivated. The token is spent in the same statement that
 * checks it, so two concurrent uses cannot both succeed; every browser session of the person ends.
 */
export async function resetPassword(db: TDb, input: unknown, origin?: TAuditOrigin): Promise<void> {
  const { token, password } = parseInput(ZResetPassword, input);
  const passwordHash = await hashPassword(password);
  const now = new Date();
  const userId = await db.$transaction(async (tx) => {
    const [spent] = await tx.$queryRaw<{ userId: string }[]>`
      UPDATE "PasswordReset" r SET "usedAt" = ${now}::timestamp(3)
      FROM "User" u
      WHERE r."tokenHash" = ${sha256(token)} AND r."usedAt" IS NULL AND r."expiresAt" > ${now}::timestamp(3)
        AND u.id = r."userId" AND u."deactivatedAt" IS NULL
      RETURNING r."userId"`;
    if (!spent) throw new ParleyError("FORBIDDEN", "This reset link is invalid, used or expired");
    await tx.user.update({ where: { id: spent.userId }, data: { passwordHash } });
    const sessions = await tx.authSession.updateMany({
      where: { userId: spent.userId, revokedAt: null },
      data: { revokedAt: now },
    });
    await recordAudit(tx, {
      action: "auth.password_reset",
      actorId: spent.userId,
      target: { type: "user", id: spent.userId },
      origin,
      details: { sessionsRevoked: sessions.count },
    });
    return spent.userId;
  });
  notifyCredentialRevoked({ kind: "sessions", userId });
}
