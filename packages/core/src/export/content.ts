/**
 * The pieces both kinds of export share: JSON lines written in numbered parts (`<kind>/000001.jsonl`,
 * at most `partLines` lines each, so memory stays bounded by one part per kind), the message loop
 * (per conversation, batch by batch up to the cut, files streamed after each batch) and progress.
 */
import type { TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import { jsonLines, partName, type TExportArchive } from "./archive.ts";
import { addMessageFiles, readMessageBatch, type TConversationCut } from "./rows.ts";

/** Sizes of an export's batches (tests make them small to cross batch boundaries). */
export type TExportBatching = {
  /** Rows one query reads (default 500). */
  batchSize: number;
  /** Lines one JSON lines part holds (default 5,000). */
  partLines: number;
};

export const DEFAULT_EXPORT_BATCHING: TExportBatching = { batchSize: 500, partLines: 5_000 };

/** Progress the run reports (its heartbeat writes it to the DataExport row). */
export type TExportProgress = { messages: number; files: number; missingFiles: number };

/** Everything a builder needs. */
export type TExportContext = {
  db: TDb;
  storage: TStorage;
  archive: TExportArchive;
  /** The archive's top folder (every entry is under it). */
  root: string;
  /** The run's start: the cut for rows without a log (users, channels). */
  cut: Date;
  batching: TExportBatching;
  parts: JsonlParts;
  progress: TExportProgress;
};

/** JSON lines per kind, buffered up to one part and written as `<root>/<kind>/NNNNNN.jsonl`. */
export class JsonlParts {
  private readonly pending = new Map<string, unknown[]>();
  private readonly written = new Map<string, number>();
  private readonly lines = new Map<string, number>();

  constructor(
    private readonly archive: TExportArchive,
    private readonly root: string,
    private readonly partLines: number,
  ) {}

  /** Queues lines of `kind`; a full part is written at once. */
  async push(kind: string, rows: readonly unknown[]): Promise<void> {
    const list = this.pending.get(kind) ?? [];
    list.push(...rows);
    this.pending.set(kind, list);
    this.lines.set(kind, (this.lines.get(kind) ?? 0) + rows.length);
    while (list.length >= this.partLines) await this.writePart(kind, list.splice(0, this.partLines));
  }

  /** Writes what is left of every kind (a kind with no lines at all gets no part). */
  async flush(): Promise<void> {
    for (const [kind, list] of this.pending) {
      if (list.length > 0) await this.writePart(kind, list.splice(0));
    }
  }

  /** Lines pushed per kind so far. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.lines);
  }

  /** Parts written per kind (`kind` → number of parts). */
  partCounts(): Record<string, number> {
    return Object.fromEntries(this.written);
  }

  private async writePart(kind: string, rows: unknown[]): Promise<void> {
    const n = (this.written.get(kind) ?? 0) + 1;
    this.written.set(kind, n);
    await this.archive.addBuffer(partName(this.root, kind, n), jsonLines(rows));
  }
}

/**
 * Exports the messages of each conversation up to its cut, batch by batch, with their files
 * (bytes under `objects/`, metadata as `files` lines). `senderId`: only that sender's live
 * messages; otherwise every message, deleted ones as tombstones, while the channel stays public.
 */
export async function exportMessages(
  ctx: TExportContext,
  cuts: readonly TConversationCut[],
  options: { senderId?: string; onBatch: () => void },
): Promise<void> {
  for (const cut of cuts) {
    let afterSeq = 0;
    for (;;) {
      const batch = await readMessageBatch(ctx.db, {
        conversationId: cut.id,
        afterSeq,
        uptoSeq: cut.lastSeq,
        limit: ctx.batching.batchSize,
        withDeleted: !options.senderId,
        onlyPublic: !options.senderId,
        ...(options.senderId ? { senderId: options.senderId } : {}),
      });
      if (batch.length === 0) break;
      afterSeq = batch[batch.length - 1]?.seq ?? afterSeq;
      await ctx.parts.push("messages", batch);
      const withFiles = batch.filter((m) => m.fileIds.length > 0).map((m) => m.id);
      const files = await addMessageFiles(ctx.db, ctx.storage, ctx.archive, ctx.root, withFiles);
      await ctx.parts.push("files", files);
      ctx.progress.messages += batch.length;
      ctx.progress.files += files.filter((f) => f.path !== null).length;
      ctx.progress.missingFiles += files.filter((f) => f.path === null).length;
      options.onBatch();
      if (batch.length < ctx.batching.batchSize) break;
    }
  }
}

/** Reads keyset pages until one comes back short, pushing each as lines of `kind`. */
export async function exportPages<T>(
  ctx: TExportContext,
  kind: string,
  read: (after: T | null) => Promise<T[]>,
): Promise<void> {
  let last: T | null = null;
  for (;;) {
    const page = await read(last);
    if (page.length === 0) return;
    await ctx.parts.push(kind, page);
    last = page[page.length - 1] ?? last;
    if (page.length < ctx.batching.batchSize) return;
  }
}
