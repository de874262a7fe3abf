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
