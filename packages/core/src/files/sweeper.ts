/**
 * Cleanup of attachments: unsent uploads past their TTL and the leftovers of deleted messages
 * (rows already `deleted` whose objects were not all removed). Rows are marked `deleted` before
 * their objects go, so nothing can link or serve a file whose bytes are going away. Bots' uploads
 * never completed (bots/uploads.ts) are swept in the same pass, with the same TTL.
 */
import type { TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import { processLogger } from "../logging.ts";
import { deleteObjects, thumbnailKeyFor } from "./objects.ts";

/**
 * Deletes uploads never sent within `olderThanMinutes` and finishes removing the files of deleted
 * messages; returns how many attachments were removed (bots' uploads swept alongside are not
 * counted). Run it periodically (e.g. every few minutes).
 */
export async function sweepPendingUploads(
  db: TDb,
  storage: TStorage,
  olderThanMinutes: number,
  options: { batchSize?: number } = {},
): Promise<number> {
  const cutoff = new Date(Date.now() - olderThanMinutes * 60_000);
  const batchSize = options.batchSize ?? 500;
  // Mark first: a `deleted` row can no longer be linked by a send (it requires `ready`).
  await db.$executeRaw`
    UPDATE "Attachment" SET status = 'deleted'
    WHERE id IN (
      SELECT id FROM "Attachment"
      WHERE "messageId" IS NULL AND status <> 'deleted' AND "createdAt" < ${cutoff}::timestamp(3)
      LIMIT ${batchSize}
    )`;
  const doomed = await db.attachment.findMany({
    where: { status: "deleted" },
    select: { id: true, objectKey: true, thumbnailKey: true },
    take: batchSize,
  });
  await sweepBotUploads(db, storage, olderThanMinutes, batchSize);
  let removed = 0;
  for (const row of doomed) {
    // Thumbnail keys are derived, so also try it for rows whose completion never recorded it.
    if (await deleteObjects(storage, [row.objectKey, row.thumbnailKey ?? thumbnailKeyFor(row.objectKey)])) {
      removed += (await db.attachment.deleteMany({ where: { id: row.id, status: "deleted" } })).count;
    }
  }
  return removed;
}

/** A bot's completion stopped half-way (a crash) keeps its upload this much longer than the TTL. */
const STUCK_COMPLETION_GRACE_MS = 60 * 60_000;

/**
 * Removes bots' uploads (bots/uploads.ts) never completed within `olderThanMinutes`: marks them
 * `expired` (no step takes them any more), removes their objects — unless an Attachment holds the
 * object (a completion that stopped after making it: the attachments sweeper owns it then) — and
 * deletes the rows. Returns how many rows it removed.
 */
export async function sweepBotUploads(
  db: TDb,
  storage: TStorage,
  olderThanMinutes: number,
  batchSize = 500,
): Promise<number> {
  const cutoff = new Date(Date.now() - olderThanMinutes * 60_000);
  const stuck = new Date(cutoff.getTime() - STUCK_COMPLETION_GRACE_MS);
  await db.$executeRaw`
    UPDATE "BotUpload" SET status = 'expired'
    WHERE id IN (
      SELECT id FROM "BotUpload"
      WHERE status <> 'expired' AND "createdAt" < ${cutoff}::timestamp(3)
        AND (status <> 'completing' OR "createdAt" < ${stuck}::timestamp(3))
      LIMIT ${batchSize}
    )`;
  const doomed = await db.$queryRaw<{ id: string; objectKey: string; isAttached: boolean }[]>`
    SELECT b.id, b."objectKey", EXISTS (SELECT 1 FROM "Attachment" a WHERE a."objectKey" = b."objectKey") AS "isAttached"
    FROM "BotUpload" b WHERE b.status = 'expired' LIMIT ${batchSize}`;
  let removed = 0;
  for (const row of doomed) {
    const isGone =
      row.isAttached || (await deleteObjects(storage, [row.objectKey, thumbnailKeyFor(row.objectKey)]));
    if (isGone)
      removed += (await db.botUpload.deleteMany({ where: { id: row.id, status: "expired" } })).count;
  }
  return removed;
}

// Sweeping without a scheduler

const lastSweepAt = new Map<TStorage, number>();

/**
 * Runs `sweepPendingUploads` in the background at most once per `everyMs` per storage in this
 * process; cheap to call on every upload. A process with its own timer can call the sweep directly.
 */
export function sweepOccasionally(
  db: TDb,
  storage: TStorage,
  olderThanMinutes: number,
  everyMs = 5 * 60_000,
): void {
  const now = Date.now();
  if (now - (lastSweepAt.get(storage) ?? 0) < everyMs) return;
  lastSweepAt.set(storage, now);
  sweepPendingUploads(db, storage, olderThanMinutes).catch((err: unknown) => {
    processLogger().error({ err }, "sweeping unsent uploads failed");
  });
}
