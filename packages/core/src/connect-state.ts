/**
 * What the realtime gateway reads when a socket connects: the user's conversations with their
 * member counts (it routes large channels' events by topic, everything else by user) and the
 * custom status the user saved (what watchers see when the user comes online). The `…ForUsers`
 * forms answer for many users in one query each: a gateway coalesces the connects of one turn of
 * the event loop into them, so a reconnect storm costs a few queries per batch, not per socket.
 *
 * Member counts can be capped (`countCap`): the gateway only asks "is this channel at least N
 * members?", and counting a 19,000-member channel on every connect is what made connects slow.
 */
import type { TDb } from "@parley/db";
import { hotQuery, type THotStatement } from "./hot-sql.ts";

/** One conversation a user is a member of, with its member count (the gateway's delivery index). */
export type TMembershipSummary = { conversationId: string; memberCount: number };

/**
 * The conversations `userId` is a member of, with member counts, in one query (or just `only`,
 * when given, for one conversation the user was just added to). For the realtime gateway, which
 * routes large channels' events by topic and everything else by user.
 */
export async function listMembershipSummaries(
  db: TDb,
  userId: string,
  only?: { conversationId: string },
): Promise<TMembershipSummary[]> {
  const conversationId = only?.conversationId ?? null;
  return db.$queryRaw<TMembershipSummary[]>`
    SELECT m."conversationId",
      (SELECT count(*)::int FROM "Membership" x WHERE x."conversationId" = m."conversationId") AS "memberCount"
    FROM "Membership" m
    WHERE m."userId" = ${userId}::uuid
      AND (${conversationId}::uuid IS NULL OR m."conversationId" = ${conversationId}::uuid)`;
}

/**
 * listMembershipSummaries for many users in one query: every user asked for has an entry (empty
 * when they are in no conversation). Each distinct conversation is counted once per call, and
 * with `countCap` a count stops at the cap (`memberCount` is then min(count, cap)): the bounded
 * index scan costs the same for a 20-member and a 20,000-member channel.
 */
export async function listMembershipSummariesForUsers(
  db: TDb,
  userIds: readonly string[],
  options: { countCap?: number } = {},
): Promise<Map<string, TMembershipSummary[]>> {
  const ids = [...new Set(userIds)];
  const states =
    ids.length === 0 ? new Map<string, TConnectState>() : await loadConnectStates(db, ids, options);
  return new Map(ids.map((id) => [id, states.get(id)?.memberships ?? []]));
}

/**
 * The custom status each user saved (emoji and text as one line, "" when none), for the users
 * that exist; unknown ids are absent.
 */
export async function loadSavedStatusTexts(
  db: TDb,
  userIds: readonly string[],
): Promise<Map<string, string>> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return new Map();
  const rows = await db.$queryRaw<{ id: string; statusEmoji: string; statusText: string }[]>`
    SELECT id, "statusEmoji", "statusText" FROM "User" WHERE id = ANY(${ids}::uuid[])`;
  return new Map(rows.map((r) => [r.id, [r.statusEmoji, r.statusText].filter(Boolean).join(" ")]));
}

/** Users ($1) with their memberships, each conversation counted once up to the cap ($2; null: no cap). */
const CONNECT_STATES_SQL: THotStatement = {
  name: "parley_connect_states_v1",
  text: `WITH u AS MATERIALIZED (
      SELECT id, "statusEmoji", "statusText" FROM "User" WHERE id = ANY($1::uuid[])
    ), mine AS MATERIALIZED (
      SELECT m."userId", m."conversationId" FROM "Membership" m WHERE m."userId" = ANY($1::uuid[])
    ), counts AS MATERIALIZED (
      SELECT d."conversationId",
        (SELECT count(*)::int FROM (
           SELECT 1 FROM "Membership" x WHERE x."conversationId" = d."conversationId" LIMIT $2::int
         ) capped) AS "memberCount"
      FROM (SELECT DISTINCT "conversationId" FROM mine) d
    )
    SELECT u.id AS "userId", u."statusEmoji", u."statusText", mine."conversationId", counts."memberCount"
    FROM u
    LEFT JOIN mine ON mine."userId" = u.id
    LEFT JOIN counts ON counts."conversationId" = mine."conversationId"`,
};

/** What a gateway loads when a user's first socket connects. */
export type TConnectState = { memberships: TMembershipSummary[]; savedStatusText: string };

/**
 * listMembershipSummariesForUsers and loadSavedStatusTexts in ONE query: an entry for every user
 * that exists (unknown ids are absent).
 */
export async function loadConnectStates(
  db: TDb,
  userIds: readonly string[],
  options: { countCap?: number } = {},
): Promise<Map<string, TConnectState>> {
  const ids = [...new Set(userIds)];
  const result = new Map<string, TConnectState>();
  if (ids.length === 0) return result;
  const cap = options.countCap ?? null;
  const rows = await hotQuery<{
    userId: string;
    statusEmoji: string;
    statusText: string;
    conversationId: string | null;
    memberCount: number | null;
  }>(db, CONNECT_STATES_SQL, [ids, cap]);
  for (const row of rows) {
    let state = result.get(row.userId);
    if (!state) {
      state = {
        memberships: [],
        savedStatusText: [row.statusEmoji, row.statusText].filter(Boolean).join(" "),
      };
      result.set(row.userId, state);
    }
    if (row.conversationId !== null && row.memberCount !== null) {
      state.memberships.push({ conversationId: row.conversationId, memberCount: row.memberCount });
    }
  }
  return result;
}
