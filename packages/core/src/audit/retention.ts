/**
 * The audit log's own retention: entries older than the workspace's `auditRetentionDays`
 * (default 365; 0 = forever) are deleted in bounded batches, each its own short transaction, by a
 * background loop apps/web/server.ts starts beside the notifier. This is the ONLY path that
 * deletes entries: it sets `parley.audit_retention` for its transaction, which is what the
 * table's trigger requires of a DELETE. A pass that removed anything records `audit.pruned`.
 */
import type { TDb } from "@parley/db";
import { startPeriodic, type TPeriodicOptions } from "../periodic.ts";
import { WORKSPACE_ID } from "../workspace.ts";
import { recordAudit } from "./record.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

export type TPruneOptions = {
  /** Rows per DELETE (default 1,000). */
  batchSize?: number;
  /** At most this many batches per pass (default 50), so one pass never runs long. */
  maxBatches?: number;
  /** "Now", for tests. */
  now?: Date;
};

/** Deletes entries past the retention, in batches; returns how many went. */
export async function pruneAuditEntries(db: TDb, options: TPruneOptions = {}): Promise<number> {
  const ws = await db.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { auditRetentionDays: true },
  });
  const days = ws?.auditRetentionDays ?? 0;
  if (days <= 0) return 0;
  const cutoff = new Date((options.now ?? new Date()).getTime() - days * DAY_MS);
  const batchSize = options.batchSize ?? 1_000;
  const maxBatches = options.maxBatches ?? 50;
  let removed = 0;
  for (let i = 0; i < maxBatches; i++) {
    const count = await db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('parley.audit_retention', 'on', true)`;
      return tx.$executeRaw`
        DELETE FROM "AuditEntry" WHERE id IN (
          SELECT id FROM "AuditEntry" WHERE at < ${cutoff}::timestamp(3) ORDER BY at LIMIT ${batchSize}
        )`;
    });
    removed += count;
    if (count < batchSize) break;
  }
  if (removed > 0) {
    await recordAudit(db, {
      action: "audit.pruned",
      actorId: null,
      actorLabel: "retention",
      target: { type: "audit", label: "audit log" },
      details: { removed, olderThan: cutoff.toISOString(), retentionDays: days },
    });
  }
  return removed;
}

/**
 * Runs `pruneAuditEntries` every `intervalMs` (default one hour; first pass after `firstDelayMs`,
 * default one minute). Several processes may run it at once: batches are idempotent. Returns a
 * stop function that waits for the running pass.
 */
export function startAuditRetention(
  db: TDb,
  options: TPeriodicOptions & { onPruned?: (n: number) => void } = {},
): () => Promise<void> {
  return startPeriodic(async () => {
    const removed = await pruneAuditEntries(db);
    if (removed > 0) options.onPruned?.(removed);
  }, options);
}
