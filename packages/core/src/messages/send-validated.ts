/**
 * The send road after validation, for core's own callers that already parsed the input with
 * `ZSendMessage` (hooks/dispatch.ts, on every realtime send): parsing it again cost each send a
 * second zod pass. Not exported from @parley/core — outside core, `sendMessage` (send.ts) is the
 * only way in, and it validates.
 */
import { sqlPool, type TDb } from "@parley/db";
import type { TActor } from "../actor.ts";
import type { TSendMessage } from "../schemas.ts";
import { groupCommit } from "./send-batch.ts";
import { sendOne, type TSendMessageResult } from "./send-one.ts";

/** `sendMessage` for input that `ZSendMessage` already parsed (see the file header). */
export function sendValidated(db: TDb, actor: TActor, data: TSendMessage): Promise<TSendMessageResult> {
  const pool = sqlPool(db);
  if (pool && (data.attachmentIds?.length ?? 0) === 0) {
    const batcher = groupCommit(db, pool);
    if (batcher) return batcher.submit(actor, data);
  }
  return sendOne(db, actor, data);
}
