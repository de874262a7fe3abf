/**
 * Custom emoji writes that touch storage (exported from `@parley/core/files`: this loads sharp).
 *
 * Adding: the image arrives inline (base64, at most MAX_EMOJI_UPLOAD_BYTES: emoji are small, so
 * no presigned upload), must decode as PNG, JPEG, GIF or WebP, and is stored resized to fit
 * EMOJI_PX × EMOJI_PX as WebP (animated GIFs stay animated) under `emoji/<id>.webp`. The object is
 * written first, then ONE transaction inserts the row (the unique name decides a race), tells
 * every active user (`emoji.changed` on their log: open clients update their list, resuming ones
 * replay it) and writes the audit entry; if that fails the object is removed again.
 * Deleting: one transaction (row, events, audit), then the object. Messages keep `:name:`.
 */
import type { TDb } from "@parley/db";
import { isUniqueViolation } from "@parley/db";
import { type TCustomEmoji, UserEventKind, zText } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import sharp from "sharp";
import { z } from "zod";
import { isAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { deleteObjects } from "../files/objects.ts";
import { uuidv7 } from "../ids.ts";
import { ZId } from "../schemas.ts";
import { appendSameUserEvent, inWriteTx, type TWriter } from "../tx.ts";
import { requireFreeName, requireMayAddEmoji, ZCustomEmojiName, ZCustomEmojiRef } from "./custom.ts";

/** Largest image accepted, in bytes (before resizing). */
export const MAX_EMOJI_UPLOAD_BYTES = 256 * 1024;
/** Stored images fit in a square of this many pixels. */
export const EMOJI_PX = 128;
/** How long an emoji image URL works (the web's redirect is cached for less). */
export const EMOJI_URL_TTL_SEC = 3600;

const FORMATS = new Set(["png", "jpeg", "gif", "webp"]);
const MAX_BASE64 = Math.ceil(MAX_EMOJI_UPLOAD_BYTES / 3) * 4;

/** A new custom emoji: its name and the image as base64 (a `data:image/…;base64,` prefix is allowed). */
export const ZCreateCustomEmoji = z.object({
  name: ZCustomEmojiName,
  image: zText()
    .trim()
    .transform((s) => s.replace(/^data:[a-z0-9.+/-]+;base64,/i, ""))
    .pipe(
      z
        .string()
        .min(1, errorTemplate("image is required"))
        .max(MAX_BASE64, `the image is at most ${MAX_EMOJI_UPLOAD_BYTES / 1024} KB`)
        .regex(/^[A-Za-z0-9+/]+={0,2}$/, errorTemplate("the image must be base64")),
    ),
});

export const ZCustomEmojiImage = z.object({ id: ZId });

/** Every active user's id (who is told about an emoji change). */
async function activeUserIds(w: TWriter): Promise<string[]> {
  const rows = await w.tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM "User" WHERE "deactivatedAt" IS NULL`;
  return rows.map((r) => r.id);
}

/** The image resized to fit EMOJI_PX as WebP; BAD_REQUEST for anything that is not a picture. */
async function resizeEmoji(bytes: Buffer): Promise<Buffer> {
  const options = { animated: true, limitInputPixels: 4096 * 4096 } as const;
  const meta = await sharp(bytes, options)
    .metadata()
    .catch(() => null);
  if (!meta?.format || !FORMATS.has(meta.format)) {
    throw new ParleyError("BAD_REQUEST", "The image must be a PNG, JPEG, GIF or WebP picture");
  }
  try {
    return await sharp(bytes, options)
      .resize(EMOJI_PX, EMOJI_PX, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 90 })
      .toBuffer();
  } catch {
    throw new ParleyError("BAD_REQUEST", "The image could not be read");
  }
}

/**
 * Adds a custom emoji (members and admins, or admins only when restricted; never guests). CONFLICT
 * for a standard emoji's name or one already used; BAD_REQUEST for an image that is not a picture.
 */
export async function createCustomEmoji(
  db: TDb,
  /** The storage, or how to get it (only once the input and permissions passed). */
  storageOrGet: TStorage | (() => Promise<TStorage>),
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TCustomEmoji> {
  const { name, image } = parseInput(ZCreateCustomEmoji, input);
  await requireMayAddEmoji(db, actor);
  await requireFreeName(db, name);
  const bytes = Buffer.from(image, "base64");
  if (bytes.length > MAX_EMOJI_UPLOAD_BYTES) {
    throw new ParleyError("BAD_REQUEST", "The image is at most {size} KB", {
      params: { size: MAX_EMOJI_UPLOAD_BYTES / 1024 },
    });
  }
  const resized = await resizeEmoji(bytes);
  const storage = typeof storageOrGet === "function" ? await storageOrGet() : storageOrGet;
  const id = uuidv7();
  const objectKey = `emoji/${id}.webp`;
  await storage.putObject(objectKey, resized, { contentType: "image/webp", size: resized.length });
  try {
    return await inWriteTx(db, async (w) => {
      await requireMayAddEmoji(w.tx, actor); // the policy as it is now
      const emoji = await w.tx.customEmoji.create({
        data: { id, name, objectKey, mime: "image/webp", createdById: actor.userId },
        select: { id: true, name: true, createdById: true, createdAt: true },
      });
      await appendSameUserEvent(w, await activeUserIds(w), UserEventKind.EmojiChanged, { name, emoji });
      await recordAudit(w.tx, {
        action: "emoji.created",
        actorId: actor.userId,
        target: { type: "emoji", id, label: `:${name}:` },
        origin,
        details: { name, bytes: resized.length },
      });
      return emoji;
    });
  } catch (err) {
    await deleteObjects(storage, [objectKey]);
    if (isUniqueViolation(err))
      throw new ParleyError("CONFLICT", "There is already a custom emoji :{name}:", { params: { name } });
    throw err;
  }
}

/**
 * Deletes a custom emoji (its creator or an admin). Messages and reactions keep the text `:name:`;
 * clients drop it from their list on `emoji.changed` {emoji: null}.
 */
export async function deleteCustomEmoji(
  db: TDb,
  storage: TStorage | undefined,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<{ name: string }> {
  const { name } = parseInput(ZCustomEmojiRef, input);
  const objectKey = await inWriteTx(db, async (w) => {
    const [row] = await w.tx.$queryRaw<{ id: string; objectKey: string; createdById: string | null }[]>`
      SELECT id::text AS id, "objectKey", "createdById"::text AS "createdById"
      FROM "CustomEmoji" WHERE name = ${name} FOR UPDATE`;
    if (!row) throw new ParleyError("NOT_FOUND", "There is no custom emoji :{name}:", { params: { name } });
    if (row.createdById !== actor.userId && !isAdmin(actor)) {
      throw new ParleyError("FORBIDDEN", "Only its creator or a workspace admin can delete a custom emoji");
    }
    await w.tx.customEmoji.delete({ where: { id: row.id } });
    await appendSameUserEvent(w, await activeUserIds(w), UserEventKind.EmojiChanged, { name, emoji: null });
    await recordAudit(w.tx, {
      action: "emoji.deleted",
      actorId: actor.userId,
      target: { type: "emoji", id: row.id, label: `:${name}:` },
      origin,
      details: { name, createdById: row.createdById },
    });
    return row.objectKey;
  });
  if (storage) await deleteObjects(storage, [objectKey]);
  return { name };
}

/** A short-lived URL of an emoji's image (anyone signed in); NOT_FOUND for an unknown id. */
export async function customEmojiImageUrl(
  db: TDb,
  storage: TStorage,
  _actor: TActor,
  input: unknown,
): Promise<{ url: string }> {
  const { id } = parseInput(ZCustomEmojiImage, input);
  const row = await db.customEmoji.findUnique({ where: { id }, select: { objectKey: true, mime: true } });
  if (!row) throw new ParleyError("NOT_FOUND", "Emoji not found");
  const url = await storage.presignGet(row.objectKey, {
    expiresSec: EMOJI_URL_TTL_SEC,
    contentType: row.mime,
    disposition: "inline",
  });
  return { url };
}
