/**
 * Changes to an existing message that are not deletes: edits, reactions and pins. Each one appends
 * its event (`message.edited`, `reaction.added`, `reaction.removed`, `message.pinned`,
 * `message.unpinned`) under the conversation's seq lock in the same transaction as the projection
 * change (Message.body/editedAt/mentions, Reaction rows, Message.pinnedAt/pinnedById), and the
 * event reaches the sink after commit — so clients get it live, and a client that was away replays
 * it from the log in seq order like any other event.
 *
 * Lock order: the conversation row first, then the message row (`lockMessageRow` in access.ts), the same order
 * sendMessage uses (conversation, then a thread root's reply count) and deleteMessage uses, so two
 * of these writers never wait for each other in a cycle. The message lock is `FOR NO KEY UPDATE`,
 * which does not block the `FOR KEY SHARE` a Reaction insert takes on its message.
 *
 * A reaction that is already there (or already gone) writes nothing: the Reaction primary key
 * (messageId, userId, emoji) decides, so two concurrent identical adds produce one event. Pins
 * likewise: pinning a pinned message (or unpinning one that is not) writes nothing, and the
 * message row lock orders concurrent pins.
 */
import type { Db } from "@parley/db";
import { EventKind, parseMentions } from "@parley/protocol";
import {
  type LockedMessageRow,
  lockMessageRow,
  NotFound,
  requireMember,
  requireNotArchived,
} from "./access.ts";
import type { Actor } from "./actor.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { mentionedMembersSql } from "./mentions.ts";
import { ZEditMessage, ZMessageRef, ZReaction } from "./schemas.ts";
import { appendConversationEvent, inWriteTx, type Tx } from "./tx.ts";

/** One emoji's reactions on a message, as history shows them. */
export type ReactionGroupDto = { emoji: string; count: number; userIds: string[] };

/**
 * The reactions of each message in `messageIds`, grouped by emoji in order of first use (and the
 * reacting users in the order they reacted), in one query. Messages without reactions are absent.
 */
export async function loadReactions(
  db: Tx,
  messageIds: readonly string[],
): Promise<Map<string, ReactionGroupDto[]>> {
  const byMessage = new Map<string, ReactionGroupDto[]>();
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

/**
 * The message to change, locked (`lockMessageRow`: conversation row, then message row), after
 * checking the actor may write there: NOT_FOUND "Message not found" for unknown messages and for
 * messages in conversations the actor cannot read; FORBIDDEN for a readable public channel they
 * have not joined or an archived conversation; NOT_FOUND for a deleted message.
 */
async function lockMessage(tx: Tx, actor: Actor, messageId: string): Promise<LockedMessageRow> {
  const message = await lockMessageRow(tx, actor, messageId);
  requireMember(message.access, NotFound.message);
  requireNotArchived(message.access);
  if (message.deletedAt) throw new ParleyError("NOT_FOUND", "This message was deleted");
  return message;
}

/** What `editMessage` did: `seq` is the message.edited event's, null when the body was unchanged. */
export type EditResult = {
  messageId: string;
  conversationId: string;
  body: string;
  editedAt: Date | null;
  /** The mentions of the body as it now stands (see MessageDto). */
  mentionedUserIds: string[];
  mentionsAll: boolean;
  seq: number | null;
};

/**
 * Replaces a message's body (its sender only, while a member of a conversation that is not
 * archived; not once deleted). Appends `message.edited` {messageId, body, editedAt,
 * mentionedUserIds, mentionsAll} and updates Message.body/editedAt and the mentions (recomputed
 * from the new body against the current members) in one transaction. The message.created entry
 * keeps the original body: the log is history and replaying it in order ends at the latest edit.
 * An unchanged body writes nothing.
 */
export async function editMessage(db: Db, actor: Actor, input: unknown): Promise<EditResult> {
  const { messageId, body } = parseInput(ZEditMessage, input);
  return inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    if (message.senderId !== actor.userId) {
      throw new ParleyError("FORBIDDEN", "You can only edit your own messages");
    }
    const base = { messageId, conversationId: message.conversationId, body };
    if (message.body === body) {
      const row = await w.tx.message.findUnique({
        where: { id: messageId },
        select: { editedAt: true, mentionedUserIds: true, mentionsAll: true },
      });
      return {
        ...base,
        editedAt: row?.editedAt ?? null,
        mentionedUserIds: row?.mentionedUserIds ?? [],
        mentionsAll: row?.mentionsAll ?? false,
        seq: null,
      };
    }
    const mentions = parseMentions(body);
    const [members] = await w.tx.$queryRaw<{ ids: string[] }[]>`
      SELECT ${mentionedMembersSql(mentions.userIds, message.conversationId)} AS ids`;
    const mentionedUserIds = members?.ids ?? [];
    const mentionsAll = mentions.all;
    const editedAt = new Date();
    const event = await appendConversationEvent(
      w,
      message.conversationId,
      EventKind.MessageEdited,
      actor.userId,
      { messageId, body, editedAt, mentionedUserIds, mentionsAll },
    );
    await w.tx.message.update({
      where: { id: messageId },
      data: { body, editedAt, mentionedUserIds, mentionsAll },
    });
    return { ...base, editedAt, mentionedUserIds, mentionsAll, seq: event.seq };
  });
}

/** What a reaction change did: `seq` is its event's, null when nothing changed (no event). */
export type ReactionResult = {
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
export async function addReaction(db: Db, actor: Actor, input: unknown): Promise<ReactionResult> {
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
 * {messageId, userId, emoji}. Removing a reaction the actor does not have writes nothing.
 */
export async function removeReaction(db: Db, actor: Actor, input: unknown): Promise<ReactionResult> {
  const { messageId, emoji } = parseInput(ZReaction, input);
  return inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    const deleted = await w.tx.$executeRaw`
      DELETE FROM "Reaction"
      WHERE "messageId" = ${messageId}::uuid AND "userId" = ${actor.userId}::uuid AND emoji = ${emoji}`;
    const base = { messageId, conversationId: message.conversationId, emoji };
    if (deleted === 0) return { ...base, isChanged: false, seq: null };
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

/** What a pin change did: the message's pin state now; `seq` is its event's, null when unchanged. */
export type PinResult = {
  messageId: string;
  conversationId: string;
  pinnedAt: Date | null;
  pinnedById: string | null;
  isChanged: boolean;
  seq: number | null;
};

/**
 * Pins a message to its conversation (any member of a conversation that is not archived; not a
 * deleted message) and appends `message.pinned` {messageId, pinnedAt, pinnedById}. Pinning a
 * pinned message writes nothing.
 */
export async function pinMessage(db: Db, actor: Actor, input: unknown): Promise<PinResult> {
  const { messageId } = parseInput(ZMessageRef, input);
  return inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    const base = { messageId, conversationId: message.conversationId };
    if (message.pinnedAt) {
      return {
        ...base,
        pinnedAt: message.pinnedAt,
        pinnedById: message.pinnedById,
        isChanged: false,
        seq: null,
      };
    }
    const pinnedAt = new Date();
    const event = await appendConversationEvent(
      w,
      message.conversationId,
      EventKind.MessagePinned,
      actor.userId,
      { messageId, pinnedAt, pinnedById: actor.userId },
    );
    await w.tx.message.update({ where: { id: messageId }, data: { pinnedAt, pinnedById: actor.userId } });
    return { ...base, pinnedAt, pinnedById: actor.userId, isChanged: true, seq: event.seq };
  });
}

/**
 * Removes a message's pin (any member of a conversation that is not archived) and appends
 * `message.unpinned` {messageId}. Unpinning a message that is not pinned writes nothing.
 */
export async function unpinMessage(db: Db, actor: Actor, input: unknown): Promise<PinResult> {
  const { messageId } = parseInput(ZMessageRef, input);
  return inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    const base = { messageId, conversationId: message.conversationId, pinnedAt: null, pinnedById: null };
    if (!message.pinnedAt) return { ...base, isChanged: false, seq: null };
    const event = await appendConversationEvent(
      w,
      message.conversationId,
      EventKind.MessageUnpinned,
      actor.userId,
      { messageId },
    );
    await w.tx.message.update({ where: { id: messageId }, data: { pinnedAt: null, pinnedById: null } });
    return { ...base, isChanged: true, seq: event.seq };
  });
}
