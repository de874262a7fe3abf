/**
 * One import, start to end, on an open zip: validate everything (plan.ts: nothing written before
 * the whole export is known to be readable), then people (users.ts), then each conversation
 * (conversations.ts) and its history in batches of `batchSize` messages (messages.ts), yielding to
 * the event loop between batches so live requests of the same process keep flowing. Every step
 * is idempotent through SlackImportMapping, so a run that stopped half-way (a crash, a restart)
 * is simply run again and continues where it stopped; importing the same export twice writes
 * nothing the second time.
 */
import type { TDb } from "@parley/db";
import type { TActor } from "../actor.ts";
import { inWriteTx } from "../tx.ts";
import { ensureConversation } from "./conversations.ts";
import {
  ConversationClosedError,
  loadConversationState,
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
  conversations: { created: number; existing: number };
  messages: { imported: number; alreadyImported: number };
  events: number;
  filesNotImported: number;
  notes: string[];
};

export type TImportHooks = {
  batchSize?: number;
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
    conversations: { created: 0, existing: 0 },
    messages: { imported: 0, alreadyImported: 0 },
    events: 0,
    filesNotImported: 0,
    notes: [],
  };
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
    });
    let batch: TPreparedMessage[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const { firstSeq, lastSeq } = await writeMessageBatch(db, state, batch);
      summary.events += lastSeq - firstSeq + 1;
      summary.messages.imported += batch.length;
      summary.filesNotImported += batch.reduce((sum, m) => sum + m.missingFiles, 0);
      batch = [];
      await progress("messages", done);
      await yieldToLoop();
    };
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
      summary.notes.push(
        `${conversation.label} was archived or deleted during the import; the rest of its history was not imported`,
      );
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
