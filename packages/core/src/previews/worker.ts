/**
 * The link previewer: off the send path, it follows each conversation's Event log (its own
 * cursor, LinkPreviewCursor, like the search indexer) and gives a message with a URL its preview
 * as a `message.preview` event in that conversation's log — ordered, replayed and gap-repaired
 * like every other event.
 *
 * Two steps per round, each crash-safe:
 * 1. Enqueue (one short transaction under an advisory lock): new `message.created` events whose
 *    body has an http(s) URL become LinkPreviewJob rows (the first URL), and the cursors move —
 *    both commit together. Nothing is queued while the workspace has previews off.
 * 2. Claim and run: due jobs are claimed with `FOR UPDATE SKIP LOCKED` (the claim pushes
 *    `runAfter` forward, so a process that dies mid-fetch leaves the job to be retried), the page
 *    comes from the LinkPreview cache (by the URL's sha256) or from `fetchPage` (fetch.ts: the SSRF
 *    guard), and ONE transaction locks the conversation and message rows (the message writers'
 *    order), deletes the job, sets Message.linkPreview and appends `message.preview`. A deleted
 *    message, a message whose preview exists, an archived conversation, a page without a title or
 *    description, or a failed fetch just drop the job (after MAX_ATTEMPTS for network errors).
 * Edits do not fetch again (the preview is of the URL the message was sent with).
 *
 * Images (when the previewer is given `storage`): with the page, its og:image is fetched and
 * re-encoded once (image.ts, loaded only then) and cached in the LinkPreview row; each message
 * showing the preview gets its own copy in storage (image-store.ts `previewImageKey`) written
 * BEFORE the transaction that shows it, and removed again when that transaction does not.
 */
import { createHash } from "node:crypto";
import type { TDb } from "@parley/db";
import { EventKind, type TLinkPreview } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import { followLog, inScopeSql, type TFollowScope } from "../log-follower.ts";
import { processLogger } from "../logging.ts";
import { appendConversationEvent, inWriteTx } from "../tx.ts";
import { DEFAULT_PAGE_FETCH, fetchPage, type TPageFetchOptions } from "./fetch.ts";
import type { TPreviewImage } from "./image.ts";
import { deletePreviewImages, previewImageKey } from "./image-store.ts";
import { extractMetadata, firstUrl } from "./metadata.ts";

/** How long a fetched page (and a failure) is reused for other messages linking it. */
export const PREVIEW_CACHE_MS = { ok: 24 * 3_600_000, failed: 3_600_000 } as const;
/** Fetch attempts per job (a claim that never finished counts as one). */
const MAX_ATTEMPTS = 3;
/** A claimed job is not claimed again before this (its fetch's time limit is far shorter). */
const CLAIM_MS = 60_000;
/** Jobs one round runs (in parallel). */
const JOBS_PER_ROUND = 4;
/**
 * How often a process tries to delete cache rows past their expiry (each row may hold an image);
 * one process at a time does (SWEEP_LOCK).
 */
const SWEEP_EVERY_MS = 10 * 60_000;
/** Most cache rows one sweep deletes (the next sweep takes the rest). */
const SWEEP_BATCH = 1_000;
/** Conversations and events one enqueue step reads. */
const ENQUEUE_LIMITS = { conversations: 200, events: 2_000 };

/**
 * Options of the previewer (config's LINK_PREVIEW_* settings). `storage`: where preview images
 * go; without it previews have no image. `imageMaxBytes`: the image body limit (tests).
 */
export type TPreviewerOptions = Partial<TPageFetchOptions> & {
  storage?: () => Promise<TStorage>;
  imageMaxBytes?: number;
};

/** What one round did. */
export type TPreviewRound = { queued: number; claimed: number; previewed: number; isLocked: boolean };

/** The sha256 (hex) LinkPreview rows are keyed by. */
export function urlHash(url: string): string {
  return createHash("sha256").update(url).digest("hex");
}

/** As inWriteTx's: a busy pool queues the step (enqueue, sweep) instead of failing it. */
const ENQUEUE_TX = { maxWait: 15_000, timeout: 20_000 } as const;

/** Step 1: queue new messages with a URL and move the cursors (see the header). */
async function enqueue(
  db: TDb,
  scope: TFollowScope,
): Promise<{ queued: number; isLocked: boolean; hasMore: boolean }> {
  return db.$transaction(async (tx) => {
    const [lock] = await tx.$queryRaw<{ ok: boolean }[]>`
      SELECT pg_try_advisory_xact_lock(hashtext('parley.link-previewer')) AS ok`;
    if (!lock?.ok) return { queued: 0, isLocked: false, hasMore: false };
    // A scoped round (log-follower.ts) looks only at the conversations this process wrote.
    const inScope = inScopeSql(scope);
    const picked = await tx.$queryRaw<{ id: string; after: number; last: number }[]>`
      SELECT c.id::text AS id, COALESCE(pc.seq, 0) AS after, c."lastSeq" AS last
      FROM "Conversation" c LEFT JOIN "LinkPreviewCursor" pc ON pc."conversationId" = c.id
      WHERE ${inScope} AND c."lastSeq" > COALESCE(pc.seq, 0)
      ORDER BY c.id LIMIT ${ENQUEUE_LIMITS.conversations}`;
    if (picked.length === 0) return { queued: 0, isLocked: true, hasMore: false };
    const share = Math.max(1, Math.floor(ENQUEUE_LIMITS.events / picked.length));
    const upto = picked.map((p) => ({ ...p, upto: Math.min(p.last, p.after + share) }));
    const [settings] = await tx.$queryRaw<{ enabled: boolean }[]>`
      SELECT "linkPreviewsEnabled" AS enabled FROM "Workspace" WHERE id = 1`;
    let queued = 0;
    if (settings?.enabled ?? true) {
      // Each conversation's range by its (conversationId, seq) index: the ORDER BY keeps the
      // planner from flattening the LATERAL into a join, which (e.g. before Event was analyzed)
      // it ran as a sequential scan of the whole Event table every round. LIKE, a cheap byte
      // search, rules out most bodies before the case-insensitive regex (≈ 2 µs a body) runs.
      const rows = await tx.$queryRaw<{ conversationId: string; messageId: string; body: string }[]>`
        SELECT u.id::text AS "conversationId", e."messageId", e.body
        FROM jsonb_to_recordset(${JSON.stringify(upto)}::jsonb) AS u(id uuid, after int, upto int)
        CROSS JOIN LATERAL (
          SELECT x.payload->'message'->>'id' AS "messageId", x.payload->'message'->>'body' AS body
          FROM "Event" x
          WHERE x."conversationId" = u.id AND x.seq > u.after AND x.seq <= u.upto
            AND x.kind = ${EventKind.MessageCreated}
          ORDER BY x.seq
        ) e
        WHERE e.body LIKE '%://%' AND e.body ~* 'https?://'`;
      const jobs = rows.flatMap((r) => {
        const url = firstUrl(r.body);
        return url ? [{ ...r, url }] : [];
      });
      if (jobs.length > 0) {
        const result = await tx.$executeRaw`
          INSERT INTO "LinkPreviewJob" ("messageId", "conversationId", url)
          SELECT j."messageId", j."conversationId", j.url
          FROM jsonb_to_recordset(${JSON.stringify(jobs)}::jsonb) AS j("messageId" uuid, "conversationId" uuid, url text)
          JOIN "Message" m ON m.id = j."messageId" AND m."deletedAt" IS NULL
          ON CONFLICT ("messageId") DO NOTHING`;
        queued = result;
      }
    }
    await tx.$executeRaw`
      INSERT INTO "LinkPreviewCursor" ("conversationId", seq)
      SELECT u.id, u.upto FROM jsonb_to_recordset(${JSON.stringify(upto)}::jsonb) AS u(id uuid, upto int)
      ON CONFLICT ("conversationId") DO UPDATE SET seq = EXCLUDED.seq`;
    const hasMore = picked.length === ENQUEUE_LIMITS.conversations || upto.some((u) => u.upto < u.last);
    return { queued, isLocked: true, hasMore };
  }, ENQUEUE_TX);
}

type TJob = { messageId: string; conversationId: string; url: string; attempts: number };

/** Step 2a: claims due jobs (see the header); jobs past MAX_ATTEMPTS are dropped. */
async function claim(db: TDb): Promise<TJob[]> {
  await db.$executeRaw`DELETE FROM "LinkPreviewJob" WHERE attempts >= ${MAX_ATTEMPTS} AND "runAfter" <= now()`;
  return db.$queryRaw<TJob[]>`
    UPDATE "LinkPreviewJob" j SET attempts = j.attempts + 1,
      "runAfter" = now() + ${CLAIM_MS} * interval '1 millisecond'
    WHERE j."messageId" IN (
      SELECT "messageId" FROM "LinkPreviewJob" WHERE "runAfter" <= now()
      ORDER BY "runAfter" LIMIT ${JOBS_PER_ROUND} FOR UPDATE SKIP LOCKED)
    RETURNING j."messageId"::text AS "messageId", j."conversationId"::text AS "conversationId", j.url, j.attempts`;
}

/** The preview of `url`: from the cache while fresh, else fetched (and cached, failures too). */
export async function previewFor(
  db: TDb,
  url: string,
  options: TPreviewerOptions = {},
): Promise<{ preview: TLinkPreview | null; image: TPreviewImage | null; reason?: string }> {
  const hash = urlHash(url);
  const cached = await db.linkPreview.findFirst({ where: { urlHash: hash, expiresAt: { gt: new Date() } } });
  if (cached) {
    if (!cached.isOk) return { preview: null, image: null, reason: "cached failure" };
    const { imageData, imageWidth, imageHeight } = cached;
    return {
      preview: {
        url: cached.url,
        title: cached.title,
        description: cached.description,
        imageUrl: cached.imageUrl,
        siteName: cached.siteName,
        image: null,
      },
      image:
        imageData && imageWidth && imageHeight
          ? { bytes: Buffer.from(imageData), width: imageWidth, height: imageHeight }
          : null,
    };
  }
  const { storage, imageMaxBytes, ...fetchOptions } = options;
  const page = await fetchPage(url, { ...DEFAULT_PAGE_FETCH, ...fetchOptions });
  const meta = page.isOk ? extractMetadata(page.html, page.url) : null;
  const isOk = meta !== null && (meta.title !== null || meta.description !== null);
  let image: TPreviewImage | null = null;
  if (isOk && meta?.imageUrl && storage) {
    // sharp is loaded only here: processes that never see an image never load it.
    const { fetchPreviewImage } = await import("./image.ts");
    const got = await fetchPreviewImage(meta.imageUrl, {
      ...fetchOptions,
      ...(imageMaxBytes ? { imageMaxBytes } : {}),
    });
    image = got.isOk ? got.image : null;
  }
  const row = {
    url: page.isOk ? page.url : url,
    isOk,
    title: meta?.title ?? null,
    description: meta?.description ?? null,
    imageUrl: meta?.imageUrl ?? null,
    imageData: image ? new Uint8Array(image.bytes) : null,
    imageWidth: image?.width ?? null,
    imageHeight: image?.height ?? null,
    siteName: meta?.siteName ?? null,
    fetchedAt: new Date(),
    expiresAt: new Date(Date.now() + (isOk ? PREVIEW_CACHE_MS.ok : PREVIEW_CACHE_MS.failed)),
  };
  await db.linkPreview.upsert({ where: { urlHash: hash }, create: { urlHash: hash, ...row }, update: row });
  if (!isOk || !meta) {
    return { preview: null, image: null, reason: page.isOk ? "no title or description" : page.reason };
  }
  const { title, description, imageUrl, siteName } = row;
  return { preview: { url: row.url, title, description, imageUrl, siteName, image: null }, image };
}

/**
 * Step 2b: the job's result in one transaction (see the header). `isApplied`: the preview was
 * appended; `hasPreview`: the message already showed one (its image object is that one's).
 */
async function apply(
  db: TDb,
  job: TJob,
  preview: TLinkPreview | null,
): Promise<{ isApplied: boolean; hasPreview: boolean }> {
  return inWriteTx(db, async (w) => {
    await w.tx.$queryRaw`SELECT id FROM "Conversation" WHERE id = ${job.conversationId}::uuid FOR UPDATE`;
    const [message] = await w.tx.$queryRaw<
      { deletedAt: Date | null; hasPreview: boolean; archived: boolean }[]
    >`
      SELECT m."deletedAt", m."linkPreview" IS NOT NULL AS "hasPreview", c."archivedAt" IS NOT NULL AS archived
      FROM "Message" m JOIN "Conversation" c ON c.id = m."conversationId"
      WHERE m.id = ${job.messageId}::uuid FOR NO KEY UPDATE OF m`;
    const removed = await w.tx
      .$executeRaw`DELETE FROM "LinkPreviewJob" WHERE "messageId" = ${job.messageId}::uuid`;
    if (
      !preview ||
      !message ||
      removed === 0 ||
      message.deletedAt ||
      message.hasPreview ||
      message.archived
    ) {
      return { isApplied: false, hasPreview: message?.hasPreview === true };
    }
    await appendConversationEvent(w, job.conversationId, EventKind.MessagePreview, null, {
      messageId: job.messageId,
      preview,
    });
    await w.tx.$executeRaw`
      UPDATE "Message" SET "linkPreview" = ${JSON.stringify(preview)}::jsonb WHERE id = ${job.messageId}::uuid`;
    return { isApplied: true, hasPreview: false };
  });
}

/** Copies the image into the message's object; the preview then names its size (null: no image). */
async function storeImage(
  storage: TStorage | null,
  job: TJob,
  image: TPreviewImage | null,
): Promise<TLinkPreview["image"]> {
  if (!storage || !image) return null;
  try {
    await storage.putObject(previewImageKey(job.conversationId, job.messageId), image.bytes, {
      contentType: "image/webp",
      size: image.bytes.length,
    });
    return { width: image.width, height: image.height };
  } catch (err) {
    processLogger().warn({ err, messageId: job.messageId }, "storing a link preview image failed");
    return null;
  }
}

/** The advisory lock a cache sweep holds, so one process sweeps at a time (exported for tests). */
export const SWEEP_LOCK = "parley.link-preview-sweep";

/**
 * Deletes up to SWEEP_BATCH LinkPreview cache rows whose expiry has passed (a later message linking
 * the URL fetches it again), under the SWEEP_LOCK advisory lock: while another process sweeps this
 * one deletes nothing (`isLocked` false) instead of racing it for the same rows. Messages keep
 * their previews: those live on the Message row and in the event log, and their images in
 * storage, not here.
 */
export async function sweepExpiredPreviews(
  db: TDb,
  now = new Date(),
): Promise<{ deleted: number; isLocked: boolean }> {
  return db.$transaction(async (tx) => {
    const [lock] = await tx.$queryRaw<{ ok: boolean }[]>`
      SELECT pg_try_advisory_xact_lock(hashtext(${SWEEP_LOCK})) AS ok`;
    if (!lock?.ok) return { deleted: 0, isLocked: false };
    const deleted = await tx.$executeRaw`
      DELETE FROM "LinkPreview" WHERE "urlHash" IN (
        SELECT "urlHash" FROM "LinkPreview" WHERE "expiresAt" < ${now}::timestamp(3) ORDER BY "expiresAt" LIMIT ${SWEEP_BATCH}
      )`;
    return { deleted, isLocked: true };
  }, ENQUEUE_TX);
}

const lastSweepAt = new WeakMap<TDb, number>();

/** One round: enqueue, then run the due jobs (see the header); now and then, the cache sweep. */
export async function previewRound(
  db: TDb,
  options: TPreviewerOptions = {},
  scope: TFollowScope = null,
): Promise<TPreviewRound & { hasMore: boolean }> {
  if (Date.now() - (lastSweepAt.get(db) ?? 0) >= SWEEP_EVERY_MS) {
    lastSweepAt.set(db, Date.now());
    await sweepExpiredPreviews(db);
  }
  const queued = await enqueue(db, scope);
  const jobs = await claim(db);
  // Storage down: previews still come, without images.
  const storage = jobs.length > 0 && options.storage ? await options.storage().catch(() => null) : null;
  const results = await Promise.all(
    jobs.map(async (job) => {
      const found = await previewFor(db, job.url, storage ? options : { ...options, storage: undefined });
      const image = found.preview ? await storeImage(storage, job, found.image) : null;
      const result = await apply(db, job, found.preview && { ...found.preview, image });
      if (image && !result.isApplied && !result.hasPreview) {
        await deletePreviewImages(storage ?? undefined, [
          { conversationId: job.conversationId, id: job.messageId },
        ]);
      }
      return result.isApplied;
    }),
  );
  return {
    queued: queued.queued,
    claimed: jobs.length,
    previewed: results.filter(Boolean).length,
    isLocked: queued.isLocked,
    hasMore: queued.hasMore || jobs.length === JOBS_PER_ROUND,
  };
}

/** Runs rounds until nothing is queued or due (tests, scripts). */
export async function previewUntilCaughtUp(db: TDb, options: TPreviewerOptions = {}): Promise<TPreviewRound> {
  const total: TPreviewRound = { queued: 0, claimed: 0, previewed: 0, isLocked: true };
  for (;;) {
    const round = await previewRound(db, options);
    total.queued += round.queued;
    total.claimed += round.claimed;
    total.previewed += round.previewed;
    if (!round.hasMore && round.queued === 0 && round.claimed === 0) return total;
  }
}

/** Polls for writes of other processes (this process's own writes wake it at once). */
export const PREVIEW_POLL_MS = 5_000;

/**
 * Keeps previews coming in the background (`followLog`, as the search indexer): every process
 * that writes events runs one (apps/web/server.ts, apps/realtime). Returns a stop function.
 */
export function startLinkPreviewer(
  db: TDb,
  options: TPreviewerOptions & { pollMs?: number; onError?: (err: unknown) => void } = {},
): () => Promise<void> {
  const { pollMs, onError, ...fetchOptions } = options;
  return followLog(
    async (scope) => {
      const round = await previewRound(db, fetchOptions, scope);
      return { hasMore: round.hasMore, isLocked: round.isLocked };
    },
    { pollMs: pollMs ?? PREVIEW_POLL_MS, minGapMs: 250, ...(onError ? { onError } : {}) },
  );
}
