/**
 * Files of an import. Slack's own export lists a message's files as links (`url_private`) only;
 * tools that download them put the bytes in the zip, in one of two layouts, and both are read:
 * - `__uploads/<file id>/<file name>` — slackdump's default ("mattermost") layout, also what
 *   slack-advanced-exporter's `fetch-attachments` writes (Mattermost's importer reads it);
 * - `<conversation folder>/attachments/<file id>-<file name>` — slackdump's "standard" layout.
 * A file is found by its Slack id alone (the tools rewrite names they find unsafe). Found files
 * become attachments of their message through the checks every upload passes
 * (`requireUploadAllowed`: the workspace's size limit and blocked types and extensions;
 * `inspectStoredFile`: the real type from the bytes, image sizes and thumbnails). A file missing
 * from the zip — or refused by those checks — stays a line "[file not imported: <name>]" in its
 * message, as Slack's own exports always get.
 *
 * Objects are stored BEFORE the batch's transaction (writeMessageBatch inserts the Attachment rows
 * with the messages), under a key that depends only on what is imported —
 * `att/<conversation id>/slack/<ts>-<file id>/<safe name>` — so a run that stopped between storing
 * and committing stores the same keys again (no second copy), and a message imported before is
 * skipped with its files (no second attachment). A batch that fails removes what it stored.
 */
import type { Readable } from "node:stream";
import type { TStorage } from "@parley/storage";
import { isParleyError } from "../errors.ts";
import { deleteObjects, thumbnailKeyFor } from "../files/objects.ts";
import {
  inspectStoredFile,
  keySegmentFor,
  mimeTypeFor,
  requireUploadAllowed,
  sanitizeFileName,
  type TUploadLimits,
} from "../files.ts";
import { uuidv7 } from "../ids.ts";
import { ZMimeType } from "../schemas.ts";
import type { TSlackZip } from "./zip.ts";

/** Slack file id → the zip entry holding its bytes. */
export type TFileIndex = ReadonlyMap<string, string>;

const UPLOADS = /^__uploads\/([^/]+)\/[^/]+$/;
// Slack file ids are `F` and upper-case letters and digits; the name follows the first `-`.
const ATTACHMENTS = /^[^/]+\/attachments\/(F[A-Z0-9]+)-[^/]+$/;

/** Where the zip holds each file's bytes (see the file header); the first entry wins. */
export function indexFiles(names: readonly string[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const name of [...names].sort()) {
    const id = UPLOADS.exec(name)?.[1] ?? ATTACHMENTS.exec(name)?.[1];
    if (id && !index.has(id)) index.set(id, name);
  }
  return index;
}

/** A file of a prepared message whose bytes the zip holds. */
export type TPreparedFile = { slackId: string; zipPath: string; name: string; declaredMime: string };

/** A file stored as an attachment of its message (the Attachment row's columns). */
export type TImportedFile = {
  id: string;
  objectKey: string;
  name: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  thumbnailKey: string | null;
};

/** What storing a batch's files needs. */
export type TFileContext = {
  storage: TStorage;
  zip: TSlackZip;
  limits: TUploadLimits;
  conversationId: string;
};

/** The keys a stored file occupies (for the clean-up of a failed batch). */
export function keysOf(file: TImportedFile): string[] {
  return [file.objectKey, file.thumbnailKey ?? thumbnailKeyFor(file.objectKey)];
}

/**
 * Stores one file of the message `ts` (sent at `createdAt`); null when it is refused (too large,
 * empty, a blocked type, not what its name says) — nothing is left in storage then.
 */
export async function storeFile(
  ctx: TFileContext,
  ts: string,
  createdAt: Date,
  file: TPreparedFile,
): Promise<TImportedFile | null> {
  const size = ctx.zip.size(file.zipPath);
  const name = sanitizeFileName(file.name);
  const mime = ZMimeType.safeParse(file.declaredMime).success ? file.declaredMime : mimeTypeFor(name);
  try {
    requireUploadAllowed(ctx.limits, name, mime, size);
  } catch (err) {
    if (isParleyError(err, "BAD_REQUEST")) return null;
    throw err;
  }
  if (size === 0) return null;
  const objectKey = `att/${ctx.conversationId}/slack/${keySegmentFor(`${ts}-${file.slackId}`)}/${keySegmentFor(name)}`;
  try {
    await ctx.storage.putObject(objectKey, (await ctx.zip.openStream(file.zipPath)) as Readable, {
      size,
      contentType: mime,
    });
    const inspected = await inspectStoredFile(ctx.storage, objectKey, mime, ctx.limits);
    return { id: uuidv7(createdAt.getTime()), objectKey, name, size, ...inspected };
  } catch (err) {
    const isRefused =
      isParleyError(err, "BAD_REQUEST") || (err instanceof Error && err.name === "SizeMismatchError");
    if (!isRefused) throw err;
    await deleteObjects(ctx.storage, [objectKey, thumbnailKeyFor(objectKey)]);
    return null;
  }
}
