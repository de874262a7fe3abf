/**
 * One import, start to end, on an open zip: validate everything (plan.ts: nothing written before
 * the whole export is known to be readable), then people (users.ts), then each conversation
 * (conversations.ts) and its history in batches of `batchSize` messages (messages.ts; the files
 * the zip holds stored first, files.ts), then its archiving when Slack's is archived, yielding to
 * the event loop between batches so live requests of the same process keep flowing. Every step
 * is idempotent through SlackImportMapping, so a run that stopped half-way (a crash, a restart)
 * is simply run again and continues where it stopped; importing the same export twice writes
 * nothing the second time.
 */
import type { TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import type { TActor } from "../actor.ts";
import { deleteObjects } from "../files/objects.ts";
import { DEFAULT_UPLOAD_LIMITS, type TUploadLimits } from "../files.ts";
import { inWriteTx } from "../tx.ts";
import { resolveUploadLimits } from "../workspace.ts";
import { archiveImported, ensureConversation } from "./conversations.ts";
import { indexFiles, keysOf, storeFile } from "./files.ts";
import {
  ConversationClosedError,
  loadConversationState,
  noteFilesNotImported,
  prepareMessage,
  type TPreparedMessage,
  writeMessageBatch,
} from "./messages.ts";
import { planImport, readMessages } from "./plan.ts";
import { importUsers } from "./users.ts";
import type { TSlackZip } from "./zip.ts";

/** Messages per transaction (and people per transaction). */
export const DEFAULT_IMPORT_BATCH = 500;

/** What an import did (SlackImport.summary; counts only, never content). */
export type TImportSummary = {
  users: { matched: number; created: number };
  /** `archived`: channels archived now because Slack's are (summaries before it lack it). */
  conversations: { created: number; existing: number; archived?: number };
  messages: { imported: number; alreadyImported: number };
  events: number;
  /** Files the zip held, now attachments (summaries before it lack it). */
  filesImported?: number;
  filesNotImported: number;
  notes: string[];
};

export type TImportHooks = {
  batchSize?: number;
  /** Where the files the zip holds go; without it every file is "not imported". */
  storage?: TStorage;
  /** The server's upload limits (the workspace's own apply on top), which imported files meet too. */
  uploadLimits?: TUploadLimits;
  /** Called once the export is validated, with the number of messages it holds. */
  onPlanned?: (totalMessages: number) => Promise<void>;
  /** Called between batches with the messages done so far (imported or found imported). */
  onProgress?: (phase: string, messages: number) => Promise<void>;
};

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs the import of `zip` as `admin` (see the file header). */
export async function importSlackZip(
  db: TDb,
  zip: TSlackZip,
  admin: TActor,
  hooks: TImportHooks = {},
): Promise<TImportSummary> {
  const batchSize = hooks.batchSize ?? DEFAULT_IMPORT_BATCH;
  const progress = hooks.onProgress ?? (async () => {});
  await progress("validating", 0);
  const plan = await planImport(zip);
  await hooks.onPlanned?.(plan.totalMessages);
  await progress("users", 0);
  const { users, counts } = await importUsers(db, plan, batchSize);
  const summary: TImportSummary = {
    users: counts,
    conversations: { created: 0, existing: 0, archived: 0 },
    messages: { imported: 0, alreadyImported: 0 },
    events: 0,
    filesImported: 0,
    filesNotImported: 0,
    notes: [],
  };
  const storage = hooks.storage;
  const fileIndex = storage ? indexFiles(zip.names) : new Map<string, string>();
  const limits = await resolveUploadLimits(db, hooks.uploadLimits ?? DEFAULT_UPLOAD_LIMITS);
  let done = 0;
  await progress("messages", 0);
  for (const planned of plan.conversations) {
    const conversation = await inWriteTx(db, (w) => ensureConversation(w, admin, planned, users));
    if (conversation.isNew) summary.conversations.created++;
    else summary.conversations.existing++;
    const state = await loadConversationState(db, {
      conversationId: conversation.id,
      slackId: planned.slack.id,
      pins: new Map((planned.slack.pins ?? []).map((p) => [p.id, { userSlackId: p.user, at: p.created }])),
      fallbackSenderId: admin.userId,
      fileIndex,
    });
    const fileContext = storage ? { storage, zip, limits, conversationId: conversation.id } : null;
    let batch: TPreparedMessage[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const stored: string[] = [];
      let written: { firstSeq: number; lastSeq: number };
      try {
        for (const m of batch) {
          const refused: string[] = [];
          for (const file of m.files) {
            const attachment = fileContext ? await storeFile(fileContext, m.ts, m.createdAt, file) : null;
            if (attachment) {
              m.attachments.push(attachment);
              stored.push(...keysOf(attachment));
            } else {
              refused.push(file.name);
            }
          }
          if (refused.length > 0) noteFilesNotImported(state, m, refused);
        }
        written = await writeMessageBatch(db, state, batch);
      } catch (err) {
        // Nothing of this batch is in the database: neither may its files be in storage.
        if (storage) await deleteObjects(storage, stored);
        throw err;
      }
      summary.events += written.lastSeq - written.firstSeq + 1;
      summary.messages.imported += batch.length;
      summary.filesImported =
        (summary.filesImported ?? 0) + batch.reduce((n, m) => n + m.attachments.length, 0);
      summary.filesNotImported += batch.reduce((sum, m) => sum + m.missingFiles, 0);
      batch = [];
      await progress("messages", done);
      await yieldToLoop();
    };
    let isClosed = false;
    try {
      for await (const message of readMessages(zip, planned)) {
        done++;
        const prepared = prepareMessage(state, users, message);
        if (!prepared) {
          summary.messages.alreadyImported++;
          continue;
        }
        batch.push(prepared);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
    } catch (err) {
      if (!(err instanceof ConversationClosedError)) throw err;
      isClosed = true;
      summary.notes.push(
        `${conversation.label} was archived or deleted during the import; the rest of its history was not imported`,
      );
    }
    const isChannel = planned.kind === "public_channel" || planned.kind === "private_channel";
    if (isChannel && planned.slack.is_archived && !isClosed) {
      const slackId = planned.slack.id;
      if (await inWriteTx(db, (w) => archiveImported(w, admin, slackId, conversation.id))) {
        summary.conversations.archived = (summary.conversations.archived ?? 0) + 1;
      }
    }
    if (conversation.isNew) {
      // Imported history is old news: its members start with all of it read.
      await db.$executeRaw`
        UPDATE "Membership" m SET "readSeq" = GREATEST(m."readSeq", c."lastSeq")
        FROM "Conversation" c WHERE c.id = m."conversationId" AND c.id = ${conversation.id}::uuid`;
    }
  }
  await progress("done", done);
  return summary;
}
