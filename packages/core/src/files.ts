/**
 * Attachments: upload, verification, thumbnails and authorized downloads. Cleanup is in
 * files/sweeper.ts, the storage singleton in files/storage.ts, and message deletion (which owns
 * making a message's files unreachable) in messages/delete.ts; all are exported from here.
 *
 * Flow: `createUpload` checks membership and limits, stores a `pending` Attachment row under a
 * server-chosen key (`att/<conversationId>/<uuid>/<safe-name>`) and returns a presigned PUT (the
 * bytes go straight from the browser to storage). `completeUpload` checks the stored object (size,
 * real type from its first bytes), makes a WebP thumbnail of real images with sharp and marks the
 * row `ready`; only then can `sendMessage` link it (see messages/send-one.ts). `getDownloadUrl` re-checks
 * read access at every call and returns a presigned GET that expires in minutes, so a member
 * removed from a private channel loses its files at once. `sweepPendingUploads` deletes uploads
 * never sent within the TTL and finishes the cleanup of deleted messages' files.
 *
 * Row states: pending → ready → (linked to a message) → deleted (message deleted; objects being
 * removed) → row gone. Cleanup always marks the rows `deleted` (or deletes them) BEFORE removing
 * objects, so nothing can link or serve a file whose bytes are going away, and a crash in between
 * leaves `deleted` rows the sweeper retries.
 *
 * This module loads sharp and file-type; it is imported as `@parley/core/files` so processes that
 * never touch files (the gateway) do not load them. To support a new thumbnail format: add its
 * MIME type to THUMBNAIL_TYPES (sharp must decode it).
 */

import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { buffer as readAll } from "node:stream/consumers";
import {
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_PENDING_UPLOAD_TTL_MINUTES,
  DEFAULT_UPLOAD_BLOCKED_TYPES,
} from "@parley/config";
import type { TDb } from "@parley/db";
import { zText } from "@parley/protocol";
import type { TPresignedPut, TStorage } from "@parley/storage";
import { fileTypeFromBuffer } from "file-type";
import { lookup as lookupMimeType } from "mime-types";
import sharp from "sharp";
import { z } from "zod";
import { loadAccess, NotFound, notFound, requireMember, requireNotArchived, requireRead } from "./access.ts";
import type { TActor } from "./actor.ts";
import { errorTemplate, isParleyError, ParleyError, parseInput } from "./errors.ts";
import { deleteObjects, thumbnailKeyFor } from "./files/objects.ts";
import type { TFilesEnv } from "./files/storage.ts";
import { attachmentSelect, type TAttachmentDto, toAttachmentDto } from "./messages.ts";
import { ZId, ZMimeType } from "./schemas.ts";
import { resolveUploadLimits } from "./workspace.ts";

export { deleteChannel, type TDeletedChannel, ZDeleteChannel } from "./conversations/delete.ts";
export * from "./emoji/upload.ts";
export { getStorage, type TFilesEnv } from "./files/storage.ts";
export { sweepOccasionally, sweepPendingUploads } from "./files/sweeper.ts";
export {
  deleteMessage,
  type TDeletedMessage,
  type TDeleteMessage,
  type TThreadRootCounts,
  ZDeleteMessage,
} from "./messages/delete.ts";
export { ZMimeType };

// ---------------------------------------------------------------------------------------------
// Limits and settings

/** Upload limits core enforces; the defaults equal @parley/config's. */
export type TUploadLimits = {
  /** Largest file in bytes. */
  maxUploadBytes: number;
  /** Refused MIME types (lower-case, no parameters). */
  blockedTypes: readonly string[];
  /** Unsent uploads older than this are swept. */
  pendingTtlMinutes: number;
};

/** The defaults of @parley/config (the one place they are defined). */
export const DEFAULT_UPLOAD_LIMITS: Readonly<TUploadLimits> = Object.freeze({
  maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
  blockedTypes: DEFAULT_UPLOAD_BLOCKED_TYPES,
  pendingTtlMinutes: DEFAULT_PENDING_UPLOAD_TTL_MINUTES,
});

/**
 * The server's upload limits from a settings object: the defaults a workspace's own limits
 * override; MAX_UPLOAD_BYTES is also the ceiling no workspace limit may exceed.
 */
export function uploadLimitsFrom(env: TFilesEnv): TUploadLimits {
  return {
    maxUploadBytes: env.MAX_UPLOAD_BYTES,
    blockedTypes: env.UPLOAD_BLOCKED_TYPES,
    pendingTtlMinutes: env.PENDING_UPLOAD_TTL_MINUTES,
  };
}

/** The limits in force now: the server's settings with the workspace's overrides applied. */
export function effectiveUploadLimits(db: TDb, env: TFilesEnv): Promise<TUploadLimits> {
  return resolveUploadLimits(db, uploadLimitsFrom(env));
}

// ---------------------------------------------------------------------------------------------
// Schemas

/** Longest voice message whose duration is accepted (3 hours). */
export const MAX_AUDIO_DURATION_MS = 3 * 60 * 60 * 1000;
/** Most waveform points kept for a voice message. */
export const MAX_WAVEFORM_POINTS = 64;

export const ZCreateUpload = z
  .object({
    conversationId: ZId,
    name: zText().min(1, errorTemplate("file name is required")).max(1000),
    size: z.number().int().min(1, errorTemplate("the file is empty")),
    mime: ZMimeType,
    /** Audio only: the recording's length, measured by the recorder. */
    durationMs: z.number().int().min(0).max(MAX_AUDIO_DURATION_MS).optional(),
    /** Audio only: peak levels 0–255 to draw as the waveform. */
    waveform: z.array(z.number().int().min(0).max(255)).max(MAX_WAVEFORM_POINTS).optional(),
  })
  .refine((d) => d.mime.startsWith("audio/") || (d.durationMs === undefined && d.waveform === undefined), {
    message: errorTemplate("durationMs and waveform are only for audio files"),
    path: ["durationMs"],
  });
export type TCreateUpload = z.output<typeof ZCreateUpload>;

export const ZCompleteUpload = z.object({ attachmentId: ZId });
export type TCompleteUpload = z.output<typeof ZCompleteUpload>;

export const ZDownloadUrl = z.object({
  attachmentId: ZId,
  variant: z.enum(["original", "thumbnail"]).default("original"),
});
export type TDownloadUrl = z.output<typeof ZDownloadUrl>;

// ---------------------------------------------------------------------------------------------
// Names, keys and types

/** How long a presigned upload URL stays valid. */
export const UPLOAD_URL_TTL_SEC = 600;
/** How long a presigned download URL stays valid. */
export const DOWNLOAD_URL_TTL_SEC = 300;
/** Longest thumbnail side in pixels. */
export const THUMBNAIL_MAX_PX = 360;
/** Image types sharp decodes and we thumbnail. */
const THUMBNAIL_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
/** Bytes read to detect the real type (file-type needs at most ~4 KB for what we check). */
const SNIFF_BYTES = 4100;
/** Decoding bombs: refuse images above this many pixels (8k × 8k ≈ 67 MP). */
const MAX_IMAGE_PIXELS = 100_000_000;

/** Extensions that name blocked types even when the browser sends a generic MIME type. */
const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  exe: "application/x-msdownload",
  dll: "application/x-msdownload",
  com: "application/x-msdownload",
  scr: "application/x-msdownload",
  msi: "application/x-msi",
  bat: "application/x-bat",
  cmd: "application/x-bat",
  sh: "application/x-sh",
  csh: "application/x-csh",
  ps1: "application/x-powershell",
  vbs: "text/vbscript",
  hta: "application/hta",
  lnk: "application/x-ms-shortcut",
  jar: "application/java-archive",
  apk: "application/vnd.android.package-archive",
  dmg: "application/x-apple-diskimage",
  js: "text/javascript",
  mjs: "text/javascript",
};

/**
 * The display name of an upload: the last path segment, without control or bidi-override
 * characters (which can disguise `gpj.exe` as `exe.jpg`), trimmed, at most 200 characters.
 */
export function sanitizeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  const cleaned = base
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, "")
    .trim();
  const chars = Array.from(cleaned);
  const short = chars.length > 200 ? shorten(chars, 200) : cleaned;
  return short === "" || short === "." || short === ".." ? "file" : short;
}

/** Keeps the extension when cutting a name down to `max` characters. */
function shorten(chars: string[], max: number): string {
  const dot = chars.lastIndexOf(".");
  const ext = dot > 0 && chars.length - dot <= 16 ? chars.slice(dot) : [];
  return [...chars.slice(0, max - ext.length), ...ext].join("");
}

/** The name as an object-key segment: ASCII letters, digits, `.`, `_`, `-`; at most 100 characters. */
export function keySegmentFor(name: string): string {
  const ascii = name
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^[._]+/, "");
  const short = ascii.length > 100 ? shorten(Array.from(ascii), 100) : ascii;
  return short === "" || /^\.+$/.test(short) ? "file" : short;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

function isBlocked(limits: Pick<TUploadLimits, "blockedTypes">, ...types: (string | undefined)[]): boolean {
  return types.some((t) => t !== undefined && limits.blockedTypes.includes(t));
}

/** The MIME type a file name's extension suggests; `application/octet-stream` when it suggests none. */
export function mimeTypeFor(name: string): string {
  const guessed = lookupMimeType(name);
  return guessed && ZMimeType.safeParse(guessed).success ? guessed : "application/octet-stream";
}

/**
 * The rules every upload passes before any byte is stored: BAD_REQUEST when `size` is over the
 * limit, or the type (declared, or named by the extension) is blocked. `name` is sanitized.
 */
export function requireUploadAllowed(limits: TUploadLimits, name: string, mime: string, size: number): void {
  if (size > limits.maxUploadBytes) {
    throw new ParleyError("BAD_REQUEST", "The file is larger than the limit of {limit}", {
      params: { limit: formatBytes(limits.maxUploadBytes) },
    });
  }
  if (isBlocked(limits, mime, EXTENSION_TYPES[extensionOf(name)])) {
    throw new ParleyError("BAD_REQUEST", "This type of file cannot be shared here");
  }
}

// ---------------------------------------------------------------------------------------------
// Upload

/** What `createUpload` returns: the attachment id and how to PUT the bytes. */
export type TUploadTicket = {
  attachmentId: string;
  upload: TPresignedPut;
  /** When the upload URL stops working. */
  expiresAt: Date;
};

/**
 * Starts an upload to a conversation the actor is a member of (not archived): checks size and
 * type, records a pending attachment under a server-chosen key, and returns a presigned PUT that
 * accepts exactly `size` bytes of `mime`. Nothing is stored when a check fails. `limits` are the
 * server's settings; the workspace's own limits (workspace.ts) are applied on top, read now.
 */
export async function createUpload(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
  limits: TUploadLimits = DEFAULT_UPLOAD_LIMITS,
): Promise<TUploadTicket> {
  const data = parseInput(ZCreateUpload, input);
  const access = await loadAccess(db, actor, data.conversationId);
  requireMember(access);
  requireNotArchived(access);
  limits = await resolveUploadLimits(db, limits);
  const name = sanitizeFileName(data.name);
  requireUploadAllowed(limits, name, data.mime, data.size);
  const objectKey = `att/${data.conversationId}/${randomUUID()}/${keySegmentFor(name)}`;
  const row = await db.attachment.create({
    data: {
      uploaderId: actor.userId,
      conversationId: data.conversationId,
      objectKey,
      name,
      mime: data.mime,
      size: BigInt(data.size),
      durationMs: data.durationMs ?? null,
      waveform: data.waveform ?? [],
    },
    select: { id: true },
  });
  try {
    const upload = await storage.presignPut(objectKey, {
      expiresSec: UPLOAD_URL_TTL_SEC,
      contentType: data.mime,
      size: data.size,
    });
    return { attachmentId: row.id, upload, expiresAt: new Date(Date.now() + UPLOAD_URL_TTL_SEC * 1000) };
  } catch (err) {
    await db.attachment.delete({ where: { id: row.id } }).catch(() => undefined);
    throw err;
  }
}

/**
 * Finishes an upload once the bytes are in storage: the object must exist with the declared size;
 * its real type is read from its first bytes. A file declared as an image that is not one (or a
 * blocked type in disguise) is refused and removed — row and object. Real PNG/JPEG/GIF/WebP
 * images get their dimensions and a WebP thumbnail (≤ 360 px). Idempotent once ready.
 */
export async function completeUpload(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
  limits: TUploadLimits = DEFAULT_UPLOAD_LIMITS,
): Promise<TAttachmentDto> {
  const { attachmentId } = parseInput(ZCompleteUpload, input);
  const row = await db.attachment.findUnique({ where: { id: attachmentId } });
  // Someone else's upload is none of the actor's business: same answer as a missing one.
  if (!row || row.uploaderId !== actor.userId || row.status === "deleted") {
    throw notFound(NotFound.upload);
  }
  if (row.status === "ready") return toAttachmentDto(row);
  // Removed from a private conversation since: same answer as any upload that is not theirs.
  requireMember(await loadAccess(db, actor, row.conversationId), NotFound.upload);
  limits = await resolveUploadLimits(db, limits);

  const info = await storage.statObject(row.objectKey);
  if (!info) throw new ParleyError("BAD_REQUEST", "The file has not been uploaded yet");
  const refuse = async (refusal: ParleyError): Promise<never> => {
    await discard(db, storage, row.id, [row.objectKey, thumbnailKeyFor(row.objectKey)]);
    throw refusal;
  };
  if (info.size !== Number(row.size)) {
    await refuse(
      new ParleyError("BAD_REQUEST", "The uploaded file is {size} bytes, not the declared {declared}", {
        params: { size: info.size, declared: Number(row.size) },
      }),
    );
  }

  let inspected: TInspectedFile;
  try {
    inspected = await inspectStoredFile(storage, row.objectKey, row.mime, limits);
  } catch (err) {
    if (isParleyError(err) && err.code === "BAD_REQUEST") await refuse(err);
    throw err;
  }
  const { mime, width, height, thumbnailKey } = inspected;

  const updated = await db.attachment.updateMany({
    where: { id: row.id, status: "pending" },
    data: { status: "ready", mime, width, height, thumbnailKey },
  });
  if (updated.count === 0) {
    // A concurrent completion won (fine) or the sweeper took it (then it is gone).
    const again = await db.attachment.findUnique({ where: { id: row.id }, select: attachmentSelect });
    if (!again) throw new ParleyError("NOT_FOUND", "Upload not found");
    return toAttachmentDto(again);
  }
  return toAttachmentDto({ ...row, mime, width, height, thumbnailKey });
}

/** What a stored file turned out to be: its type as served, and an image's size and thumbnail. */
export type TInspectedFile = {
  mime: string;
  width: number | null;
  height: number | null;
  thumbnailKey: string | null;
};

/**
 * The checks every file that enters Parley passes once its bytes are stored (a browser's upload, a
 * bot's, a Slack import's): its real type is read from its first bytes; a blocked type in disguise,
 * or a file declared as an image that is not one, is refused (BAD_REQUEST; the object is left for
 * the caller to remove). Real PNG/JPEG/GIF/WebP images get their dimensions and a WebP thumbnail
 * (≤ 360 px) stored beside the object (`thumbnailKeyFor`).
 */
export async function inspectStoredFile(
  storage: TStorage,
  objectKey: string,
  declaredMime: string,
  limits: Pick<TUploadLimits, "blockedTypes">,
): Promise<TInspectedFile> {
  const head = await readAll(await storage.getObject(objectKey, { start: 0, end: SNIFF_BYTES - 1 }));
  const detected = (await fileTypeFromBuffer(head))?.mime;
  if (isBlocked(limits, detected)) {
    throw new ParleyError("BAD_REQUEST", "This type of file cannot be shared here");
  }
  const isDeclaredImage = declaredMime.startsWith("image/");
  if (isDeclaredImage && !detected?.startsWith("image/")) {
    throw new ParleyError("BAD_REQUEST", "This file is not an image");
  }
  // The bytes, not the name, decide what an image is served as.
  let mime = detected?.startsWith("image/") ? detected : declaredMime;
  let width: number | null = null;
  let height: number | null = null;
  let thumbnailKey: string | null = null;
  if (detected && THUMBNAIL_TYPES.has(detected)) {
    const image = await readImage(await storage.getObject(objectKey));
    if (!image) {
      if (isDeclaredImage) throw new ParleyError("BAD_REQUEST", "This image cannot be read");
      mime = declaredMime; // not declared as an image and not decodable: keep it a plain file
    } else {
      ({ width, height } = image);
      thumbnailKey = thumbnailKeyFor(objectKey);
      await storage.putObject(thumbnailKey, image.thumbnail, {
        contentType: "image/webp",
        size: image.thumbnail.length,
      });
    }
  }
  return { mime, width, height, thumbnailKey };
}

/** Dimensions (as displayed, EXIF rotation applied) and a WebP thumbnail; null if it does not decode. */
async function readImage(
  stream: Readable,
): Promise<{ width: number; height: number; thumbnail: Buffer } | null> {
  // Images are bounded by the upload limit; sharp needs the whole file for most formats anyway.
  const bytes = await readAll(stream);
  try {
    const options = { limitInputPixels: MAX_IMAGE_PIXELS, failOn: "error" } as const;
    const meta = await sharp(bytes, options).metadata();
    if (!meta.width || !meta.height) return null;
    const isRotated = (meta.orientation ?? 1) >= 5;
    const thumbnail = await sharp(bytes, options)
      .rotate()
      .resize(THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 78 })
      .toBuffer();
    return {
      width: isRotated ? meta.height : meta.width,
      height: isRotated ? meta.width : meta.height,
      thumbnail,
    };
  } catch {
    return null;
  }
}

/** Deletes a refused upload: the row first (nothing can link it any more), then its objects. */
async function discard(db: TDb, storage: TStorage, attachmentId: string, keys: string[]): Promise<void> {
  await db.attachment.deleteMany({ where: { id: attachmentId } });
  await deleteObjects(storage, keys);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2) return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}

// ---------------------------------------------------------------------------------------------
// Download

/** A short-lived URL for the bytes (presigned GET on S3, signed app route on local disk). */
export type TDownloadLink = { url: string; expiresAt: Date };

/**
 * A download URL for an attachment, issued only after checking NOW that the actor can read its
 * conversation, and that the file belongs to a message that is not deleted (or is the actor's own
 * unsent upload). The URL expires after DOWNLOAD_URL_TTL_SEC.
 */
export async function getDownloadUrl(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
): Promise<TDownloadLink> {
  const { attachmentId, variant } = parseInput(ZDownloadUrl, input);
  const row = await db.attachment.findUnique({
    where: { id: attachmentId },
    include: { message: { select: { deletedAt: true } } },
  });
  // Unknown, unreadable and unreachable files all answer the same NOT_FOUND.
  if (!row) throw notFound(NotFound.file);
  requireRead(await loadAccess(db, actor, row.conversationId), NotFound.file);
  const isReachable =
    row.status !== "deleted" &&
    (row.message ? row.message.deletedAt === null : row.uploaderId === actor.userId);
  if (!isReachable) throw notFound(NotFound.file);

  const expiresAt = new Date(Date.now() + DOWNLOAD_URL_TTL_SEC * 1000);
  if (variant === "thumbnail") {
    if (!row.thumbnailKey) throw new ParleyError("NOT_FOUND", "This file has no thumbnail");
    const url = await storage.presignGet(row.thumbnailKey, {
      expiresSec: DOWNLOAD_URL_TTL_SEC,
      contentType: "image/webp",
      fileName: `${row.name.replace(/\.[^.]*$/, "")}.webp`,
      disposition: "inline",
    });
    return { url, expiresAt };
  }
  const url = await storage.presignGet(row.objectKey, {
    expiresSec: DOWNLOAD_URL_TTL_SEC,
    contentType: row.mime,
    fileName: row.name,
    disposition: isInlineSafe(row.mime) ? "inline" : "attachment",
  });
  return { url, expiresAt };
}

/** Verified raster images and media play in the page; everything else downloads. */
function isInlineSafe(mime: string): boolean {
  return THUMBNAIL_TYPES.has(mime) || mime.startsWith("audio/") || mime.startsWith("video/");
}
