/**
 * The sender removes their message's link preview: Message.linkPreview becomes null and
 * `message.preview` {messageId, preview: null} is appended, in one transaction under the message
 * writers' lock order (messages/lock.ts). A pending fetch for the message is dropped with it, so
 * no preview comes back later. Removing a preview that is not there writes nothing.
 */
import type { TDb } from "@parley/db";
import { EventKind } from "@parley/protocol";
import type { TActor } from "../actor.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { lockMessage } from "../messages/lock.ts";
import { ZMessageRef } from "../schemas.ts";
import { appendConversationEvent, inWriteTx } from "../tx.ts";

/** What a removal did: `seq` is its event's, null when there was no preview. */
export type TRemovePreviewResult = {
  messageId: string;
  conversationId: string;
  isChanged: boolean;
  seq: number | null;
};

/**
 * Removes the link preview of one of the actor's own messages (members of a conversation that is
 * not archived; FORBIDDEN for someone else's message, NOT_FOUND where the actor cannot read).
 */
export async function removeLinkPreview(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<TRemovePreviewResult> {
  const { messageId } = parseInput(ZMessageRef, input);
  return inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    if (message.senderId !== actor.userId) {
      throw new ParleyError("FORBIDDEN", "Only the sender can remove a message's link preview");
    }
    const base = { messageId, conversationId: message.conversationId };
    await w.tx.$executeRaw`DELETE FROM "LinkPreviewJob" WHERE "messageId" = ${messageId}::uuid`;
    const [row] = await w.tx.$queryRaw<{ hasPreview: boolean }[]>`
      SELECT "linkPreview" IS NOT NULL AS "hasPreview" FROM "Message" WHERE id = ${messageId}::uuid`;
    if (!row?.hasPreview) return { ...base, isChanged: false, seq: null };
    const event = await appendConversationEvent(
      w,
      message.conversationId,
      EventKind.MessagePreview,
      actor.userId,
      {
        messageId,
        preview: null,
      },
    );
    await w.tx.$executeRaw`UPDATE "Message" SET "linkPreview" = NULL WHERE id = ${messageId}::uuid`;
    return { ...base, isChanged: true, seq: event.seq };
  });
}
