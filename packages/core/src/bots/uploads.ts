/**
 * Files from bots, in Slack's two steps (files.getUploadURLExternal → POST the bytes →
 * files.completeUploadExternal; docs/integrations.md). Slack names the channel only at the end, so
 * an upload waits in a `BotUpload` row of its own, not in an Attachment (which belongs to a
 * conversation), and becomes one at completion — through the browser's own path:
 *
 * 1. `startBotUpload` (a name and a length) applies the rules every upload meets before any byte
 *    is stored (`requireUploadAllowed`: size limit, blocked types and extensions, the workspace's
 *    own limits), records the row (`waiting`) under a server-chosen key `att/bot/<id>/<safe-name>`
 *    and returns its id (Slack's `file_id`, later the Attachment's id) and a random secret. The
 *    upload URL is `/api/slack/upload/<id>/<secret>`; only the secret's SHA-256 is stored.
 * 2. `receiveBotUpload` (the POST to that URL) takes the bytes while the URL is valid
 *    (BOT_UPLOAD_URL_TTL_SEC) and unused: the row is claimed `waiting → receiving` (two POSTs cannot
 *    both write), the body must be exactly the declared length (storage counts as it streams), and
 *    then it is `uploaded` — for good: the URL takes nothing more. A body that fails (wrong length,
 *    dropped connection) puts the row back to `waiting`, so the client may try again in time.
 * 3. `completeBotUploads` — by the same uploader, within the unsent-upload TTL — claims all its rows
 *    `uploaded → completing` in one statement (all or none: a second completion finds nothing),
 *    makes each an Attachment of the same id in the named conversation and passes it through
 *    `completeUpload` (membership, the stored size, the real type from the bytes, the thumbnail),
 *    then sends ONE message carrying them through `sendMessage` (seq, fan-out, notifications; its
 *    clientMsgId is the first file's id, so an upload can never make two messages) and deletes the
 *    rows. A refusal on the way writes nothing: the attachments it made are removed (not their
 *    objects) and the rows go back to `uploaded`; only a file refused for what its bytes are is
 *    removed for good (row and object, as `completeUpload` does).
 *
 * Unknown, someone else's, already completed and expired ids all answer the same NOT_FOUND
 * ("File not found"), as anything unreadable does. The attachments sweeper (files/sweeper.ts
 * `sweepBotUploads`) removes uploads never completed within the TTL. Exported as
 * `@parley/core/bot-uploads` (it builds on `@parley/core/files`, which loads sharp).
 */
import type { Readable } from "node:stream";
import type { TDb } from "@parley/db";
import { MAX_ATTACHMENTS_PER_MESSAGE, zText } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import { z } from "zod";
import { loadAccess, NotFound, notFound, requireMember, requireNotArchived } from "../access.ts";
import type { TActor } from "../actor.ts";
import { errorTemplate, isParleyError, ParleyError, parseInput } from "../errors.ts";
import {
  completeUpload,
  DEFAULT_UPLOAD_LIMITS,
  keySegmentFor,
  mimeTypeFor,
  requireUploadAllowed,
  sanitizeFileName,
  type TUploadLimits,
} from "../files.ts";
import { isUuid, randomSecret, sha256, uuidv7 } from "../ids.ts";
import { sendMessage } from "../messages/send.ts";
import type { TSendMessageResult } from "../messages/send-one.ts";
import type { TAttachmentDto } from "../messages.ts";
import { ZId } from "../schemas.ts";
import { resolveUploadLimits } from "../workspace.ts";

/**
 * How long an upload URL takes bytes: as a browser's presigned PUT (files.ts UPLOAD_URL_TTL_SEC,
 * not read here at load time: files.ts re-exports this module, so it is not evaluated yet).
 */
export const BOT_UPLOAD_URL_TTL_SEC = 600;

/** The path of an upload URL (the web app serves it; prefix it with the server's origin). */
export function botUploadPath(fileId: string, secret: string): string {
  return `/api/slack/upload/${fileId}/${secret}`;
}

export const ZStartBotUpload = z.object({
  name: zText().min(1, errorTemplate("filename is required")).max(1000),
  size: z.number().int().min(1, errorTemplate("the file is empty")),
});
export type TStartBotUpload = z.output<typeof ZStartBotUpload>;

/** What `startBotUpload` returns: the file id and the secret of its upload URL (shown once). */
export type TBotUploadTicket = { fileId: string; secret: string; expiresAt: Date };

/**
 * Starts a bot's upload (step 1 in the file header): NOTHING is stored when the size or type is
 * refused (BAD_REQUEST). `limits` are the server's settings; the workspace's own apply on top.
 */
export async function startBotUpload(
  db: TDb,
  actor: TActor,
  input: unknown,
  limits: TUploadLimits = DEFAULT_UPLOAD_LIMITS,
): Promise<TBotUploadTicket> {
  const data = parseInput(ZStartBotUpload, input);
  const effective = await resolveUploadLimits(db, limits);
  const name = sanitizeFileName(data.name);
  const mime = mimeTypeFor(name);
  requireUploadAllowed(effective, name, mime, data.size);
  const id = uuidv7();
  const secret = randomSecret(24);
  const expiresAt = new Date(Date.now() + BOT_UPLOAD_URL_TTL_SEC * 1000);
  await db.botUpload.create({
    data: {
      id,
      uploaderId: actor.userId,
      secretHash: sha256(secret),
      name,
      mime,
      size: BigInt(data.size),
      objectKey: `att/bot/${id}/${keySegmentFor(name)}`,
      expiresAt,
    },
  });
  return { fileId: id, secret, expiresAt };
}

/**
 * Stores the bytes POSTed to an upload URL (step 2 in the file header). NOT_FOUND ("Upload not
 * found") for an unknown id, a wrong secret, a used or expired URL — one answer for all;
 * BAD_REQUEST when the body is not exactly the declared length (nothing kept; the URL stays usable
 * until it expires). The caller drains or destroys `body` when this throws.
 */
export async function receiveBotUpload(
  db: TDb,
  storage: TStorage,
  input: { fileId: string; secret: string; body: Readable },
): Promise<{ size: number }> {
  const { fileId, secret, body } = input;
  const isWellFormed = isUuid(fileId) && secret.length > 0 && secret.length <= 200;
  const [row] = isWellFormed
    ? await db.$queryRaw<{ objectKey: string; size: bigint; mime: string }[]>`
        UPDATE "BotUpload" SET status = 'receiving'
        WHERE id = ${fileId}::uuid AND "secretHash" = ${sha256(secret)} AND status = 'waiting'
          AND "expiresAt" > ${new Date()}::timestamp(3)
        RETURNING "objectKey", size, mime`
    : [];
  if (!row) throw notFound(NotFound.upload);
  const size = Number(row.size);
  try {
    await storage.putObject(row.objectKey, body, { size, contentType: row.mime });
  } catch (err) {
    await db.botUpload.updateMany({
      where: { id: fileId, status: "receiving" },
      data: { status: "waiting" },
    });
    if (err instanceof Error && err.name === "SizeMismatchError") {
      throw new ParleyError("BAD_REQUEST", "The body is not the {size} bytes the upload was started with", {
        params: { size },
      });
    }
    throw err;
  }
  await db.botUpload.updateMany({ where: { id: fileId, status: "receiving" }, data: { status: "uploaded" } });
  return { size };
}

export const ZCompleteBotUploads = z.object({
  fileIds: z
    .array(ZId)
    .min(1, errorTemplate("name at least one file"))
    .max(MAX_ATTACHMENTS_PER_MESSAGE, `a message carries at most ${MAX_ATTACHMENTS_PER_MESSAGE} files`)
    .refine((ids) => new Set(ids).size === ids.length, errorTemplate("a file is named twice")),
  conversationId: ZId,
  /** The message's text (already Parley markdown); may be empty. */
  body: z.string().default(""),
  threadRootId: ZId.optional(),
  alsoInChannel: z.boolean().optional(),
});
export type TCompleteBotUploads = z.input<typeof ZCompleteBotUploads>;

/** What a completion made: the message (from `sendMessage`) and its files, in the order named. */
export type TCompletedBotUploads = { sent: TSendMessageResult; attachments: TAttachmentDto[] };

type TClaimedUpload = { id: string; name: string; mime: string; size: bigint; objectKey: string };

/**
 * Shares finished uploads in a conversation as one message (step 3 in the file header). The actor
 * must be a member of the conversation, which must not be archived; the uploads must be the
 * actor's own, uploaded and not completed, within the TTL (else NOT_FOUND "File not found").
 */
export async function completeBotUploads(
  db: TDb,
  storage: TStorage,
  actor: TActor,
  input: unknown,
  limits: TUploadLimits = DEFAULT_UPLOAD_LIMITS,
): Promise<TCompletedBotUploads> {
  const data = parseInput(ZCompleteBotUploads, input);
  const access = await loadAccess(db, actor, data.conversationId);
  requireMember(access);
  requireNotArchived(access);
  const cutoff = new Date(Date.now() - limits.pendingTtlMinutes * 60_000);
  // All or none: the count is taken over the locked rows, so of two racing completions one wins.
  const claimed = await db.$queryRaw<TClaimedUpload[]>`
    WITH found AS (
      SELECT id FROM "BotUpload"
      WHERE id = ANY(${data.fileIds}::uuid[]) AND "uploaderId" = ${actor.userId}::uuid
        AND status = 'uploaded' AND "createdAt" > ${cutoff}::timestamp(3)
      FOR UPDATE
    )
    UPDATE "BotUpload" b SET status = 'completing'
    FROM found WHERE b.id = found.id AND (SELECT count(*) FROM found) = ${data.fileIds.length}
    RETURNING b.id, b.name, b.mime, b.size, b."objectKey"`;
  if (claimed.length !== data.fileIds.length) throw notFound(NotFound.file);
  const byId = new Map(claimed.map((row) => [row.id, row]));
  const uploads = data.fileIds.map((id) => byId.get(id) as TClaimedUpload);

  const made: string[] = [];
  try {
    const attachments: TAttachmentDto[] = [];
    for (const upload of uploads) {
      await db.attachment.create({
        data: {
          id: upload.id,
          uploaderId: actor.userId,
          conversationId: data.conversationId,
          objectKey: upload.objectKey,
          name: upload.name,
          mime: upload.mime,
          size: upload.size,
        },
      });
      made.push(upload.id);
      try {
        attachments.push(await completeUpload(db, storage, actor, { attachmentId: upload.id }, limits));
      } catch (err) {
        // Refused for what its bytes are: completeUpload removed the attachment and its object.
        if (isParleyError(err, "BAD_REQUEST")) await db.botUpload.deleteMany({ where: { id: upload.id } });
        throw err;
      }
    }
    const sent = await sendMessage(db, actor, {
      conversationId: data.conversationId,
      clientMsgId: data.fileIds[0],
      body: data.body,
      attachmentIds: made,
      ...(data.threadRootId
        ? { threadRootId: data.threadRootId, ...(data.alsoInChannel ? { alsoInChannel: true } : {}) }
        : {}),
    });
    await db.botUpload.deleteMany({ where: { id: { in: data.fileIds } } });
    return { sent, attachments };
  } catch (err) {
    // Nothing written: the objects stay with their uploads, which may be completed again.
    await db.attachment.deleteMany({ where: { id: { in: made }, messageId: null } });
    await db.botUpload.updateMany({
      where: { id: { in: data.fileIds }, status: "completing" },
      data: { status: "uploaded" },
    });
    throw err;
  }
}
