/**
 * Pinning and unpinning: `message.pinned` / `message.unpinned` are appended under the
 * conversation's seq lock in the same transaction as Message.pinnedAt/pinnedById (lock order:
 * messages/lock.ts). Pinning a pinned message (or unpinning one that is not) writes nothing, and
 * the message row lock orders concurrent pins. Listing pins is a read: `listPins` in messages.ts.
 */
import type { TDb } from "@parley/db";
import { EventKind } from "@parley/protocol";
import type { TActor } from "../actor.ts";
import { parseInput } from "../errors.ts";
import { ZMessageRef } from "../schemas.ts";
import { appendConversationEvent, inWriteTx } from "../tx.ts";
import { lockMessage } from "./lock.ts";

/** What a pin change did: the message's pin state now; `seq` is its event's, null when unchanged. */
export type TPinResult = {
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
export async function pinMessage(db: TDb, actor: TActor, input: unknown): Promise<TPinResult> {
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
export async function unpinMessage(db: TDb, actor: TActor, input: unknown): Promise<TPinResult> {
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
