/**
 * Server side of mentions: which parsed `<@id>` and `<!subteam^id>` mentions count (members only).
 * Internal to core.
 */
import { Prisma } from "@parley/db";

/**
 * SQL for "the users mentioned by `userIds` or through the user groups `groupIds` who are members
 * of the conversation", as a text[] (an empty array, never null): the users mentioned by name
 * first, in the order of `userIds`, then the groups' members not mentioned by name, by group in the
 * order of `groupIds`, then by id. A mention of someone outside the conversation is ignored: they
 * cannot read it, so it must not count for them — this holds for a group's members too, so an
 * `@design` in a private channel marks only the designers in it. An unknown group mentions nobody.
 * Used by send and edit; the batch statement (send-batch.ts) inlines the same rule.
 */
export function mentionedMembersSql(
  userIds: readonly string[],
  groupIds: readonly string[],
  conversationId: string,
): Prisma.Sql {
  const ids = [...userIds];
  if (groupIds.length === 0) {
    return Prisma.sql`ARRAY(
      SELECT mm."userId"::text FROM "Membership" mm
      WHERE mm."conversationId" = ${conversationId}::uuid AND mm."userId" = ANY(${ids}::uuid[])
      ORDER BY array_position(${ids}::uuid[], mm."userId")
    )`;
  }
  const groups = [...groupIds];
  return Prisma.sql`ARRAY(
    SELECT q.uid::text FROM (
      SELECT DISTINCT ON (c.uid) c.uid, c.o FROM (
        SELECT u.uid, u.o FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS u(uid, o)
        UNION ALL
        SELECT gm."userId", ${ids.length}::int + g.o
        FROM unnest(${groups}::uuid[]) WITH ORDINALITY AS g(gid, o)
        JOIN "UserGroupMember" gm ON gm."groupId" = g.gid
      ) c
      WHERE EXISTS (
        SELECT 1 FROM "Membership" mm WHERE mm."conversationId" = ${conversationId}::uuid AND mm."userId" = c.uid
      )
      ORDER BY c.uid, c.o
    ) q
    ORDER BY q.o, q.uid
  )`;
}
