/**
 * Running exports in the background. A run claims the oldest queued export (or one whose runner
 * stopped sending heartbeats for a minute: its process died) with `FOR UPDATE SKIP LOCKED`, so any
 * number of server processes may run the worker and each export is built by one of them at a
 * time. The run writes the archive straight into storage (archive.ts) under a key of its own
 * attempt, reads in bounded batches (no transaction spans the export) and beats every 10 s with
 * its progress; a run that finds it lost its claim (another process took over) stops and removes
 * what it wrote. After three attempts an export fails.
 *
 * The cut: a run reads each conversation's `lastSeq` when it starts and exports messages up to
 * that seq, which were all committed before the start (seqs are allocated under the
 * conversation's row lock in the sending transaction). Each message is exported as it is when
 * its batch is read (an edit, reaction or pin made meanwhile may show; a message deleted meanwhile
 * shows as deleted, or its files as missing). Users and channels are those created before the
 * start, as they are when read.
 *
 * Ready archives are kept EXPORT_KEEP_DAYS days, then their objects are removed and the row stays
 * as `expired` (the history of who exported what, beside the audit log).
 */
import type { TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import {
  startBackgroundWorker,
  type TBackgroundWorkerOptions,
  wakeBackgroundWorker,
} from "../background-worker.ts";
import { processLogger } from "../logging.ts";
import { writeExportArchive } from "./archive.ts";
import { DEFAULT_EXPORT_BATCHING, JsonlParts, type TExportBatching, type TExportContext } from "./content.ts";
import { buildUser, buildWorkspace, planUser, planWorkspace } from "./scopes.ts";
import { writeSlackFormatExport } from "./slack-format.ts";

/** Days a finished archive stays downloadable. */
export const EXPORT_KEEP_DAYS = 7;
/** A running export whose heartbeat is older than this is taken over. */
export const EXPORT_STALE_MS = 60_000;
const HEARTBEAT_MS = 10_000;
const MAX_ATTEMPTS = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The archive's format, written into its manifest. */
export const EXPORT_FORMAT = { format: "parley-export", version: 1 } as const;

type TClaimed = {
  id: string;
  scope: "workspace" | "user";
  format: "parley" | "slack";
  includePrivate: boolean;
  requestedById: string;
  attempts: number;
};

/** What one run did. */
export type TExportRunResult = {
  id: string;
  status: "ready" | "failed" | "lost" | "requeued";
  objectKey?: string;
  bytes?: number;
};

export type TExportRunOptions = {
  batching?: Partial<TExportBatching>;
  now?: () => Date;
  /** Checked between batches: when true, the run stops and its export goes back to the queue. */
  isStopping?: () => boolean;
};

/** Claims the next export to build (see the file header), or null when there is none. */
async function claimNext(db: TDb, now: Date): Promise<TClaimed | null> {
  const staleBefore = new Date(now.getTime() - EXPORT_STALE_MS);
  await db.$executeRaw`
    UPDATE "DataExport" SET status = 'failed', "finishedAt" = ${now}::timestamp(3),
      error = 'The export stopped ' || attempts || ' times before it finished. Try again.'
    WHERE status = 'running' AND "heartbeatAt" < ${staleBefore}::timestamp(3) AND attempts >= ${MAX_ATTEMPTS}`;
  const [claimed] = await db.$queryRaw<TClaimed[]>`
    UPDATE "DataExport" SET status = 'running', attempts = attempts + 1,
      "startedAt" = ${now}::timestamp(3), "heartbeatAt" = ${now}::timestamp(3),
      messages = 0, files = 0, "totalMessages" = NULL, error = NULL
    WHERE id = (
      SELECT id FROM "DataExport"
      WHERE status = 'queued' OR (status = 'running' AND "heartbeatAt" < ${staleBefore}::timestamp(3))
      ORDER BY "createdAt", id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, scope::text AS scope, format::text AS format, "includePrivate", "requestedById", attempts`;
  return claimed ?? null;
}

/** `2026-12-08T10:05` → `20261208-1005`, for names. */
function stamp(at: Date): string {
  return at.toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
}

/** Builds one claimed export (see the file header). */
async function runClaimed(
  db: TDb,
  storage: TStorage,
  job: TClaimed,
  options: TExportRunOptions,
): Promise<TExportRunResult> {
  const clock = options.now ?? (() => new Date());
  const startedAt = clock();
  await db.$executeRaw`UPDATE "DataExport" SET "startedAt" = ${startedAt}::timestamp(3)
    WHERE id = ${job.id}::uuid AND attempts = ${job.attempts}`;
  if (job.format === "slack") return runSlackFormat(db, storage, job, options, startedAt);
  const root = `parley-export-${job.scope}-${stamp(startedAt)}`;
  const fileName = `${root}.tar.gz`;
  const objectKey = `exports/${job.id}/${job.attempts}/${fileName}`;
  const batching = { ...DEFAULT_EXPORT_BATCHING, ...options.batching };
  const archive = writeExportArchive(storage, objectKey);
  const parts = new JsonlParts(archive, root, batching.partLines);
  const ctx: TExportContext = {
    db,
    storage,
    archive,
    root,
    cut: startedAt,
    batching,
    parts,
    progress: { messages: 0, files: 0, missingFiles: 0 },
  };
  let isLost = false;
  const beat = async () => {
    const n = await db.$executeRaw`
      UPDATE "DataExport" SET "heartbeatAt" = ${clock()}::timestamp(3),
        messages = ${ctx.progress.messages}, files = ${ctx.progress.files}
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
    if (n === 0) isLost = true;
  };
  const timer = setInterval(() => {
    beat().catch((err: unknown) =>
      processLogger().warn({ err, exportId: job.id }, "export heartbeat failed"),
    );
  }, HEARTBEAT_MS);
  timer.unref();
  const onBatch = () => {
    if (isLost) throw new LostClaimError();
    if (options.isStopping?.()) throw new StoppingError();
  };
  try {
    const plan = job.scope === "workspace" ? await planWorkspace(db) : await planUser(db, job.requestedById);
    await db.$executeRaw`UPDATE "DataExport" SET "totalMessages" = ${plan.totalMessages}
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts}`;
    const summary =
      job.scope === "workspace"
        ? await buildWorkspace(ctx, plan, onBatch)
        : await buildUser(ctx, job.requestedById, plan, onBatch);
    await parts.flush();
    const finishedAt = clock();
    const manifest = {
      ...EXPORT_FORMAT,
      scope: job.scope,
      exportId: job.id,
      requestedById: job.requestedById,
      cut: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      ...summary.extra,
      counts: { ...parts.counts(), missingFiles: ctx.progress.missingFiles },
      parts: parts.partCounts(),
      layout:
        "<kind>/NNNNNN.jsonl: JSON lines, parts in name order; objects/<fileId>/<name>: file bytes (files lines give each file's path, null when it was missing from storage)",
      notes: summary.notes,
    };
    await archive.addBuffer(`${root}/manifest.json`, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    const bytes = await archive.finish();
    clearInterval(timer);
    const expiresAt = new Date(finishedAt.getTime() + EXPORT_KEEP_DAYS * DAY_MS);
    const done = await db.$executeRaw`
      UPDATE "DataExport" SET status = 'ready', "finishedAt" = ${finishedAt}::timestamp(3),
        "heartbeatAt" = ${finishedAt}::timestamp(3), "objectKey" = ${objectKey}, "fileName" = ${fileName},
        bytes = ${bytes}, messages = ${ctx.progress.messages}, files = ${ctx.progress.files},
        "expiresAt" = ${expiresAt}::timestamp(3)
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
    if (done === 0) {
      await removeQuietly(storage, objectKey, job.id);
      return { id: job.id, status: "lost" };
    }
    return { id: job.id, status: "ready", objectKey, bytes };
  } catch (err) {
    clearInterval(timer);
    await archive.abort(err as Error);
    await removeQuietly(storage, objectKey, job.id);
    return endFailedRun(db, job, err, clock, "building an export failed");
  }
}

/**
 * Builds a workspace export in Slack's format (slack-format.ts): the same claim, heartbeat, cut,
 * stop and takeover rules as the Parley format; a zip instead of the tar.
 */
async function runSlackFormat(
  db: TDb,
  storage: TStorage,
  job: TClaimed,
  options: TExportRunOptions,
  startedAt: Date,
): Promise<TExportRunResult> {
  const clock = options.now ?? (() => new Date());
  const fileName = `parley-slack-export-${stamp(startedAt)}.zip`;
  const objectKey = `exports/${job.id}/${job.attempts}/${fileName}`;
  const batching = { ...DEFAULT_EXPORT_BATCHING, ...options.batching };
  let messages = 0;
  let isLost = false;
  const timer = setInterval(() => {
    db.$executeRaw`
      UPDATE "DataExport" SET "heartbeatAt" = ${clock()}::timestamp(3), messages = ${messages}
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`
      .then((n) => {
        if (n === 0) isLost = true;
      })
      .catch((err: unknown) => processLogger().warn({ err, exportId: job.id }, "export heartbeat failed"));
  }, HEARTBEAT_MS);
  timer.unref();
  try {
    const plan = await planWorkspace(db, { includePrivate: job.includePrivate });
    await db.$executeRaw`UPDATE "DataExport" SET "totalMessages" = ${plan.totalMessages}
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts}`;
    const bytes = await writeSlackFormatExport(db, storage, objectKey, {
      plan,
      includePrivate: job.includePrivate,
      cut: startedAt,
      batchSize: batching.batchSize,
      onBatch: (n) => {
        messages = n;
        if (isLost) throw new LostClaimError();
        if (options.isStopping?.()) throw new StoppingError();
      },
    });
    clearInterval(timer);
    const finishedAt = clock();
    const expiresAt = new Date(finishedAt.getTime() + EXPORT_KEEP_DAYS * DAY_MS);
    const done = await db.$executeRaw`
      UPDATE "DataExport" SET status = 'ready', "finishedAt" = ${finishedAt}::timestamp(3),
        "heartbeatAt" = ${finishedAt}::timestamp(3), "objectKey" = ${objectKey}, "fileName" = ${fileName},
        bytes = ${bytes}, messages = ${messages}, files = 0, "expiresAt" = ${expiresAt}::timestamp(3)
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
    if (done === 0) {
      await removeQuietly(storage, objectKey, job.id);
      return { id: job.id, status: "lost" };
    }
    return { id: job.id, status: "ready", objectKey, bytes };
  } catch (err) {
    clearInterval(timer);
    await removeQuietly(storage, objectKey, job.id);
    return endFailedRun(db, job, err, clock, "building a Slack-format export failed");
  }
}

/**
 * How a run that threw ends (both formats): a lost claim is someone else's now; a stopping server
 * puts the export back in the queue, this attempt not counted; anything else fails it (logged).
 */
async function endFailedRun(
  db: TDb,
  job: { id: string; attempts: number },
  err: unknown,
  clock: () => Date,
  logMessage: string,
): Promise<TExportRunResult> {
  if (err instanceof LostClaimError) return { id: job.id, status: "lost" };
  if (err instanceof StoppingError) {
    await db.$executeRaw`
      UPDATE "DataExport" SET status = 'queued', attempts = attempts - 1, messages = 0, files = 0
      WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
    return { id: job.id, status: "requeued" };
  }
  processLogger().error({ err, exportId: job.id }, logMessage);
  await db.$executeRaw`
    UPDATE "DataExport" SET status = 'failed', "finishedAt" = ${clock()}::timestamp(3),
      error = 'Building the export failed; the server log has the details. Try again.'
    WHERE id = ${job.id}::uuid AND attempts = ${job.attempts} AND status = 'running'`;
  return { id: job.id, status: "failed" };
}

class LostClaimError extends Error {
  override name = "LostClaimError";
  override message = "another process took this export over";
}

class StoppingError extends Error {
  override name = "StoppingError";
  override message = "the server is stopping";
}

async function removeQuietly(storage: TStorage, key: string, exportId: string): Promise<void> {
  try {
    await storage.deleteObject(key);
  } catch (err) {
    processLogger().warn({ err, exportId, key }, "removing an export's archive failed");
  }
}

/** Builds queued exports, one after the other, until none is left; returns what each run did. */
export async function runPendingExports(
  db: TDb,
  storage: TStorage,
  options: TExportRunOptions = {},
): Promise<TExportRunResult[]> {
  const results: TExportRunResult[] = [];
  while (!options.isStopping?.()) {
    const job = await claimNext(db, (options.now ?? (() => new Date()))());
    if (!job) return results;
    results.push(await runClaimed(db, storage, job, options));
  }
  return results;
}

/**
 * Removes the archives of ready exports past their `expiresAt` (at most 100 a call) and marks them
 * `expired`; returns how many.
 */
export async function expireExports(db: TDb, storage: TStorage, now: Date = new Date()): Promise<number> {
  const due = await db.$queryRaw<{ id: string; objectKey: string | null }[]>`
    SELECT id, "objectKey" FROM "DataExport"
    WHERE status = 'ready' AND "expiresAt" <= ${now}::timestamp(3)
    ORDER BY "expiresAt" LIMIT 100`;
  let expired = 0;
  for (const row of due) {
    try {
      if (row.objectKey) await storage.deleteObject(row.objectKey);
    } catch (err) {
      processLogger().warn({ err, exportId: row.id }, "removing an expired export failed; retrying later");
      continue;
    }
    expired += await db.$executeRaw`
      UPDATE "DataExport" SET status = 'expired', "objectKey" = NULL
      WHERE id = ${row.id}::uuid AND status = 'ready'`;
  }
  return expired;
}

/** Tells this process's export worker (if it runs one) to look for work now. */
export function wakeExportWorker(): void {
  wakeBackgroundWorker("export");
}

export type TExportWorkerOptions = TExportRunOptions &
  TBackgroundWorkerOptions & { onRan?: (result: TExportRunResult) => void };

/**
 * The background worker of a server process (background-worker.ts): builds queued exports (woken
 * by `wakeExportWorker` when one is requested in this process, else every `pollMs`) and removes
 * expired archives. Returns a stop function: the export being built stops at its next batch and
 * goes back to the queue (another process, or this one after a restart, builds it again).
 */
export function startExportWorker(
  db: TDb,
  storage: () => Promise<TStorage>,
  options: TExportWorkerOptions = {},
): () => Promise<void> {
  return startBackgroundWorker(
    "export",
    async (isStopping) => {
      const store = await storage();
      for (const result of await runPendingExports(db, store, { ...options, isStopping }))
        options.onRan?.(result);
      await expireExports(db, store);
    },
    options,
  );
}
