/**
 * Sign-up, credential checks and browser sessions (invites: joining/invites.ts). Passwords are
 * stored as argon2id.
 */
import { isUniqueViolation, type TDb } from "@parley/db";
import type { TActor } from "./actor.ts";
import { recordAudit, type TAuditOrigin } from "./audit/record.ts";
import { joinDefaultChannels } from "./conversations/members.ts";
import { ParleyError, parseInput, type TErrorText } from "./errors.ts";
import { hotQuery, type THotStatement } from "./hot-sql.ts";
import { isUuid } from "./ids.ts";
import { consumeInvite, inviteRefusal, recordRedemption } from "./joining/invites.ts";
import { admitsWithoutInvite, signupRefusal } from "./joining/policy.ts";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./passwords.ts";
import { notifyCredentialRevoked } from "./revocations.ts";
import { ZById, ZCredentials, ZSignUp } from "./schemas.ts";
import { isSsoOnly } from "./sso/settings.ts";
import { inWriteTx } from "./tx.ts";
import { type TUserDto, userDtoSelect } from "./users.ts";
import { WORKSPACE_ID } from "./workspace-id.ts";

/** How long a browser session lives. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** lastSeenAt / lastUsedAt are written at most this often per session or token. */
export const TOUCH_INTERVAL_MS = 60 * 1000;

/**
 * Creates a member account. Allowed when the workspace's sign-up mode admits the address (open,
 * or an allowed domain) or with a valid invite, one use of which is consumed atomically (a failed
 * sign-up gives the use back by rolling back) and recorded (joining/invites.ts). A refusal says
 * why (invite needed, domain not allowed, invite expired, used up, revoked) and writes nothing.
 */
export async function signUp(db: TDb, input: unknown, origin?: TAuditOrigin): Promise<{ user: TUserDto }> {
  const data = parseInput(ZSignUp, input);
  const ws = await db.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { signupMode: true, signupDomains: true, ssoOnly: true },
  });
  if (!ws) throw new ParleyError("FORBIDDEN", "The workspace is not set up yet");
  if (ws.ssoOnly) {
    throw new ParleyError(
      "FORBIDDEN",
      "This workspace signs in with single sign-on only: use the sign-in page's single sign-on button",
    );
  }
  const policy = { mode: ws.signupMode, domains: ws.signupDomains };
  const admitted = admitsWithoutInvite(policy, data.email);
  if (!admitted) {
    const refusal: TErrorText | null = data.inviteToken
      ? await inviteRefusal(db, data.inviteToken, data.email).then((template) =>
          template === null ? null : { template },
        )
      : signupRefusal(policy);
    if (refusal) throw new ParleyError("FORBIDDEN", refusal.template, { params: refusal.params });
  }
  const passwordHash = await hashPassword(data.password);
  try {
    return await inWriteTx(db, async (w) => {
      const { tx } = w;
      let invite: { id: string; createdById: string } | null = null;
      if (data.inviteToken) {
        const consumed = await consumeInvite(tx, data.inviteToken, data.email);
        // Where the mode admits the address anyway, a stale invite link is harmless.
        if (consumed.ok) invite = consumed;
        else if (!admitted) throw new ParleyError("FORBIDDEN", consumed.refusal);
      }
      const user = await tx.user.create({
        data: { name: data.name, email: data.email, passwordHash, role: "member" },
        select: userDtoSelect,
      });
      if (invite) await recordRedemption(tx, invite, user, origin);
      await joinDefaultChannels(w, user);
      await recordAudit(tx, {
        action: "auth.signed_up",
        actorId: user.id,
        target: { type: "user", id: user.id, label: user.email },
        origin,
        details: invite ? { via: "invite", inviteId: invite.id } : { via: `${policy.mode} sign-up` },
      });
      return { user };
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ParleyError("CONFLICT", "An account with this e-mail already exists");
    throw err;
  }
}

/** Options of verifyCredentials. */
export type TCredentialOptions = {
  /** PASSWORD_BREAK_GLASS_OWNER: the owner may use their password while the workspace is SSO-only. */
  isOwnerBreakGlass?: boolean | undefined;
};

/**
 * Checks e-mail + password and opens a 30-day session. Null for an unknown e-mail, a wrong
 * password or a deactivated user, and for everyone while the workspace is SSO-only (sso/settings.ts)
 * but a break-glass owner; an unknown e-mail and an SSO-only refusal still cost one hash check
 * (timing, and no password oracle). Every outcome is audit-logged with the attempted e-mail (never
 * the password): `auth.sign_in` in the session's own transaction, or `auth.sign_in_failed` with the reason.
 */
export async function verifyCredentials(
  db: TDb,
  input: unknown,
  options: TCredentialOptions = {},
): Promise<{ user: TUserDto; sessionId: string } | null> {
  const result = ZCredentials.safeParse(input);
  if (!result.success) {
    const raw = (input ?? {}) as { email?: unknown; ip?: unknown; userAgent?: unknown };
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    await recordAudit(db, {
      action: "auth.sign_in_failed",
      actorId: null,
      actorLabel: str(raw.email) ?? "",
      origin: { ip: str(raw.ip), userAgent: str(raw.userAgent) },
      details: { reason: "invalid input" },
    });
    return null;
  }
  const { email, password, userAgent, ip } = result.data;
  const origin = { ip, userAgent };
  const found = await db.user.findUnique({
    where: { email },
    select: { ...userDtoSelect, passwordHash: true },
  });
  const failed = (reason: string) =>
    recordAudit(db, {
      action: "auth.sign_in_failed",
      actorId: found?.id ?? null,
      actorLabel: email,
      target: { type: "account", id: found?.id ?? null, label: email },
      origin,
      details: { reason },
    });
  if (!found) {
    await burnPasswordCheck(password);
    await failed("unknown e-mail");
    return null;
  }
  // A bot's stored hash is unusable anyway; say so in the audit log, at the same cost.
  if (found.isBot) {
    await burnPasswordCheck(password);
    await failed("bot account");
    return null;
  }
  if (!(options.isOwnerBreakGlass && found.role === "owner") && (await isSsoOnly(db))) {
    await burnPasswordCheck(password);
    await failed("password sign-in is off (SSO only)");
    return null;
  }
  const ok = await verifyPassword(found.passwordHash, password);
  if (!ok || found.deactivatedAt) {
    await failed(ok ? "deactivated" : "wrong password");
    return null;
  }
  const session = await db.$transaction(async (tx) => {
    const row = await tx.authSession.create({
      data: {
        userId: found.id,
        userAgent: userAgent ?? null,
        ip: ip ?? null,
        expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      },
      select: { id: true },
    });
    await recordAudit(tx, {
      action: "auth.sign_in",
      actorId: found.id,
      target: { type: "session", id: row.id, label: userAgent ?? null },
      origin,
      details: { method: "password" },
    });
    return row;
  });
  const { passwordHash: _omit, ...user } = found;
  return { user, sessionId: session.id };
}

/**
 * The actor behind a session id, or null when it is unknown, revoked, expired or its user is
 * deactivated. Bumps lastSeenAt at most once a minute.
 */
export async function resolveSession(db: TDb, sessionId: string): Promise<TActor | null> {
  if (!isUuid(sessionId)) return null;
  const resolved = (await resolveSessions(db, [sessionId])).get(sessionId);
  return resolved ? { userId: resolved.userId, role: resolved.role } : null;
}

/** A live session's actor with the time it stops being valid by itself (its expiry), for caches. */
export type TResolvedSession = TActor & { expiresAt: Date };

type SessionRow = {
  id: string;
  revokedAt: Date | null;
  expiresAt: Date;
  lastSeenAt: Date;
  userId: string;
  role: TActor["role"];
  deactivatedAt: Date | null;
};

const SESSIONS_SQL: THotStatement = {
  name: "parley_sessions_v1",
  text: `SELECT s.id, s."revokedAt",
      s."expiresAt", s."lastSeenAt",
      u.id AS "userId", u.role::text AS role, u."deactivatedAt"
    FROM "AuthSession" s JOIN "User" u ON u.id = s."userId"
    WHERE s.id = ANY($1::uuid[])`,
};

/**
 * resolveSession for many sessions at once: one query for all of them and one UPDATE for those
 * whose lastSeenAt is due. Ids that are not uuids or not live sessions are absent from the map.
 * The gateway batches concurrent ticket upgrades through this.
 */
export async function resolveSessions(
  db: TDb,
  sessionIds: readonly string[],
): Promise<Map<string, TResolvedSession>> {
  const result = new Map<string, TResolvedSession>();
  const ids = [...new Set(sessionIds.filter(isUuid))];
  if (ids.length === 0) return result;
  const rows = await hotQuery<SessionRow>(db, SESSIONS_SQL, [ids]);
  const now = Date.now();
  const due: string[] = [];
  for (const row of rows) {
    if (row.revokedAt || row.expiresAt.getTime() <= now || row.deactivatedAt) continue;
    if (now - row.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) due.push(row.id);
    result.set(row.id, { userId: row.userId, role: row.role, expiresAt: row.expiresAt });
  }
  if (due.length > 0) {
    // Conditional so concurrent requests write once.
    await db.$executeRaw`
      UPDATE "AuthSession" SET "lastSeenAt" = ${new Date(now)}
      WHERE id = ANY(${due}::uuid[]) AND "lastSeenAt" < ${new Date(now - TOUCH_INTERVAL_MS)}`;
  }
  return result;
}

/** A session as its owner sees it in the "where you're signed in" list. */
export type TSessionDto = {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  isCurrent: boolean;
};

/** The actor's live sessions, most recently seen first. */
export async function listSessions(
  db: TDb,
  actor: TActor,
  opts: { currentSessionId?: string | undefined } = {},
): Promise<TSessionDto[]> {
  const rows = await db.authSession.findMany({
    where: { userId: actor.userId, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { lastSeenAt: "desc" },
    select: { id: true, userAgent: true, ip: true, createdAt: true, lastSeenAt: true, expiresAt: true },
  });
  return rows.map((r) => ({ ...r, isCurrent: r.id === opts.currentSessionId }));
}

/** Revokes one of the actor's own sessions; NOT_FOUND for anyone else's. */
export async function revokeSession(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<void> {
  const { id } = parseInput(ZById, input);
  await db.$transaction(async (tx) => {
    const { count } = await tx.authSession.updateMany({
      where: { id, userId: actor.userId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) throw new ParleyError("NOT_FOUND", "Session not found");
    await recordAudit(tx, {
      action: "session.revoked",
      actorId: actor.userId,
      target: { type: "session", id },
      origin,
    });
  });
  notifyCredentialRevoked({ kind: "session", sessionId: id });
}

/**
 * Signing out: ends the browser's session (when still live) and records `auth.sign_out` in the
 * same transaction. Idempotent: an ended session records nothing again.
 */
export async function signOutSession(db: TDb, sessionId: string, origin?: TAuditOrigin): Promise<void> {
  if (!isUuid(sessionId)) return;
  const ended = await db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ userId: string }[]>`
      UPDATE "AuthSession" SET "revokedAt" = ${new Date()}
      WHERE id = ${sessionId}::uuid AND "revokedAt" IS NULL RETURNING "userId"`;
    const userId = rows[0]?.userId;
    if (!userId) return false;
    await recordAudit(tx, {
      action: "auth.sign_out",
      actorId: userId,
      target: { type: "session", id: sessionId },
      origin,
    });
    return true;
  });
  if (ended) notifyCredentialRevoked({ kind: "session", sessionId });
}

/** Revokes all of the actor's sessions except `currentSessionId` (all of them when absent). */
export async function revokeOtherSessions(
  db: TDb,
  actor: TActor,
  opts: { currentSessionId?: string | undefined; origin?: TAuditOrigin | undefined } = {},
): Promise<{ count: number }> {
  const { count } = await db.$transaction(async (tx) => {
    const revoked = await tx.authSession.updateMany({
      where: {
        userId: actor.userId,
        revokedAt: null,
        ...(opts.currentSessionId ? { id: { not: opts.currentSessionId } } : {}),
      },
      data: { revokedAt: new Date() },
    });
    if (revoked.count > 0) {
      await recordAudit(tx, {
        action: "session.revoked",
        actorId: actor.userId,
        target: { type: "session", label: "all other sessions" },
        origin: opts.origin,
        details: { count: revoked.count, ...(opts.currentSessionId ? { kept: opts.currentSessionId } : {}) },
      });
    }
    return revoked;
  });
  if (count > 0) {
    notifyCredentialRevoked({
      kind: "sessions",
      userId: actor.userId,
      ...(opts.currentSessionId ? { exceptSessionId: opts.currentSessionId } : {}),
    });
  }
  return { count };
}
