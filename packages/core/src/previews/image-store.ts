/**
 * Where a message's preview image lives and who may get it. Each message showing a preview with
 * an image has its own copy in storage at `previewImageKey` (derived from the ids, so every
 * cleanup path finds it without a row): removing the preview, deleting the message, retention and
 * deleting the channel remove it after their transaction commits (best effort, logged).
 * `getPreviewImageUrl` checks NOW that the reader can read the message's conversation and that the
 * message still shows a preview with an image, then presigns a short-lived GET — the same rule as
 * attachments (files.ts `getDownloadUrl`); the web route /api/previews/<messageId>/image redirects
 * to it. Loads no sharp.
 */
import type { TDb } from "@parley/db";
import { ZLinkPreview } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import { z } from "zod";
import { loadAccess, NotFound, notFound, requireRead } from "../access.ts";
import type { TActor } from "../actor.ts";
import { parseInput } from "../errors.ts";
import { deleteObjects } from "../files/objects.ts";
import { ZId } from "../schemas.ts";

/** How long a presigned preview image URL is valid (the web route caches its redirect for less). */
export const PREVIEW_IMAGE_URL_TTL_SEC = 300;

/** The storage key of one message's preview image. */
export const previewImageKey = (conversationId: string, messageId: string) =>
  `lp/${conversationId}/${messageId}.webp`;

export const ZPreviewImageRef = z.object({ messageId: ZId });

/** A presigned URL for the preview image of a message the actor can read (NOT_FOUND otherwise). */
export async function getPreviewImageUrl(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
): Promise<{ url: string; expiresAt: Date }> {
  const { messageId } = parseInput(ZPreviewImageRef, input);
  const message = await db.message.findUnique({
    where: { id: messageId },
    select: { conversationId: true, deletedAt: true, linkPreview: true },
  });
  // Unknown, unreadable, deleted and image-less all answer the same NOT_FOUND.
  if (!message) throw notFound(NotFound.message);
  requireRead(await loadAccess(db, actor, message.conversationId), NotFound.message);
  const preview = message.linkPreview === null ? null : ZLinkPreview.safeParse(message.linkPreview);
  if (message.deletedAt || !preview?.success || !preview.data.image) throw notFound(NotFound.message);
  const url = await storage.presignGet(previewImageKey(message.conversationId, messageId), {
    expiresSec: PREVIEW_IMAGE_URL_TTL_SEC,
    contentType: "image/webp",
    disposition: "inline",
  });
  return { url, expiresAt: new Date(Date.now() + PREVIEW_IMAGE_URL_TTL_SEC * 1000) };
}

/** SQL: true when the Message row aliased `m` shows a preview with an image. */
export const HAS_PREVIEW_IMAGE_SQL = `jsonb_typeof(m."linkPreview"->'image') = 'object'`;

/** Removes the preview images of these messages (after the commit that made them unreachable). */
export async function deletePreviewImages(
  storage: TStorage | undefined,
  messages: readonly { conversationId: string; id: string }[],
): Promise<void> {
  if (!storage || messages.length === 0) return;
  await deleteObjects(
    storage,
    messages.map((m) => previewImageKey(m.conversationId, m.id)),
  );
}
