/**
 * Invite links: made by any member (an e-mail invite, bound to one address, by admins), listed
 * and revoked by admins (a member may revoke their own), redeemed at sign-up. The secret
 * (`pli_…`) is shown once and stored as SHA-256.
 *
 * Redemption is one conditional UPDATE (`consumeInvite`): the row lock makes concurrent sign-ups
 * on the last use queue, and the loser re-checks `uses < maxUses` after the winner commits, so
 * exactly one is admitted. A sign-up that fails later rolls the use back with its transaction.
 * Each use leaves an `InviteRedemption` (who, when) and an `invite.redeemed` audit entry.
 */
import type { TDb } from "@parley/db";
import { isAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { refuseGuests } from "../guests.ts";
import { randomSecret, sha256 } from "../ids.ts";
import { escapeHtml, type TMailer } from "../notifications/email.ts";
import { ZById, ZCreateInvite, ZInviteToken } from "../schemas.ts";
import type { TTx } from "../tx.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Invites the admins' list shows, newest first. */
export const INVITE_LIST_LIMIT = 200;

/** Where an invite stands: usable, or why not. */
export type TInviteState = "valid" | "expired" | "used_up" | "revoked" | "unknown";

/** Why a sign-up with this invite was refused, as the visitor reads it. */
export const INVITE_REFUSALS = {
  unknown: errorTemplate(
    "This invite link is not valid. Check that you copied all of it, or ask for a new one.",
  ),
  expired: errorTemplate("This invite link has expired. Ask an admin of this workspace for a new one."),
  used_up: errorTemplate("This invite link has been used up. Ask an admin of this workspace for a new one."),
  revoked: errorTemplate("This invite link was revoked. Ask an admin of this workspace for a new one."),
  wrong_email: errorTemplate(
    "This invite is for a different e-mail address. Sign up with the address it was sent to.",
  ),
} as const;

type TInviteRow = {
  uses: number;
  maxUses: number;
  expiresAt: Date;
  revokedAt: Date | null;
};

/** The state of an invite row at `now`. Revoked beats expired beats used up. */
export function inviteState(row: TInviteRow | null, now = new Date()): TInviteState {
  if (!row) return "unknown";
  if (row.revokedAt) return "revoked";
  if (row.expiresAt.getTime() <= now.getTime()) return "expired";
  if (row.uses >= row.maxUses) return "used_up";
  return "valid";
}

/** The sign-up link for an invite secret. */
export function inviteUrl(publicUrl: string, token: string): string {
  const url = new URL("/sign-up", publicUrl);
  url.searchParams.set("invite", token);
  return url.toString();
}

/** How invite e-mails go out: the notifier's mailer (null without SMTP_HOST) and From:. */
export type TInviteDelivery = { publicUrl: string; mailer: TMailer | null; from: string };

/** A new invite; `token` and `url` are shown once. */
export type TCreatedInvite = {
  id: string;
  token: string;
  /** The sign-up link (null when the caller gave no public URL). */
  url: string | null;
  maxUses: number;
  expiresAt: Date;
  email: string | null;
  /** The invite e-mail was accepted by the SMTP server. */
  emailed: boolean;
  /** Why it was not (SMTP not set up, or the server refused); the link is to be copied instead. */
  emailError: string | null;
};

/**
 * Creates an invite (any signed-in member; with `email`, admins only, and not for an address that
 * already has an account). Audit-logged (`invite.created`, never the secret). An e-mail invite is
 * sent after the commit when `delivery.mailer` is set; a failed send keeps the invite and says so.
 */
export async function createInvite(
  db: TDb,
  actor: TActor,
  input: unknown = {},
  origin?: TAuditOrigin,
  delivery?: TInviteDelivery,
): Promise<TCreatedInvite> {
  const data = parseInput(ZCreateInvite, input ?? {});
  refuseGuests(actor, errorTemplate("Guests cannot invite people"));
  const email = data.email ?? null;
  if (email && !isAdmin(actor))
    throw new ParleyError("FORBIDDEN", "Only workspace admins can send e-mail invites");
  if (email && (await db.user.findUnique({ where: { email }, select: { id: true } }))) {
    throw new ParleyError("CONFLICT", "{email} already has an account", { params: { email } });
  }
  const token = `pli_${randomSecret(24)}`;
  const created = await db.$transaction(async (tx) => {
    const row = await tx.invite.create({
      data: {
        tokenHash: sha256(token),
        createdById: actor.userId,
        maxUses: email ? 1 : data.maxUses,
        expiresAt: new Date(Date.now() + data.expiresInDays * DAY_MS),
        email,
      },
    });
    await recordAudit(tx, {
      action: "invite.created",
      actorId: actor.userId,
      target: { type: "invite", id: row.id, label: email ?? "invite link" },
      origin,
      details: { maxUses: row.maxUses, expiresAt: row.expiresAt.toISOString(), ...(email ? { email } : {}) },
    });
    return row;
  });
  const url = delivery ? inviteUrl(delivery.publicUrl, token) : null;
  const result: TCreatedInvite = {
    id: created.id,
    token,
    url,
    maxUses: created.maxUses,
    expiresAt: created.expiresAt,
    email,
    emailed: false,
    emailError: null,
  };
  if (!email) return result;
  if (!delivery?.mailer || !url) {
    return {
      ...result,
      emailError: "E-mail is not set up on this server (SMTP_HOST): copy the link and send it yourself.",
    };
  }
  try {
    await sendInviteEmail(db, delivery, {
      to: email,
      url,
      inviterId: actor.userId,
      expiresAt: created.expiresAt,
    });
  } catch {
    return {
      ...result,
      emailError: "The e-mail server refused the invite e-mail: copy the link and send it yourself.",
    };
  }
  await db.invite.update({ where: { id: created.id }, data: { emailedAt: new Date() } });
  return { ...result, emailed: true };
}

async function sendInviteEmail(
  db: TDb,
  delivery: TInviteDelivery,
  mail: { to: string; url: string; inviterId: string; expiresAt: Date },
): Promise<void> {
  const [ws, inviter] = await Promise.all([
    db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: { name: true } }),
    db.user.findUnique({ where: { id: mail.inviterId }, select: { name: true } }),
  ]);
  const workspace = ws?.name ?? "Parley";
  const who = inviter?.name ?? "An admin";
  const until = mail.expiresAt.toUTCString();
  await delivery.mailer?.sendMail({
    from: delivery.from,
    to: mail.to,
    subject: `${who} invited you to ${workspace} on Parley`,
    text: [
      `${who} invited you to join ${workspace} on Parley.`,
      "",
      `Create your account (with this address, ${mail.to}): ${mail.url}`,
      "",
      `The link works until ${until}.`,
    ].join("\n"),
    html: [
      `<p>${escapeHtml(who)} invited you to join <strong>${escapeHtml(workspace)}</strong> on Parley.</p>`,
      `<p><a href="${escapeHtml(mail.url)}">Create your account</a> with this address, ${escapeHtml(mail.to)}.</p>`,
      `<p style="color:#666;font-size:12px">The link works until ${escapeHtml(until)}.</p>`,
    ].join("\n"),
    headers: {},
  });
}

/** Where an invite stands, for the sign-up page (anyone holding the link). */
export type TInviteCheck = {
  state: TInviteState;
  /** The address a valid e-mail invite is bound to (null otherwise). */
  email: string | null;
  /** Why it cannot be used, as the visitor reads it (null when valid). */
  refusal: string | null;
};

/** Where an invite stands, for the sign-up page (anyone holding the link). */
export async function checkInvite(db: TDb, input: unknown): Promise<TInviteCheck> {
  const { token } = parseInput(ZInviteToken, input);
  const row = await db.invite.findUnique({
    where: { tokenHash: sha256(token) },
    select: { uses: true, maxUses: true, expiresAt: true, revokedAt: true, email: true },
  });
  const state = inviteState(row);
  return state === "valid"
    ? { state, email: row?.email ?? null, refusal: null }
    : { state, email: null, refusal: INVITE_REFUSALS[state] };
}

/** A consumed use (sign-up goes on) or the refusal's sentence. */
export type TConsumedInvite = { ok: true; id: string; createdById: string } | { ok: false; refusal: string };

/**
 * Takes one use of the invite for `email` inside the sign-up's transaction (see the header: race
 * safe). On refusal nothing is written and the sentence names the reason.
 */
export async function consumeInvite(tx: TTx, token: string, email: string): Promise<TConsumedInvite> {
  const tokenHash = sha256(token);
  const now = new Date();
  const [used] = await tx.$queryRaw<{ id: string; createdById: string }[]>`
    UPDATE "Invite" SET uses = uses + 1
    WHERE "tokenHash" = ${tokenHash} AND uses < "maxUses"
      AND "revokedAt" IS NULL AND "expiresAt" > ${now}::timestamp(3)
      AND (email IS NULL OR email = ${email})
    RETURNING id, "createdById"`;
  if (used) return { ok: true, id: used.id, createdById: used.createdById };
  // Nothing matched: say why (a use taken by a racing sign-up reads as used up).
  return { ok: false, refusal: (await inviteRefusal(tx, token, email, now)) ?? INVITE_REFUSALS.used_up };
}

/**
 * Why `email` cannot redeem the invite now (the visitor's sentence), or null when it can. signUp
 * asks first, before it pays for the password hash; `consumeInvite` alone decides.
 */
export async function inviteRefusal(
  db: Pick<TTx, "invite">,
  token: string,
  email: string,
  now = new Date(),
): Promise<string | null> {
  const row = await db.invite.findUnique({
    where: { tokenHash: sha256(token) },
    select: { uses: true, maxUses: true, expiresAt: true, revokedAt: true, email: true },
  });
  const state = inviteState(row, now);
  if (state !== "valid") return INVITE_REFUSALS[state];
  return row?.email && row.email !== email ? INVITE_REFUSALS.wrong_email : null;
}

/** Records who a consumed use admitted: the redemption row and `invite.redeemed` (a security event). */
export async function recordRedemption(
  tx: TTx,
  invite: { id: string; createdById: string },
  user: { id: string },
  origin?: TAuditOrigin,
): Promise<void> {
  await tx.inviteRedemption.create({ data: { inviteId: invite.id, userId: user.id } });
  await recordAudit(tx, {
    action: "invite.redeemed",
    actorId: user.id,
    target: { type: "invite", id: invite.id, label: "invite link" },
    origin,
    details: { createdById: invite.createdById },
  });
}

/** A person as the invite list names them. */
export type TInvitePerson = { id: string; name: string; email: string };

/** An invite as admins see it (never its secret). */
export type TInviteDto = {
  id: string;
  createdAt: Date;
  createdBy: TInvitePerson;
  maxUses: number;
  uses: number;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedBy: TInvitePerson | null;
  email: string | null;
  emailedAt: Date | null;
  state: TInviteState;
  redemptions: { redeemedAt: Date; user: TInvitePerson }[];
};

const person = { select: { id: true, name: true, email: true } } as const;

/** The newest invites (INVITE_LIST_LIMIT) with who made, used and revoked them (admins). */
export async function listInvites(db: TDb, actor: TActor): Promise<TInviteDto[]> {
  if (!isAdmin(actor)) throw new ParleyError("FORBIDDEN", "Only workspace admins can do this");
  const rows = await db.invite.findMany({
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: INVITE_LIST_LIMIT,
    include: {
      createdBy: person,
      redemptions: { orderBy: { redeemedAt: "asc" }, select: { redeemedAt: true, user: person } },
    },
  });
  const revokerIds = [...new Set(rows.flatMap((r) => (r.revokedById ? [r.revokedById] : [])))];
  const revokers = new Map(
    (await db.user.findMany({ where: { id: { in: revokerIds } }, ...person })).map((u) => [u.id, u]),
  );
  const now = new Date();
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    maxUses: r.maxUses,
    uses: r.uses,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    revokedBy: r.revokedById ? (revokers.get(r.revokedById) ?? null) : null,
    email: r.email,
    emailedAt: r.emailedAt,
    state: inviteState(r, now),
    redemptions: r.redemptions,
  }));
}

/**
 * Revokes an invite (admins, or the member who made it; anyone else gets NOT_FOUND). Audit-logged
 * as `invite.revoked`; revoking a revoked invite changes and records nothing.
 */
export async function revokeInvite(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<{ revoked: boolean }> {
  const { id } = parseInput(ZById, input);
  return db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<
      { createdById: string; revokedAt: Date | null; uses: number; maxUses: number; email: string | null }[]
    >`SELECT "createdById", "revokedAt", uses, "maxUses", email FROM "Invite" WHERE id = ${id}::uuid FOR UPDATE`;
    if (!row || (!isAdmin(actor) && row.createdById !== actor.userId)) {
      throw new ParleyError("NOT_FOUND", "Invite not found");
    }
    if (row.revokedAt) return { revoked: false };
    await tx.invite.update({ where: { id }, data: { revokedAt: new Date(), revokedById: actor.userId } });
    await recordAudit(tx, {
      action: "invite.revoked",
      actorId: actor.userId,
      target: { type: "invite", id, label: row.email ?? "invite link" },
      origin,
      details: { uses: row.uses, maxUses: row.maxUses, createdById: row.createdById },
    });
    return { revoked: true };
  });
}
