/**
 * Running Slack imports in the background, as exports run (export/run.ts): `startSlackImportWorker`
 * in every web process, woken through globalThis by a start in the same process, else every 15 s.
 * A run claims the oldest queued import — or a running one whose heartbeat is over a minute old
 * (its process died) — with `FOR UPDATE SKIP LOCKED`, beats with its progress after every batch
 * (and at least every 10 s), and runs import.ts. Since every step of an import is idempotent, a
 * run taken over simply starts again and skips what was written. After 3 attempts an import
 * fails. A refused export (BAD_REQUEST: not a zip, unsafe paths, malformed JSON…) fails at once
 * with its reason and nothing written. The zip is removed from storage once the import is done or
 * refused. On shutdown the running import goes back to the queue.
 */
import type { TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import type { TActor } from "../actor.ts";
import { recordAudit } from "../audit/record.ts";
import {
  startBackgroundWorker,
  type TBackgroundWorkerOptions,
  wakeBackgroundWorker,
} from "../background-worker.ts";
import { ParleyError } from "../errors.ts";
import type { TUploadLimits } from "../files.ts";
import { processLogger } from "../logging.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";
import { importSlackZip, type TImportSummary } from "./import.ts";
import { openStoredZip } from "./zip.ts";

/** A running import whose heartbeat is older than this is taken over. */
export const SLACK_IMPORT_STALE_MS = 60_000;
const HEARTBEAT_MS = 10_000;
const MAX_ATTEMPTS = 3;

type TClaimed = { id: string; requestedById: string; objectKey: string; attempts: number };

export type TSlackImportRunResult = {
  id: string;
  status: "done" | "failed" | "lost" | "requeued";
  summary?: TImportSummary;
};

export type TSlackImportRunOptions = {
  batchSize?: number;
  isStopping?: () => boolean;
  /** The server's upload limits, which files in the zip meet too (defaults: @parley/config's). */
  uploadLimits?: TUploadLimits;
};

async function claimNext(db: TDb): Promise<TClaimed | null> {
  const staleBefore = new Date(Date.now() - SLACK_IMPORT_STALE_MS);
  await db.$executeRaw`
    UPDATE "SlackImport" SET status = 'failed', "finishedAt" = ${new Date()}::timestamp(3),
      error = 'The import stopped ' || attempts || ' times before it finished; the server log has the details. Start it again to continue where it stopped.'
    WHERE status = 'running' AND "heartbeatAt" < ${staleBefore}::timestamp(3) AND attempts >= ${MAX_ATTEMPTS}`;
  const [claimed] = await db.$queryRaw<TClaimed[]>`
    UPDATE "SlackImport" SET status = 'running', attempts = attempts + 1,
      "startedAt" = COALESCE("startedAt", ${new Date()}::timestamp(3)), "heartbeatAt" = ${new Date()}::timestamp(3), error = NULL
    WHERE id = (
      SELECT id FROM "SlackImport"
      WHERE status = 'queued' OR (status = 'running' AND "heartbeatAt" < ${staleBefore}::timestamp(3))
      ORDER BY "createdAt", id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, "requestedById", "objectKey", attempts`;
  return claimed ?? null;
}

class LostClaimError extends Error {
  override name = "LostClaimError";
}
class StoppingError extends Error {
  override name = "StoppingError";
}

async function runClaimed(
  db: TDb,
  storage: TStorage,
  job: TClaimed,
  options: TSlackImportRunOptions,
): Promise<TSlackImportRunResult> {
  let phase = "validating";
  let messages = 0;
  let lastBeat = 0;
  // One beat at a time, in order: the timer's beat and a batch's could otherwise commit out of
  // order on two pooled connections and show the admin a progress that goes back.
  let beats: Promise<void> = Promise.resolve();
  const beatNow = async () => {
    const n = await db.$executeRaw`
      UPDATE "SlackImport" SET "heartbeatAt" = ${new Date()}::timestamp(3), phase = ${phase}, messages = ${messages}
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
    if (n === 0) throw new LostClaimError("another process took this import over");
  };
  const beat = (force: boolean): Promise<void> => {
    if (!force && Date.now() - lastBeat < 1000) return Promise.resolve();
    lastBeat = Date.now();
    const next = beats.then(beatNow);
    beats = next.catch(() => undefined);
    return next;
  };
  const timer = setInterval(() => {
    beat(true).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  const target = { type: "workspace" as const, id: String(WORKSPACE_ID), label: "Slack import" };
  try {
    const [admin] = await db.$queryRaw<{ role: TActor["role"] }[]>`
      SELECT role FROM "User" WHERE id = ${job.requestedById}::uuid`;
    const actor: TActor = { userId: job.requestedById, role: admin?.role ?? "admin" };
    const zip = await openStoredZip(storage, job.objectKey);
    let summary: TImportSummary;
    try {
      summary = await importSlackZip(db, zip, actor, {
        storage,
        ...(options.uploadLimits ? { uploadLimits: options.uploadLimits } : {}),
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
        onPlanned: async (total) => {
          await db.$executeRaw`UPDATE "SlackImport" SET "totalMessages" = ${total}
            WHERE id = ${job.id}::uuid AND attempts = ${job.attempts}`;
        },
        onProgress: async (nextPhase, done) => {
          const isNewPhase = nextPhase !== phase;
          phase = nextPhase;
          messages = done;
          if (options.isStopping?.()) throw new StoppingError("the server is stopping");
          await beat(isNewPhase);
        },
      });
    } finally {
      await zip.close();
    }
    clearInterval(timer);
    const done = await db.$executeRaw`
      UPDATE "SlackImport" SET status = 'done', phase = 'done', "finishedAt" = ${new Date()}::timestamp(3), messages = ${messages},
        summary = ${JSON.stringify(summary)}::jsonb
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
    if (done === 0) return { id: job.id, status: "lost" };
    await recordAudit(db, {
      action: "slack_import.finished",
      actorId: job.requestedById,
      target,
      details: {
        importId: job.id,
        usersCreated: summary.users.created,
        usersMatched: summary.users.matched,
        conversationsCreated: summary.conversations.created,
        messagesImported: summary.messages.imported,
      },
    });
    await removeQuietly(storage, job.objectKey, job.id);
    return { id: job.id, status: "done", summary };
  } catch (err) {
    clearInterval(timer);
    if (err instanceof LostClaimError) return { id: job.id, status: "lost" };
    if (err instanceof StoppingError) {
      await db.$executeRaw`
        UPDATE "SlackImport" SET status = 'queued', attempts = attempts - 1
        WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
      return { id: job.id, status: "requeued" };
    }
    const isRefused = err instanceof ParleyError && err.code === "BAD_REQUEST";
    if (!isRefused) processLogger().error({ err, importId: job.id }, "a Slack import failed");
    const message = isRefused
      ? (err as ParleyError).message
      : "The import failed; the server log has the details. Start a new import of the same zip to continue where it stopped.";
    await db.$executeRaw`
      UPDATE "SlackImport" SET status = 'failed', "finishedAt" = ${new Date()}::timestamp(3), error = ${message}
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
    await recordAudit(db, {
      action: "slack_import.failed",
      actorId: job.requestedById,
      target,
      details: { importId: job.id, error: message },
    });
    if (isRefused) await removeQuietly(storage, job.objectKey, job.id);
    return { id: job.id, status: "failed" };
  }
}

async function removeQuietly(storage: TStorage, key: string, importId: string): Promise<void> {
  try {
    await storage.deleteObject(key);
  } catch (err) {
    processLogger().warn({ err, importId, key }, "removing an import's zip failed");
  }
}

/** Runs queued imports one after the other until none is left; returns what each run did. */
export async function runPendingSlackImports(
  db: TDb,
  storage: TStorage,
  options: TSlackImportRunOptions = {},
): Promise<TSlackImportRunResult[]> {
  const results: TSlackImportRunResult[] = [];
  while (!options.isStopping?.()) {
    const job = await claimNext(db);
    if (!job) return results;
    results.push(await runClaimed(db, storage, job, options));
  }
  return results;
}

/** Tells this process's import worker (if it runs one) to look for work now. */
export function wakeSlackImportWorker(): void {
  wakeBackgroundWorker("slack-import");
}

export type TSlackImportWorkerOptions = TSlackImportRunOptions &
  TBackgroundWorkerOptions & { onRan?: (result: TSlackImportRunResult) => void };

/**
 * The background worker of a server process (see the file header and background-worker.ts).
 * Returns a stop function: the running import stops at its next batch and goes back to the queue.
 */
export function startSlackImportWorker(
  db: TDb,
  storage: () => Promise<TStorage>,
  options: TSlackImportWorkerOptions = {},
): () => Promise<void> {
  return startBackgroundWorker(
    "slack-import",
    async (isStopping) => {
      const store = await storage();
      for (const result of await runPendingSlackImports(db, store, { ...options, isStopping }))
        options.onRan?.(result);
    },
    options,
  );
}
