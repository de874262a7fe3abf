/**
 * Reactions: reading them grouped for history, adding and removing them. A change appends
 * `reaction.added` / `reaction.removed` under the conversation's seq lock in the same transaction
 * as the Reaction row (lock order: messages/lock.ts).
 *
 * A reaction that is already there (or already gone) writes nothing: the Reaction primary key
 * (messageId, userId, emoji) decides, so two concurrent identical adds produce one event.
 */
import type { TDb } from "@parley/db";
import { EventKind } from "@parley/protocol";
import type { TActor } from "../actor.ts";
import { parseInput } from "../errors.ts";
import { ZReaction } from "../schemas.ts";
import { appendConversationEvent, inWriteTx, type TTx } from "../tx.ts";
import { lockMessage } from "./lock.ts";

/** One emoji's reactions on a message, as history shows them. */
export type TReactionGroupDto = { emoji: string; count: number; userIds: string[] };

/**
 * The reactions of each message in `messageIds`, grouped by emoji in order of first use (and the
 * reacting users in the order they reacted), in one query. Messages without reactions are absent.
 */
export async function loadReactions(
  db: TTx,
  messageIds: readonly string[],
): Promise<Map<string, TReactionGroupDto[]>> {
  const byMessage = new Map<string, TReactionGroupDto[]>();
  if (messageIds.length === 0) return byMessage;
  const rows = await db.$queryRaw<{ messageId: string; emoji: string; userIds: string[] }[]>`
    SELECT "messageId", emoji, array_agg("userId"::text ORDER BY "createdAt", "userId") AS "userIds"
    FROM "Reaction"
    WHERE "messageId" = ANY(${[...messageIds]}::uuid[])
    GROUP BY "messageId", emoji
    ORDER BY "messageId", min("createdAt"), emoji`;
  for (const row of rows) {
    const groups = byMessage.get(row.messageId) ?? [];
    groups.push({ emoji: row.emoji, count: row.userIds.length, userIds: row.userIds });
    byMessage.set(row.messageId, groups);
  }
  return byMessage;
}

/** What a reaction change did: `seq` is its event's, null when nothing changed (no event). */
export type TReactionResult = {
  messageId: string;
  conversationId: string;
  emoji: string;
  isChanged: boolean;
  seq: number | null;
};

/**
 * Adds the actor's `emoji` reaction to a message (members of a conversation that is not archived;
 * not on deleted messages) and appends `reaction.added` {messageId, userId, emoji}. Adding a
 * reaction the actor already has writes nothing.
 */
export async function addReaction(db: TDb, actor: TActor, input: unknown): Promise<TReactionResult> {
  const { messageId, emoji } = parseInput(ZReaction, input);
  return inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    const inserted = await w.tx.$executeRaw`
      INSERT INTO "Reaction" ("messageId", "userId", emoji)
      VALUES (${messageId}::uuid, ${actor.userId}::uuid, ${emoji})
      ON CONFLICT DO NOTHING`;
    const base = { messageId, conversationId: message.conversationId, emoji };
    if (inserted === 0) return { ...base, isChanged: false, seq: null };
    const event = await appendConversationEvent(
      w,
      message.conversationId,
      EventKind.ReactionAdded,
      actor.userId,
      { messageId, userId: actor.userId, emoji },
    );
    return { ...base, isChanged: true, seq: event.seq };
  });
}

/**
 * Removes the actor's `emoji` reaction from a message and appends `reaction.removed`
 * {messageId, userId, emoji}. Removing a reaction the actor does not have writes nothing. The
 * emoji's group keeps its place while other reactions remain in it (see below).
 */
export async function removeReaction(db: TDb, actor: TActor, input: unknown): Promise<TReactionResult> {
  const { messageId, emoji } = parseInput(ZReaction, input);
  return inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    const deleted = await w.tx.$queryRaw<{ createdAt: Date }[]>`
      DELETE FROM "Reaction"
      WHERE "messageId" = ${messageId}::uuid AND "userId" = ${actor.userId}::uuid AND emoji = ${emoji}
      RETURNING "createdAt"`;
    const base = { messageId, conversationId: message.conversationId, emoji };
    const removedAt = deleted[0]?.createdAt;
    if (removedAt === undefined) return { ...base, isChanged: false, seq: null };
    // The group keeps its place among the message's groups (clients keep it there too, knowing
    // only the events): its earliest remaining reaction takes over the removed one's time when
    // the removed one was the group's first, so "order of first use" stays where it was.
    await w.tx.$executeRaw`
      UPDATE "Reaction" SET "createdAt" = ${removedAt}::timestamp(3)
      WHERE ("messageId", "userId", emoji) = (
        SELECT "messageId", "userId", emoji FROM "Reaction"
        WHERE "messageId" = ${messageId}::uuid AND emoji = ${emoji}
        ORDER BY "createdAt", "userId" LIMIT 1
      ) AND "createdAt" > ${removedAt}::timestamp(3)`;
    const event = await appendConversationEvent(
      w,
      message.conversationId,
      EventKind.ReactionRemoved,
      actor.userId,
      { messageId, userId: actor.userId, emoji },
    );
    return { ...base, isChanged: true, seq: event.seq };
  });
}
