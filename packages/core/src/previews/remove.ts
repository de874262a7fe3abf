/**
 * The sender removes their message's link preview: Message.linkPreview becomes null and
 * `message.preview` {messageId, preview: null} is appended, in one transaction under the message
 * writers' lock order (messages/lock.ts). A pending fetch for the message is dropped with it, so
 * no preview comes back later. Removing a preview that is not there writes nothing. Its image (if
 * any) is unreachable from the commit on and its object is removed right after (with `storage`).
 */
import type { TDb } from "@parley/db";
import { EventKind } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import type { TActor } from "../actor.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { lockMessage } from "../messages/lock.ts";
import { ZMessageRef } from "../schemas.ts";
import { appendConversationEvent, inWriteTx } from "../tx.ts";
import { deletePreviewImages } from "./image-store.ts";

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
  storage?: TStorage,
): Promise<TRemovePreviewResult> {
  const { messageId } = parseInput(ZMessageRef, input);
  const result = await inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    if (message.senderId !== actor.userId) {
      throw new ParleyError("FORBIDDEN", "Only the sender can remove a message's link preview");
    }
    const base = { messageId, conversationId: message.conversationId };
    await w.tx.$executeRaw`DELETE FROM "LinkPreviewJob" WHERE "messageId" = ${messageId}::uuid`;
    const [row] = await w.tx.$queryRaw<{ hasPreview: boolean; hasImage: boolean }[]>`
      SELECT "linkPreview" IS NOT NULL AS "hasPreview",
        COALESCE(jsonb_typeof("linkPreview"->'image') = 'object', false) AS "hasImage"
      FROM "Message" WHERE id = ${messageId}::uuid`;
    if (!row?.hasPreview) return { ...base, isChanged: false, seq: null, hasImage: false };
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
    return { ...base, isChanged: true, seq: event.seq, hasImage: row.hasImage };
  });
  const { hasImage, ...removed } = result;
  if (hasImage)
    await deletePreviewImages(storage, [{ conversationId: removed.conversationId, id: messageId }]);
  return removed;
}
