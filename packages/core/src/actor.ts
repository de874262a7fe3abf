import type { UserRole } from "@parley/db";
import { ParleyError } from "./errors.ts";

/** Who is acting: resolved from a session or an access token by the transport layer. */
export type TActor = { userId: string; role: UserRole };

/** True for workspace admins and owners. */
export function isAdmin(actor: TActor): boolean {
  return actor.role === "admin" || actor.role === "owner";
}

/** Throws FORBIDDEN unless the actor is a workspace admin or owner. */
export function requireAdmin(actor: TActor): void {
  if (!isAdmin(actor)) throw new ParleyError("FORBIDDEN", "Only workspace admins can do this");
}

/** Every workspace role, highest first. */
export const USER_ROLES = ["owner", "admin", "member", "guest"] as const satisfies readonly UserRole[];

const RANK: Record<UserRole, number> = { owner: 3, admin: 2, member: 1, guest: 0 };

/**
 * True when someone of role `actor` may act on a user of role `target` (change their role,
 * deactivate, reset their password): only on lower ranks (owner > admin > member > guest); an
 * owner on everyone.
 */
export function outranks(actor: UserRole, target: UserRole): boolean {
  return actor === "owner" || RANK[actor] > RANK[target];
}
