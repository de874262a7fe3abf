/**
 * The guest role's limits, in one place. A guest (User.role = 'guest') reads and writes only the
 * conversations they are a member of (access.ts `canRead`: no public channel they were not added
 * to), cannot browse, join or create channels nor add people, sees only the people they share a
 * channel with (user lists, name search), and may open DMs and group DMs only with them.
 *
 * Every check reads the role as stored now: SQL joins `User.role` (`isGuestSql`), and tRPC's actor
 * is resolved from the database on each request. A socket's actor (fixed at connect) is never
 * asked: everything the gateway does reaches these rules through SQL.
 */
import type { TActor } from "./actor.ts";
import { ParleyError } from "./errors.ts";
import type { TTx } from "./tx.ts";

/** SQL: true when the user `userExpr` (a uuid expression) is a guest, by the stored role. */
export function isGuestSql(userExpr: string): string {
  return `EXISTS (SELECT 1 FROM "User" "guestRole" WHERE "guestRole".id = ${userExpr} AND "guestRole".role = 'guest')`;
}

/**
 * SQL: true when users `a` and `b` (uuid expressions) are both members of some channel (public or
 * private, archived ones too).
 */
export function sharesChannelSql(a: string, b: string): string {
  return `EXISTS (SELECT 1 FROM "Membership" "shareA"
    JOIN "Membership" "shareB" ON "shareB"."conversationId" = "shareA"."conversationId" AND "shareB"."userId" = ${b}
    JOIN "Conversation" "shareC" ON "shareC".id = "shareA"."conversationId"
      AND "shareC".kind IN ('public_channel', 'private_channel')
    WHERE "shareA"."userId" = ${a})`;
}

/**
 * SQL: true when the viewer `viewer` may see the person `person` in lists and name search: anyone
 * for members and admins; for a guest, themselves and the people they share a channel with.
 */
export function canSeePersonSql(viewer: string, person: string): string {
  return `(NOT ${isGuestSql(viewer)} OR ${person} = ${viewer} OR ${sharesChannelSql(viewer, person)})`;
}

/** True for the guest role. */
export function isGuest(actor: Pick<TActor, "role">): boolean {
  return actor.role === "guest";
}

/** Throws FORBIDDEN for guests with `template`, an `errorTemplate("Guests cannot …")`. */
export function refuseGuests(actor: Pick<TActor, "role">, template: string): void {
  if (isGuest(actor)) throw new ParleyError("FORBIDDEN", template);
}

/**
 * Throws FORBIDDEN unless every guest among `memberIds` (a DM's or group DM's people) shares a
 * channel with every other one of them: a guest only talks to people they were put together with.
 */
export async function requireGuestsShareChannels(tx: Pick<TTx, "$queryRawUnsafe">, memberIds: string[]) {
  if (memberIds.length < 2) return;
  const rows = await tx.$queryRawUnsafe<{ one: number }[]>(
    `SELECT 1 AS one FROM unnest($1::uuid[]) g(id), unnest($1::uuid[]) o(id)
     WHERE g.id <> o.id AND ${isGuestSql("g.id")} AND NOT ${sharesChannelSql("g.id", "o.id")}
     LIMIT 1`,
    memberIds,
  );
  if (rows.length > 0) {
    throw new ParleyError("FORBIDDEN", "Guests can only message people they share a channel with");
  }
}
