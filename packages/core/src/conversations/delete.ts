/**
 * Deleting a channel (admins; issue 13): the channel and everything in it — memberships, its log,
 * messages, reactions, pins, search rows and cursors, attachment rows — go in ONE transaction
 * (foreign keys cascade from Conversation), and the files' objects are removed after commit.
 * Exported from `@parley/core/files` (it takes the storage), like message deletion.
 *
 * Why one transaction and not batches: a channel half deleted would be visible (a public channel
 * with part of its history, or members without messages), and a send racing the deletion must
 * either land before it — and go with it — or fail cleanly. The transaction holds the
 * conversation's row lock, which every writer of that conversation takes first (sends lock it to
 * number the message), so a concurrent send waits, then finds the row gone and answers NOT_FOUND
 * (its statement updates no row and inserts nothing): no orphan can be left. The cost is a long
 * transaction for a channel with a very long history, which blocks only writers of that channel.
 * Objects are removed after commit in bounded batches; one that fails is logged and left for an
 * operator (the rows are gone, as when `deleteObjects` fails for a deleted message's file rows).
 */
import { Prisma, type TDb } from "@parley/db";
import { UserEventKind, zLine } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import { z } from "zod";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { deleteObjects, thumbnailKeyFor } from "../files/objects.ts";
import { deletePreviewImages, HAS_PREVIEW_IMAGE_SQL } from "../previews/image-store.ts";
import { ZId } from "../schemas.ts";
import { appendSameUserEvent, inWriteTx } from "../tx.ts";
import { lockChannelForAdmin } from "./admin.ts";
import { isGeneralChannel } from "./defaults.ts";

/** The channel and its name typed again (the confirmation: without a leading `#`, any case). */
export const ZDeleteChannel = z.strictObject({ conversationId: ZId, confirmName: zLine().trim().max(81) });

/** Objects removed per storage batch after commit. */
const OBJECT_BATCH = 100;

/** What `deleteChannel` removed. */
export type TDeletedChannel = {
  conversationId: string;
  name: string;
  members: number;
  messages: number;
  files: number;
};

/**
 * Deletes a channel for good (admins): everything in it, in one transaction, then its files'
 * objects. `confirmName` must be the channel's name (BAD_REQUEST otherwise, nothing changes).
 * #general cannot be deleted. Every member gets `conversation.removed {deleted: true}` on their
 * own log, so their clients drop it live (and the gateways stop routing it to them). Audit-logged
 * as channel.deleted with the counts (never content; a private channel's members are not named).
 */
export async function deleteChannel(
  db: TDb,
  actor: TActor,
  input: unknown,
  storage?: TStorage,
  origin?: TAuditOrigin,
): Promise<TDeletedChannel> {
  requireAdmin(actor);
  const { conversationId, confirmName } = parseInput(ZDeleteChannel, input);
  const result = await inWriteTx(db, async (w) => {
    const access = await lockChannelForAdmin(w.tx, actor, conversationId);
    if (confirmName.replace(/^#/, "").toLowerCase() !== access.name) {
      throw new ParleyError("BAD_REQUEST", "Type the channel's name ({name}) to confirm", {
        params: { name: access.name },
      });
    }
    if (await isGeneralChannel(w.tx, conversationId)) {
      throw new ParleyError("FORBIDDEN", "#general is where everyone is: it cannot be deleted");
    }
    const members = await w.tx.membership.findMany({ where: { conversationId }, select: { userId: true } });
    const [counts] = await w.tx.$queryRaw<{ messages: number }[]>`
      SELECT count(*)::int AS messages FROM "Message" WHERE "conversationId" = ${conversationId}::uuid`;
    const files = await w.tx.attachment.findMany({
      where: { conversationId },
      select: { objectKey: true, thumbnailKey: true },
    });
    const images = await w.tx.$queryRaw<{ conversationId: string; id: string }[]>`
      SELECT m."conversationId"::text AS "conversationId", m.id::text AS id FROM "Message" m
      WHERE m."conversationId" = ${conversationId}::uuid AND ${Prisma.raw(HAS_PREVIEW_IMAGE_SQL)}`;
    const memberIds = members.map((m) => m.userId);
    await appendSameUserEvent(w, memberIds, UserEventKind.ConversationRemoved, {
      conversationId,
      removedBy: actor.userId,
      deleted: true,
    });
    await recordAudit(w.tx, {
      action: "channel.deleted",
      actorId: actor.userId,
      target: { type: "channel", id: conversationId, label: `#${access.name}` },
      origin,
      details: {
        kind: access.kind,
        members: memberIds.length,
        messages: counts?.messages ?? 0,
        files: files.length,
      },
    });
    // Tables without a foreign key to Conversation (the notifier's cursor and
    // e-mails; push notices are cleared, with a clear push, by clearReadPushNotices once the
    // membership is gone).
    await w.tx.notifierCursor.deleteMany({ where: { conversationId } });
    await w.tx.pendingEmail.deleteMany({ where: { conversationId } });
    await w.tx.$executeRaw`DELETE FROM "Conversation" WHERE id = ${conversationId}::uuid`;
    return {
      conversationId,
      name: access.name,
      members: memberIds.length,
      messages: counts?.messages ?? 0,
      files,
      images,
    };
  });
  await deletePreviewImages(storage, result.images);
  if (storage && result.files.length > 0) {
    const keys = result.files.flatMap((f) => [f.objectKey, f.thumbnailKey ?? thumbnailKeyFor(f.objectKey)]);
    for (let i = 0; i < keys.length; i += OBJECT_BATCH) {
      await deleteObjects(storage, keys.slice(i, i + OBJECT_BATCH));
    }
  }
  const { images: _images, ...deleted } = result;
  return { ...deleted, files: result.files.length };
}
