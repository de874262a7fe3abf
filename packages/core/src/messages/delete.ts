/**
 * Deleting a message: the log entry, blanking its body in the log, thread counters, and making its
 * files unreachable (rows marked `deleted` in the transaction, objects removed after commit).
 * Exported from `@parley/core/files` (it takes the storage), not the main entry point.
 */
import { Prisma, type TDb } from "@parley/db";
import { EventKind } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import { z } from "zod";
import { lockMessageRow } from "../access.ts";
import { isAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { deleteObjects } from "../files/objects.ts";
import { deletePreviewImages } from "../previews/image-store.ts";
import { ZId } from "../schemas.ts";
import { appendConversationEvent, inWriteTx } from "../tx.ts";
import { isHeldToDeleteWindow, requireWithinWindow } from "./windows.ts";

export const ZDeleteMessage = z.object({ messageId: ZId });
export type TDeleteMessage = z.output<typeof ZDeleteMessage>;

/** A thread root's counters after one of its replies was deleted. */
export type TThreadRootCounts = { threadRootId: string; replyCount: number; lastReplyAt: Date | null };

/** What `deleteMessage` did; `thread` is set when the message was a thread reply. */
export type TDeletedMessage = {
  messageId: string;
  conversationId: string;
  seq: number;
  deletedAt: Date;
  thread: TThreadRootCounts | null;
};

/**
 * Deletes a message (its sender, or a workspace admin): appends `message.deleted` under the
 * conversation's seq lock, blanks the body (also in its `message.created` and `message.edited` log
 * entries, so a later sync does not replay it), marks its files `deleted` — from then on no
 * download URL is issued — and, after commit, removes their objects (the sweeper retries any
 * that fail). Deleting a deleted message changes nothing and returns the first deletion.
 * A deleted message is no longer pinned (no separate `message.unpinned`). Deleting a thread reply
 * recounts its root's `replyCount` (live replies) and `lastReplyAt` (the latest live reply, or
 * null) in the same transaction, and the event carries them so clients patch the root in place.
 * An admin deleting someone else's message is audit-logged in the same transaction. A member
 * deleting their own message past the workspace's delete window (windows.ts) gets FORBIDDEN with
 * reason DELETE_WINDOW_CLOSED; admins may always delete. `options.now` is the window's clock.
 */
export async function deleteMessage(
  db: TDb,
  actor: TActor,
  input: unknown,
  storage?: TStorage,
  origin?: TAuditOrigin,
  options: { now?: Date } = {},
): Promise<TDeletedMessage> {
  const { messageId } = parseInput(ZDeleteMessage, input);
  const result = await inWriteTx(db, async (w) => {
    // Conversation row lock first, then the message's: the order every message writer uses
    // (see messages/lock.ts), so a delete never deadlocks with an edit, a reaction or a reply.
    // Unknown and unreadable messages answer alike (NOT_FOUND); admins may delete anywhere.
    const admin = isAdmin(actor);
    const message = await lockMessageRow(w.tx, actor, messageId, { bypassRead: admin });
    if (!admin && message.senderId !== actor.userId) {
      throw new ParleyError("FORBIDDEN", "You can only delete your own messages");
    }
    if (message.deletedAt) {
      return {
        conversationId: message.conversationId,
        seq: message.seq,
        deletedAt: message.deletedAt,
        thread: message.threadRootId ? await threadRootCounts(w.tx, message.threadRootId) : null,
        files: [] as { objectKey: string; thumbnailKey: string | null }[],
        hadPreviewImage: false,
      };
    }
    if (isHeldToDeleteWindow(actor)) {
      await requireWithinWindow(w.tx, "delete", message.createdAt, options.now ?? new Date());
    }
    const deletedAt = new Date();
    const [preview] = await w.tx.$queryRaw<{ hasImage: boolean }[]>`
      SELECT COALESCE(jsonb_typeof("linkPreview"->'image') = 'object', false) AS "hasImage"
      FROM "Message" WHERE id = ${messageId}::uuid`;
    // A deleted message is not pinned any more: message.deleted implies the unpin. Its link
    // preview goes too (and a pending fetch: the job row cascades only with the message row).
    await w.tx.message.update({
      where: { id: messageId },
      data: { body: "", deletedAt, pinnedAt: null, pinnedById: null, linkPreview: Prisma.DbNull },
    });
    await w.tx.linkPreviewJob.deleteMany({ where: { messageId } });
    // Recount rather than decrement: the root's counters then always equal its live replies.
    // Replies are inserted under the conversation's row lock, which we hold, so none can slip in.
    let thread: TThreadRootCounts | null = null;
    if (message.threadRootId) {
      const [root] = await w.tx.$queryRaw<{ replyCount: number; lastReplyAt: Date | null }[]>`
        UPDATE "Message" AS r SET "replyCount" = live.n, "lastReplyAt" = live.last
        FROM (
          SELECT count(*)::int AS n, max("createdAt") AS last FROM "Message"
          WHERE "threadRootId" = ${message.threadRootId}::uuid AND "deletedAt" IS NULL
        ) AS live
        WHERE r.id = ${message.threadRootId}::uuid
        RETURNING r."replyCount", r."lastReplyAt"`;
      if (root) thread = { threadRootId: message.threadRootId, ...root };
    }
    await appendConversationEvent(w, message.conversationId, EventKind.MessageDeleted, actor.userId, {
      messageId,
      deletedAt,
      ...(thread ?? {}),
    });
    await w.tx.$executeRaw`
      UPDATE "Event"
      SET payload = jsonb_set(jsonb_set(payload, '{message,body}', '""'), '{message,attachments}', '[]')
      WHERE "conversationId" = ${message.conversationId}::uuid AND seq = ${message.seq}
        AND kind = ${EventKind.MessageCreated} AND payload ? 'message'`;
    // Its edits carry bodies too: blank them, so no sync replays the deleted text.
    await w.tx.$executeRaw`
      UPDATE "Event" SET payload = jsonb_set(payload, '{body}', '""')
      WHERE "conversationId" = ${message.conversationId}::uuid AND seq > ${message.seq}
        AND kind = ${EventKind.MessageEdited} AND payload->>'messageId' = ${messageId}`;
    const files = await w.tx.$queryRaw<{ objectKey: string; thumbnailKey: string | null }[]>`
      UPDATE "Attachment" SET status = 'deleted'
      WHERE "messageId" = ${messageId}::uuid
      RETURNING "objectKey", "thumbnailKey"`;
    if (message.senderId !== actor.userId) {
      // An admin removing someone else's message is an admin action; the body is never recorded.
      await recordAudit(w.tx, {
        action: "message.deleted_by_admin",
        actorId: actor.userId,
        target: { type: "message", id: messageId },
        origin,
        details: { conversationId: message.conversationId, senderId: message.senderId, seq: message.seq },
      });
    }
    const hadPreviewImage = preview?.hasImage === true;
    return {
      conversationId: message.conversationId,
      seq: message.seq,
      deletedAt,
      thread,
      files,
      hadPreviewImage,
    };
  });
  if (result.hadPreviewImage) {
    await deletePreviewImages(storage, [{ conversationId: result.conversationId, id: messageId }]);
  }
  if (storage && result.files.length > 0) {
    const isOk = await deleteObjects(
      storage,
      result.files.flatMap((f) => [f.objectKey, f.thumbnailKey]),
    );
    if (isOk) await db.attachment.deleteMany({ where: { messageId, status: "deleted" } });
  }
  return {
    messageId,
    conversationId: result.conversationId,
    seq: result.seq,
    deletedAt: result.deletedAt,
    thread: result.thread,
  };
}

/** A thread root's current counters (for repeating an earlier deletion's answer). */
async function threadRootCounts(
  tx: Pick<TDb, "message">,
  threadRootId: string,
): Promise<TThreadRootCounts | null> {
  const root = await tx.message.findUnique({
    where: { id: threadRootId },
    select: { replyCount: true, lastReplyAt: true },
  });
  return root ? { threadRootId, ...root } : null;
}
