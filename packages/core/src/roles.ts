/**
 * Workspace roles: who may change whose role, and ownership transfer.
 *
 * Ranks: owner > admin > member > guest. An admin acts only on people below their own rank and
 * grants only roles below it (member ↔ guest); the owner acts on everyone else and makes or unmakes
 * admins. Nobody changes their own role, and nobody becomes owner but by `transferOwnership`, which
 * swaps the owner and an active member or admin in one transaction: the workspace always has
 * exactly one owner, never zero (installs from before may have several; an owner may then
 * change another owner's role while one remains).
 *
 * Every decision reads the roles as stored, under the rows' locks (actor and target, in id order;
 * every active owner for a transfer), never the actor's role as resolved at the start of the
 * request: two concurrent transfers, or a demotion racing an admin's action, serialise on those
 * locks and the second one sees the first one's result. A change appends `user.role_changed` to the
 * user's log (their open tabs refetch what depends on it at once) and writes one audit entry.
 */
import type { TDb, UserRole } from "@parley/db";
import { UserEventKind } from "@parley/protocol";
import { z } from "zod";
import { outranks, requireAdmin, type TActor } from "./actor.ts";
import { recordAudit, type TAuditOrigin } from "./audit/record.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { ZUserRef } from "./schemas.ts";
import { appendUserEvent, inWriteTx, type TTx, type TWriter } from "./tx.ts";
import { type TUserDto, userDtoSelect } from "./users.ts";

/** Input of changeRole: anything but owner (ownership moves only by transfer). */
export const ZChangeRole = z.object({
  userId: ZUserRef.shape.userId,
  role: z.enum(["admin", "member", "guest"]),
});
export type TChangeRole = z.infer<typeof ZChangeRole>;

type TLockedUser = { id: string; role: UserRole; email: string; deactivatedAt: Date | null };

/** Locks the given users' rows in id order (the order every writer of User rows locks in). */
async function lockUsers(tx: TTx, ids: string[]): Promise<Map<string, TLockedUser>> {
  const rows = await tx.$queryRaw<TLockedUser[]>`
    SELECT id, role::text AS role, email, "deactivatedAt" FROM "User"
    WHERE id = ANY(${[...new Set(ids)]}::uuid[]) ORDER BY id FOR UPDATE`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** The actor as stored now (locked): FORBIDDEN unless still an active admin or owner. */
function requireStoredAdmin(actor: TActor, locked: Map<string, TLockedUser>): TLockedUser {
  const me = locked.get(actor.userId);
  if (!me || me.deactivatedAt) throw new ParleyError("FORBIDDEN", "Only workspace admins can do this");
  requireAdmin({ userId: me.id, role: me.role });
  return me;
}

async function setRole(w: TWriter, user: TLockedUser, role: UserRole): Promise<void> {
  await w.tx.user.update({ where: { id: user.id }, data: { role } });
  await appendUserEvent(w, user.id, UserEventKind.RoleChanged, { role, previousRole: user.role });
}

/**
 * Changes a user's role (admins; see the file header for who may change whom). Setting the role
 * they already have changes and records nothing.
 */
export async function changeRole(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TUserDto> {
  requireAdmin(actor);
  const { userId, role } = parseInput(ZChangeRole, input);
  if (userId === actor.userId) throw new ParleyError("FORBIDDEN", "You cannot change your own role");
  return inWriteTx(db, async (w) => {
    const locked = await lockUsers(w.tx, [actor.userId, userId]);
    const me = requireStoredAdmin(actor, locked);
    const target = locked.get(userId);
    if (!target) throw new ParleyError("NOT_FOUND", "User not found");
    if (target.role === "owner") {
      const owners = await w.tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM "User" WHERE role = 'owner' AND "deactivatedAt" IS NULL AND id <> ${userId}::uuid
        ORDER BY id FOR UPDATE`;
      if (me.role !== "owner" || owners.length === 0) {
        throw new ParleyError("FORBIDDEN", "The owner's role changes only by transferring ownership");
      }
    } else if (!outranks(me.role, target.role) || !outranks(me.role, role)) {
      throw new ParleyError("FORBIDDEN", "Only the workspace owner can make or unmake admins");
    }
    if (target.role !== role) {
      await setRole(w, target, role);
      await recordAudit(w.tx, {
        action: "user.role_changed",
        actorId: actor.userId,
        target: { type: "user", id: userId, label: target.email },
        origin,
        details: { before: target.role, after: role },
      });
    }
    return w.tx.user.findUniqueOrThrow({ where: { id: userId }, select: userDtoSelect });
  });
}

/**
 * Makes `userId` (an active member or admin) the owner and the acting owner an admin, in one
 * transaction (owner only). Concurrent transfers serialise on the owners' row locks: the second
 * finds its actor no longer the owner and is refused.
 */
export async function transferOwnership(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TUserDto> {
  const { userId } = parseInput(ZUserRef, input);
  if (actor.role !== "owner") throw new ParleyError("FORBIDDEN", "Only the workspace owner can do this");
  if (userId === actor.userId) throw new ParleyError("BAD_REQUEST", "You already own the workspace");
  return inWriteTx(db, async (w) => {
    const locked = await lockUsers(w.tx, [actor.userId, userId]);
    const me = locked.get(actor.userId);
    if (!me || me.deactivatedAt || me.role !== "owner") {
      throw new ParleyError("FORBIDDEN", "Only the workspace owner can do this");
    }
    const target = locked.get(userId);
    if (!target) throw new ParleyError("NOT_FOUND", "User not found");
    if (target.deactivatedAt) throw new ParleyError("BAD_REQUEST", "Reactivate them first");
    if (target.role === "guest") throw new ParleyError("BAD_REQUEST", "Make them a member first");
    await setRole(w, target, "owner");
    await setRole(w, me, "admin");
    await recordAudit(w.tx, {
      action: "workspace.ownership_transferred",
      actorId: actor.userId,
      target: { type: "user", id: userId, label: target.email },
      origin,
      details: { from: me.email, previousRole: target.role },
    });
    return w.tx.user.findUniqueOrThrow({ where: { id: userId }, select: userDtoSelect });
  });
}
