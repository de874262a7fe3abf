/**
 * Message retention: the background job that removes messages older than their conversation's
 * retention (`Conversation.retentionDays`, else `Workspace.messageRetentionDays`; 0 = forever).
 *
 * What "removed" means, and why the log stays consistent for resuming clients: retention cuts a
 * PREFIX of each conversation's log. A batch finds the leading run of events (from the current
 * tombstone up) created before the cutoff, at most `batchSize` of them, and in ONE short
 * transaction:
 *   1. moves `Conversation.truncatedSeq` (the tombstone: "every event <= it is gone") to the end
 *      of that run — first, so the conversation's row lock is taken before any message row, the
 *      order every message writer uses (no deadlock with an edit or a reaction);
 *   2. marks the removed messages' files `deleted` (no download URL from then on);
 *   3. deletes the messages (their reactions and search rows go with them: ON DELETE CASCADE; a
 *      pin is a column of the message);
 *   4. blanks the body of later `message.edited` entries of those messages (an edit made after
 *      the cutoff of an older message sits above the tombstone), as deleting a message does;
 *   5. deletes the events of the run.
 * After commit the files' objects are removed from storage and then their rows (a failure leaves
 * the `deleted` rows for the sweeper). Seqs are never reused and `lastSeq` never moves: sync
 * answers a cursor below the tombstone with `truncatedSeq` and the events above it (sync.ts), so
 * a resuming client skips the range instead of repairing a gap; history ends at the tombstone.
 * A sender into the conversation waits at most one batch (default 500 events).
 *
 * "Older than the cutoff" is decided per event by its `createdAt`; a prefix stops at the first
 * event at or after the cutoff, so an event that committed a few milliseconds out of time order
 * waits for its neighbour (the log's order wins over the clock's).
 *
 * One runner at a time across processes: a session-level advisory lock on a dedicated connection
 * of the hot pool; a process that misses it skips the pass. Every pass that removed anything
 * records `retention.ran` with its counts.
 */
import { Prisma, sqlPool, type TDb } from "@parley/db";
import { EventKind } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import { recordAudit } from "../audit/record.ts";
import { deleteObjects } from "../files/objects.ts";
import { startPeriodic, type TPeriodicOptions } from "../periodic.ts";
import { deletePreviewImages, HAS_PREVIEW_IMAGE_SQL } from "../previews/image-store.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const LOCK_KEY = "parley.message-retention";

export type TRetentionRunOptions = {
  /** "Now", for tests (the cutoff is now minus the retention). */
  now?: Date;
  /** Most events one transaction removes (default 500). */
  batchSize?: number;
  /** Most batches one pass runs (default 2,000); the next pass goes on where this one stopped. */
  maxBatches?: number;
};

/** What one pass removed; `isLocked` false: another process was running, nothing was done. */
export type TRetentionRunSummary = {
  isLocked: boolean;
  conversations: number;
  messages: number;
  events: number;
  files: number;
  batches: number;
};

/** The cutoff of `days` of retention at `now` (messages created before it go). */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/**
 * One pass: every conversation with a retention, batch after batch, until nothing older than its
 * cutoff is left or `maxBatches` ran. See the file header.
 */
export async function runMessageRetention(
  db: TDb,
  storage: TStorage | undefined,
  options: TRetentionRunOptions = {},
): Promise<TRetentionRunSummary> {
  const summary: TRetentionRunSummary = {
    isLocked: false,
    conversations: 0,
    messages: 0,
    events: 0,
    files: 0,
    batches: 0,
  };
  const pool = sqlPool(db);
  if (!pool) throw new Error("runMessageRetention needs a client made by createDb (its lock connection)");
  const lock = await pool.connect();
  try {
    const { rows } = await lock.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [
      LOCK_KEY,
    ]);
    if (!rows[0]?.ok) return summary;
    summary.isLocked = true;
    try {
      await removeExpired(db, storage, options, summary);
    } finally {
      await lock.query("SELECT pg_advisory_unlock(hashtext($1))", [LOCK_KEY]);
    }
  } finally {
    lock.release();
  }
  if (summary.events > 0) {
    await recordAudit(db, {
      action: "retention.ran",
      actorId: null,
      actorLabel: "retention",
      target: { type: "workspace", id: String(WORKSPACE_ID) },
      details: {
        conversations: summary.conversations,
        messages: summary.messages,
        events: summary.events,
        files: summary.files,
        batches: summary.batches,
      },
    });
  }
  return summary;
}

async function removeExpired(
  db: TDb,
  storage: TStorage | undefined,
  options: TRetentionRunOptions,
  summary: TRetentionRunSummary,
): Promise<void> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 500;
  const maxBatches = options.maxBatches ?? 2_000;
  const conversations = await db.$queryRaw<{ id: string; days: number }[]>`
    SELECT c.id, COALESCE(c."retentionDays", w."messageRetentionDays") AS days
    FROM "Conversation" c CROSS JOIN "Workspace" w
    WHERE w.id = ${WORKSPACE_ID} AND COALESCE(c."retentionDays", w."messageRetentionDays") > 0
      AND c."lastSeq" > c."truncatedSeq"
    ORDER BY c.id`;
  for (const { id, days } of conversations) {
    const cutoff = retentionCutoff(now, days);
    let isTouched = false;
    while (summary.batches < maxBatches) {
      const removed = await withRetries(() => removeBatch(db, storage, id, cutoff, batchSize));
      if (!removed) break;
      summary.batches += 1;
      summary.messages += removed.messages;
      summary.events += removed.events;
      summary.files += removed.files;
      isTouched = true;
      if (removed.events < batchSize) break;
    }
    if (isTouched) summary.conversations += 1;
    if (summary.batches >= maxBatches) break;
  }
}

type TBatch = { messages: number; events: number; files: number };

/**
 * A batch that failed is tried again (twice, after 100 ms and 200 ms) before the pass gives up:
 * its cascade takes search rows' locks the search indexer may hold while it waits for one of the
 * batch's message rows, a deadlock Postgres resolves by failing one side. A batch is all or
 * nothing, so repeating it is safe.
 */
async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 2) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
    }
  }
}

/** One transaction: the next run of at most `batchSize` expired events of one conversation. */
async function removeBatch(
  db: TDb,
  storage: TStorage | undefined,
  conversationId: string,
  cutoff: Date,
  batchSize: number,
): Promise<TBatch | null> {
  const result = await db.$transaction(async (tx) => {
    // The conversation's row lock first (as every message writer), and where the tombstone is.
    const [conversation] = await tx.$queryRaw<{ truncatedSeq: number }[]>`
      SELECT "truncatedSeq" FROM "Conversation" WHERE id = ${conversationId}::uuid FOR NO KEY UPDATE`;
    if (!conversation) return null;
    const from = conversation.truncatedSeq;
    // The end of the leading run of events older than the cutoff (an index range scan on the key).
    const [run] = await tx.$queryRaw<{ upto: number | null }[]>`
      SELECT max(seq)::int AS upto FROM (
        SELECT seq, bool_and("createdAt" < ${cutoff}::timestamp(3)) OVER (ORDER BY seq) AS "isOld"
        FROM (
          SELECT seq, "createdAt" FROM "Event"
          WHERE "conversationId" = ${conversationId}::uuid AND seq > ${from}
          ORDER BY seq LIMIT ${batchSize}
        ) e
      ) w WHERE "isOld"`;
    const upto = run?.upto ?? null;
    if (upto === null) return null;
    await tx.$executeRaw`
      UPDATE "Conversation" SET "truncatedSeq" = ${upto} WHERE id = ${conversationId}::uuid`;
    const files = await tx.$queryRaw<{ id: string; objectKey: string; thumbnailKey: string | null }[]>`
      UPDATE "Attachment" SET status = 'deleted'
      WHERE "messageId" IN (
        SELECT id FROM "Message"
        WHERE "conversationId" = ${conversationId}::uuid AND seq > ${from} AND seq <= ${upto}
      )
      RETURNING id, "objectKey", "thumbnailKey"`;
    const messages = await tx.$queryRaw<{ id: string; isEdited: boolean; hasImage: boolean }[]>`
      DELETE FROM "Message" m
      WHERE "conversationId" = ${conversationId}::uuid AND seq > ${from} AND seq <= ${upto}
      RETURNING id, "editedAt" IS NOT NULL AS "isEdited", COALESCE(${Prisma.raw(HAS_PREVIEW_IMAGE_SQL)}, false) AS "hasImage"`;
    const edited = messages.filter((m) => m.isEdited).map((m) => m.id);
    if (edited.length > 0) {
      await tx.$executeRaw`
        UPDATE "Event" SET payload = jsonb_set(payload, '{body}', '""')
        WHERE "conversationId" = ${conversationId}::uuid AND seq > ${upto}
          AND kind = ${EventKind.MessageEdited} AND payload->>'messageId' = ANY(${edited}::text[])`;
    }
    const events = await tx.$executeRaw`
      DELETE FROM "Event" WHERE "conversationId" = ${conversationId}::uuid AND seq > ${from} AND seq <= ${upto}`;
    const images = messages.filter((m) => m.hasImage).map((m) => ({ conversationId, id: m.id }));
    return { files, messages: messages.length, events, images };
  });
  if (!result) return null;
  await deletePreviewImages(storage, result.images);
  if (storage && result.files.length > 0) {
    const isOk = await deleteObjects(
      storage,
      result.files.flatMap((f) => [f.objectKey, f.thumbnailKey]),
    );
    if (isOk) await db.attachment.deleteMany({ where: { id: { in: result.files.map((f) => f.id) } } });
  }
  return { messages: result.messages, events: result.events, files: result.files.length };
}

/**
 * Runs `runMessageRetention` hourly (see startPeriodic): every web server may run it, the
 * advisory lock lets one pass run at a time. `storage` is asked for on each pass.
 */
export function startMessageRetention(
  db: TDb,
  storage: () => Promise<TStorage>,
  options: TPeriodicOptions & { onRan?: (summary: TRetentionRunSummary) => void } = {},
): () => Promise<void> {
  return startPeriodic(async () => {
    const summary = await runMessageRetention(db, await storage());
    if (summary.events > 0) options.onRan?.(summary);
  }, options);
}
