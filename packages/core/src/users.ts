import type { TDb } from "@parley/db";
import { UserEventKind, zLine } from "@parley/protocol";
import { z } from "zod";
import { outranks, requireAdmin, type TActor, USER_ROLES } from "./actor.ts";
import { recordAudit, type TAuditOrigin } from "./audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "./errors.ts";
import { canSeePersonSql, isGuest } from "./guests.ts";
import { notifyCredentialRevoked } from "./revocations.ts";
import { ZId, ZSetStatus, ZUserRef } from "./schemas.ts";
import { appendUserEvent, inWriteTx } from "./tx.ts";

/** A user as the API shows it (never the password hash). */
export type TUserDto = {
  id: string;
  name: string;
  email: string;
  role: TActor["role"];
  /** Profile (profile/profile.ts): job title and pronouns ("" when none); avatar id (null: initials). */
  title: string;
  pronouns: string;
  avatarId: string | null;
  /** Custom status: one emoji and a short text, each "" when not set. */
  statusEmoji: string;
  statusText: string;
  deactivatedAt: Date | null;
  /** A bot (bots/): made by an admin, acts through bot tokens; shown with a "bot" badge. */
  isBot: boolean;
  createdAt: Date;
};

/** Prisma `select` producing a UserDto. */
export const userDtoSelect = {
  id: true,
  name: true,
  email: true,
  role: true,
  title: true,
  pronouns: true,
  avatarId: true,
  statusEmoji: true,
  statusText: true,
  deactivatedAt: true,
  isBot: true,
  createdAt: true,
} as const;

/** The acting user's own profile. */
export async function getMe(db: TDb, actor: TActor): Promise<TUserDto> {
  const user = await db.user.findUnique({ where: { id: actor.userId }, select: userDtoSelect });
  if (!user) throw new ParleyError("NOT_FOUND", "User not found");
  return user;
}

/** Sets (or, with "", clears) the actor's custom status emoji and text; returns the updated user. */
export async function setStatus(db: TDb, actor: TActor, input: unknown): Promise<TUserDto> {
  const { emoji, text } = parseInput(ZSetStatus, input);
  return inWriteTx(db, async (w) => {
    const user = await w.tx.user.update({
      where: { id: actor.userId },
      data: { statusEmoji: emoji, statusText: text },
      select: userDtoSelect,
    });
    // The user's devices learn it from their log and put it in their presence, which is how the
    // people watching them see it change live.
    await appendUserEvent(w, actor.userId, UserEventKind.PreferencesUpdated, {
      statusEmoji: emoji,
      statusText: text,
    });
    return user;
  });
}

/** Active users of the workspace, by name; a guest sees only the people they share a channel with. */
export async function listUsers(db: TDb, actor: TActor): Promise<TUserDto[]> {
  const visible = isGuest(actor)
    ? (
        await db.$queryRawUnsafe<{ id: string }[]>(
          `SELECT u.id FROM "User" u WHERE u."deactivatedAt" IS NULL AND ${canSeePersonSql("$1::uuid", "u.id")}`,
          actor.userId,
        )
      ).map((r) => r.id)
    : null;
  return db.user.findMany({
    where: { deactivatedAt: null, ...(visible ? { id: { in: visible } } : {}) },
    select: userDtoSelect,
    orderBy: [{ name: "asc" }, { id: "asc" }],
  });
}

/** Every user, deactivated ones included (admins only; Settings → People pages with `listPeople`). */
export async function listAllUsers(db: TDb, actor: TActor): Promise<TUserDto[]> {
  requireAdmin(actor);
  return db.user.findMany({ select: userDtoSelect, orderBy: [{ name: "asc" }, { id: "asc" }] });
}

/** The refusals of `requireOutranks`, by action and by the target's rank. */
const OUTRANK_REFUSALS = {
  deactivate: {
    owner: errorTemplate("Only an owner can deactivate an owner"),
    admin: errorTemplate("Only an owner can deactivate an admin"),
  },
  reactivate: {
    owner: errorTemplate("Only an owner can reactivate an owner"),
    admin: errorTemplate("Only an owner can reactivate an admin"),
  },
  "change the profile of": {
    owner: errorTemplate("Only an owner can change the profile of an owner"),
    admin: errorTemplate("Only an owner can change the profile of an admin"),
  },
  "reset the password of": {
    owner: errorTemplate("Only an owner can reset the password of an owner"),
    admin: errorTemplate("Only an owner can reset the password of an admin"),
  },
} as const;

/**
 * FORBIDDEN unless the actor outranks a user of role `target` (actor.ts `outranks`): admins act on
 * members and guests, the owner on everyone. `verb` names the action in the message.
 */
export function requireOutranks(
  actor: TActor,
  target: TActor["role"],
  verb: keyof typeof OUTRANK_REFUSALS,
): void {
  if (outranks(actor.role, target)) return;
  throw new ParleyError("FORBIDDEN", OUTRANK_REFUSALS[verb][target === "owner" ? "owner" : "admin"]);
}

/**
 * Deactivates a user (admins act on members and guests; the owner on anyone). Their sessions and
 * access tokens are revoked in the same transaction; the last active owner cannot be deactivated.
 */
export async function deactivateUser(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TUserDto> {
  requireAdmin(actor);
  const { userId } = parseInput(ZUserRef, input);
  const deactivated = await inWriteTx(db, async ({ tx }) => {
    // Lock every active owner row so two concurrent deactivations cannot both pass the check.
    const owners = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM "User" WHERE role = 'owner' AND "deactivatedAt" IS NULL ORDER BY id FOR UPDATE`;
    const target = await tx.user.findUnique({ where: { id: userId }, select: userDtoSelect });
    if (!target) throw new ParleyError("NOT_FOUND", "User not found");
    if (target.deactivatedAt) return target;
    requireOutranks(actor, target.role, "deactivate");
    if (target.role === "owner" && owners.length <= 1) {
      throw new ParleyError("FORBIDDEN", "Cannot deactivate the last owner");
    }
    const now = new Date();
    const user = await tx.user.update({
      where: { id: userId },
      data: { deactivatedAt: now },
      select: userDtoSelect,
    });
    const sessions = await tx.authSession.updateMany({
      where: { userId, revokedAt: null },
      data: { revokedAt: now },
    });
    const tokens = await tx.personalAccessToken.updateMany({
      where: { userId, revokedAt: null },
      data: { revokedAt: now },
    });
    await recordAudit(tx, {
      action: "user.deactivated",
      actorId: actor.userId,
      target: { type: "user", id: userId, label: target.email },
      origin,
      details: { role: target.role, sessionsRevoked: sessions.count, tokensRevoked: tokens.count },
    });
    return user;
  });
  notifyCredentialRevoked({ kind: "user", userId });
  return deactivated;
}

/**
 * Reactivates a deactivated user (admin/owner, with the same ranks as deactivating). They sign in again; old sessions stay revoked.
 * Reactivating an active user changes (and records) nothing.
 */
export async function reactivateUser(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TUserDto> {
  requireAdmin(actor);
  const { userId } = parseInput(ZUserRef, input);
  return inWriteTx(db, async ({ tx }) => {
    const target = await tx.user.findUnique({ where: { id: userId }, select: userDtoSelect });
    if (!target) throw new ParleyError("NOT_FOUND", "User not found");
    requireOutranks(actor, target.role, "reactivate");
    if (!target.deactivatedAt) return target;
    const user = await tx.user.update({
      where: { id: userId },
      data: { deactivatedAt: null },
      select: userDtoSelect,
    });
    await recordAudit(tx, {
      action: "user.reactivated",
      actorId: actor.userId,
      target: { type: "user", id: userId, label: target.email },
      origin,
    });
    return user;
  });
}

/** Filters and page of the admin's people list (Settings → People). */
export const ZListPeople = z.object({
  /** Part of the name or e-mail, any case. */
  query: zLine().trim().max(200).optional(),
  role: z.enum(USER_ROLES).optional(),
  status: z.enum(["active", "deactivated"]).optional(),
  /** The last id of the previous page (`nextCursor`). */
  cursor: ZId.optional(),
  limit: z.number().int().min(1).max(100).default(50),
});
export type TListPeople = z.input<typeof ZListPeople>;

/** One page of people, by name, with the cursor of the next page (null at the end). */
export type TPeoplePage = { people: TUserDto[]; nextCursor: string | null };

/**
 * The admin's people list (admins only): search by name or e-mail, filter by role and status,
 * paged on the server by (name, id).
 */
export async function listPeople(db: TDb, actor: TActor, input: unknown): Promise<TPeoplePage> {
  requireAdmin(actor);
  const { query, role, status, cursor, limit } = parseInput(ZListPeople, input);
  const rows = await db.user.findMany({
    where: {
      ...(query
        ? {
            OR: [
              { name: { contains: query, mode: "insensitive" as const } },
              { email: { contains: query.toLowerCase() } },
            ],
          }
        : {}),
      ...(role ? { role } : {}),
      ...(status ? { deactivatedAt: status === "active" ? null : { not: null } } : {}),
    },
    select: userDtoSelect,
    orderBy: [{ name: "asc" }, { id: "asc" }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
  });
  const more = rows.length > limit;
  const people = more ? rows.slice(0, limit) : rows;
  return { people, nextCursor: more ? people[people.length - 1]!.id : null };
}
