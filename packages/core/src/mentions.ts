/** Server side of mentions: which parsed `<@id>` mentions count (members only). Internal to core. */
import { Prisma } from "@parley/db";

/**
 * SQL for "the users of `userIds` who are members of the conversation", as a text[] in the order
 * of `userIds` (an empty array, never null). A mention of someone outside the conversation is
 * ignored: they cannot read it, so it must not count for them. Used by send and edit.
 */
export function mentionedMembersSql(userIds: readonly string[], conversationId: string): Prisma.Sql {
  const ids = [...userIds];
  return Prisma.sql`ARRAY(
    SELECT mm."userId"::text FROM "Membership" mm
    WHERE mm."conversationId" = ${conversationId}::uuid AND mm."userId" = ANY(${ids}::uuid[])
    ORDER BY array_position(${ids}::uuid[], mm."userId")
  )`;
}
