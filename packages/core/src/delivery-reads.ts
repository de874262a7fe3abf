/**
 * The reads of the gateway's delivery layer (large-channel checks, typing, watched presence), so
 * the gateway never queries the database itself. Connect-time reads live in connect-state.ts.
 */
import type { TDb } from "@parley/db";
import { canSeePersonSql } from "./guests.ts";

/** Member counts of `conversationIds`, in one query (a conversation without members is absent). */
export async function countMembersByConversation(
  db: TDb,
  conversationIds: readonly string[],
): Promise<Map<string, number>> {
  const counts = await db.membership.groupBy({
    by: ["conversationId"],
    where: { conversationId: { in: [...conversationIds] } },
    _count: { _all: true },
  });
  return new Map(counts.map((c) => [c.conversationId, c._count._all]));
}

/** Up to `limit` member ids of a conversation (the caller only asks "more than N?" beyond that). */
export async function listMemberIds(db: TDb, conversationId: string, limit: number): Promise<string[]> {
  const members = await db.membership.findMany({
    where: { conversationId },
    select: { userId: true },
    take: limit,
  });
  return members.map((m) => m.userId);
}

/**
 * Those of `userIds` that are users `viewerId` may see (one install is one workspace: its users
 * are the rows of User; a guest sees only themselves and the people they share a channel with,
 * guests.ts), without asking when there are none. Unknown and hidden ids are left out alike.
 */
export async function listVisibleUserIds(
  db: TDb,
  viewerId: string,
  userIds: readonly string[],
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(
    `SELECT u.id FROM "User" u WHERE u.id = ANY($1::uuid[]) AND ${canSeePersonSql("$2::uuid", "u.id")}`,
    [...userIds],
    viewerId,
  );
  return rows.map((u) => u.id);
}
