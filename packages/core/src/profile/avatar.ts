/**
 * Avatars: upload, verification, square thumbnails and authorized downloads — the attachments'
 * path (files.ts) with a fixed place per person instead of an Attachment row.
 *
 * Flow: `createAvatarUpload` checks who may set it, the declared type and size, and returns a
 * presigned PUT to `avatar/<userId>/upload` (one place per person: a new upload replaces an
 * unfinished one, so an abandoned upload leaves at most one object). `completeAvatarUpload` reads
 * that object back, checks its size, its real type from its bytes (PNG, JPEG, GIF, WebP), and its
 * dimensions from the header BEFORE decoding (a decompression bomb is refused without being
 * decoded); then sharp renders square WebP thumbnails (AVATAR_SIZES, centre-cropped, EXIF rotation
 * applied) to `avatar/<userId>/<avatarId>/<px>.webp`. The user's avatarId moves to the new id in a
 * transaction that also announces it (profile.ts `announceProfile`); the old avatar's objects and
 * the upload are removed after. A refused file is removed and nothing else is stored.
 * `avatarDownloadUrl` re-checks that the viewer may see the person and that the id is current, and
 * returns a presigned GET valid for AVATAR_URL_TTL_SEC (the web route caches its redirect for less).
 *
 * Loads sharp and file-type: imported as `@parley/core/avatars` (not from the package's index).
 */
import { buffer as readAll } from "node:stream/consumers";
import type { TDb } from "@parley/db";
import type { TPresignedPut, TStorage } from "@parley/storage";
import { fileTypeFromBuffer } from "file-type";
import sharp from "sharp";
import { z } from "zod";
import type { TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { deleteObjects } from "../files/objects.ts";
import { uuidv7 } from "../ids.ts";
import { ZId, ZMimeType } from "../schemas.ts";
import { inWriteTx } from "../tx.ts";
import {
  announceProfile,
  readProfile,
  requireProfileEditor,
  requireSeesPerson,
  type TProfileDto,
} from "./profile.ts";

/** Largest avatar upload in bytes. */
export const AVATAR_MAX_BYTES = 10 * 1024 * 1024;
/** Most pixels an avatar image may have (width × height, read from its header): 40 MP. */
export const AVATAR_MAX_PIXELS = 40_000_000;
/** The square thumbnails made of every avatar, in pixels. */
export const AVATAR_SIZES = [64, 256] as const;
export type TAvatarSize = (typeof AVATAR_SIZES)[number];
/** Image types accepted (sharp decodes them; an animated GIF or WebP keeps its first frame). */
export const AVATAR_TYPES: readonly string[] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/** How long a presigned avatar URL stays valid. */
export const AVATAR_URL_TTL_SEC = 3600;
const UPLOAD_URL_TTL_SEC = 600;

const TYPES_TEXT = "PNG, JPEG, GIF or WebP";

export const ZCreateAvatarUpload = z
  .object({
    userId: ZId.optional(),
    size: z
      .number()
      .int()
      .min(1, errorTemplate("the file is empty"))
      .max(AVATAR_MAX_BYTES, `an avatar is at most ${AVATAR_MAX_BYTES / 1024 / 1024} MiB`),
    mime: ZMimeType.refine((m) => AVATAR_TYPES.includes(m), `an avatar must be a ${TYPES_TEXT} image`),
  })
  .strict();
export const ZAvatarRef = z.object({ userId: ZId.optional() }).strict();
export const ZAvatarDownload = z.object({
  userId: ZId,
  avatarId: ZId,
  size: z.union(AVATAR_SIZES.map((s) => z.literal(s))).default(256),
});

/** Where a person's avatar upload goes (one per person). */
export const avatarUploadKey = (userId: string) => `avatar/${userId}/upload`;
/** The objects of one avatar. */
export const avatarKeys = (userId: string, avatarId: string) =>
  AVATAR_SIZES.map((px) => avatarKeyFor(userId, avatarId, px));
export const avatarKeyFor = (userId: string, avatarId: string, px: TAvatarSize) =>
  `avatar/${userId}/${avatarId}/${px}.webp`;

/** What `createAvatarUpload` returns: how to PUT the bytes, and until when. */
export type TAvatarUploadTicket = { upload: TPresignedPut; expiresAt: Date };

/** Starts an avatar upload (yours, or an admin's for someone they outrank): a presigned PUT. */
export async function createAvatarUpload(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
): Promise<TAvatarUploadTicket> {
  const data = parseInput(ZCreateAvatarUpload, input);
  const target = await requireProfileEditor(db, actor, data.userId);
  const upload = await storage.presignPut(avatarUploadKey(target.id), {
    expiresSec: UPLOAD_URL_TTL_SEC,
    contentType: data.mime,
    size: data.size,
  });
  return { upload, expiresAt: new Date(Date.now() + UPLOAD_URL_TTL_SEC * 1000) };
}

/**
 * Verifies the uploaded image, stores its thumbnails and makes it the avatar (see the flow above);
 * returns the profile. A refused file is removed and the avatar stays as it was.
 */
export async function completeAvatarUpload(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TProfileDto> {
  const { userId } = parseInput(ZAvatarRef, input);
  const target = await requireProfileEditor(db, actor, userId);
  const uploadKey = avatarUploadKey(target.id);
  const info = await storage.statObject(uploadKey);
  if (!info) throw new ParleyError("BAD_REQUEST", "The image has not been uploaded yet");
  let thumbnails: Map<TAvatarSize, Buffer>;
  try {
    if (info.size > AVATAR_MAX_BYTES) {
      throw new ParleyError("BAD_REQUEST", "An avatar is at most {size} MiB", {
        params: { size: AVATAR_MAX_BYTES / 1024 / 1024 },
      });
    }
    thumbnails = await renderAvatar(await readAll(await storage.getObject(uploadKey)));
  } catch (err) {
    await deleteObjects(storage, [uploadKey]);
    throw err;
  }
  const avatarId = uuidv7();
  const keys = avatarKeys(target.id, avatarId);
  let previous: string | null = null;
  try {
    for (const px of AVATAR_SIZES) {
      const body = thumbnails.get(px) as Buffer;
      await storage.putObject(avatarKeyFor(target.id, avatarId, px), body, {
        contentType: "image/webp",
        size: body.length,
      });
    }
    const profile = await setAvatarId(db, actor, target, avatarId, origin, (old) => {
      previous = old;
    });
    await deleteObjects(storage, [uploadKey, ...(previous ? avatarKeys(target.id, previous) : [])]);
    return profile;
  } catch (err) {
    await deleteObjects(storage, keys);
    throw err;
  }
}

/** Removes the avatar (yours, or an admin's for someone they outrank); the UI shows initials. */
export async function removeAvatar(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TProfileDto> {
  const { userId } = parseInput(ZAvatarRef, input);
  const target = await requireProfileEditor(db, actor, userId);
  let previous: string | null = null;
  const profile = await setAvatarId(db, actor, target, null, origin, (old) => {
    previous = old;
  });
  if (previous) await deleteObjects(storage, avatarKeys(target.id, previous));
  return profile;
}

/** Sets User.avatarId under the row lock, announces it, audits an admin's change; no-op when equal. */
async function setAvatarId(
  db: TDb,
  actor: TActor,
  target: { id: string; email: string; isSelf: boolean },
  avatarId: string | null,
  origin: TAuditOrigin | undefined,
  onPrevious: (previous: string | null) => void,
): Promise<TProfileDto> {
  return inWriteTx(db, async (w) => {
    await w.tx.$queryRaw`SELECT id FROM "User" WHERE id = ${target.id}::uuid FOR UPDATE`;
    const before = await readProfile(w.tx, target.id);
    if (!before) throw new ParleyError("NOT_FOUND", "User not found");
    onPrevious(before.avatarId);
    if (before.avatarId === avatarId) return before;
    await w.tx.user.update({ where: { id: target.id }, data: { avatarId } });
    const after = { ...before, avatarId };
    await announceProfile(w, actor, after);
    if (!target.isSelf) {
      await recordAudit(w.tx, {
        action: "user.avatar_changed",
        actorId: actor.userId,
        target: { type: "user", id: target.id, label: target.email },
        origin,
        details: { removed: avatarId === null },
      });
    }
    return after;
  });
}

/**
 * The square WebP thumbnails of an uploaded image. BAD_REQUEST when the bytes are not a PNG,
 * JPEG, GIF or WebP image, when its header declares more than AVATAR_MAX_PIXELS (checked before
 * anything is decoded), or when it does not decode.
 */
export async function renderAvatar(bytes: Buffer): Promise<Map<TAvatarSize, Buffer>> {
  const detected = (await fileTypeFromBuffer(bytes))?.mime;
  if (!detected || !AVATAR_TYPES.includes(detected)) {
    throw new ParleyError("BAD_REQUEST", "This file is not a {types} image", {
      params: { types: TYPES_TEXT },
    });
  }
  const options = { limitInputPixels: AVATAR_MAX_PIXELS, failOn: "error" } as const;
  let width = 0;
  let height = 0;
  try {
    // metadata() reads the header only: the dimensions are known before any pixel is decoded
    // (without sharp's pixel limit here, so that a bomb gets the message below, not "cannot be read").
    ({ width, height } = await sharp(bytes, { limitInputPixels: false, failOn: "error" }).metadata());
  } catch {
    throw new ParleyError("BAD_REQUEST", "This image cannot be read");
  }
  if (!width || !height) throw new ParleyError("BAD_REQUEST", "This image cannot be read");
  if (width * height > AVATAR_MAX_PIXELS) {
    throw new ParleyError(
      "BAD_REQUEST",
      "This image is too large ({width}×{height}); an avatar is at most {megapixels} megapixels",
      { params: { width, height, megapixels: AVATAR_MAX_PIXELS / 1_000_000 } },
    );
  }
  const out = new Map<TAvatarSize, Buffer>();
  try {
    for (const px of AVATAR_SIZES) {
      const thumbnail = await sharp(bytes, options)
        .rotate()
        .resize(px, px, { fit: "cover", position: "centre" })
        .webp({ quality: 82 })
        .toBuffer();
      out.set(px, thumbnail);
    }
  } catch {
    throw new ParleyError("BAD_REQUEST", "This image cannot be read");
  }
  return out;
}

/** A short-lived URL for one avatar thumbnail. */
export type TAvatarLink = { url: string; expiresAt: Date };

/**
 * A download URL for someone's current avatar, after checking now that the viewer may see them
 * (a guest: only people they share a channel with). An old or unknown avatarId is NOT_FOUND.
 */
export async function avatarDownloadUrl(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
): Promise<TAvatarLink> {
  const { userId, avatarId, size } = parseInput(ZAvatarDownload, input);
  await requireSeesPerson(db, actor, userId, errorTemplate("Avatar not found"));
  const user = await db.user.findUnique({ where: { id: userId }, select: { avatarId: true } });
  if (!user || user.avatarId !== avatarId) throw new ParleyError("NOT_FOUND", "Avatar not found");
  const url = await storage.presignGet(avatarKeyFor(userId, avatarId, size), {
    expiresSec: AVATAR_URL_TTL_SEC,
    contentType: "image/webp",
    fileName: `avatar-${size}.webp`,
    disposition: "inline",
  });
  return { url, expiresAt: new Date(Date.now() + AVATAR_URL_TTL_SEC * 1000) };
}
