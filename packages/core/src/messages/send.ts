/**
 * Sending a message — the hot path, and the only writer of new messages.
 *
 * `sendMessage` validates the input with `ZSendMessage` (protocol's `ZSendFields`, body trimmed and
 * held to MAX_MESSAGE_LENGTH; tRPC leaves validation to it), then takes one of two roads to the
 * same guarantees (ARCHITECTURE.md "Sending"):
 * - a send without attachments joins the group commit (`send-batch.ts`): sends that arrive
 *   together are checked with one read and stored with ONE statement, each acked after it commits;
 * - a send with attachments (or on a client without a pg pool, e.g. a transaction client) goes
 *   alone through `sendOne` (`send-one.ts`), which is also the group commit's fallback.
 */
import type { TDb } from "@parley/db";
import type { TActor } from "../actor.ts";
import { parseInput } from "../errors.ts";
import { ZSendMessage } from "../schemas.ts";
import type { TSendMessageResult } from "./send-one.ts";
import { sendValidated } from "./send-validated.ts";

export { configureSendBatching, sendBatchStats, type TSendBatchingOptions } from "./send-batch.ts";
export type { TSendMessageResult, TSentMessageRef } from "./send-one.ts";

/** Sends a message (idempotent per sender + clientMsgId). See the file header for the guarantees. */
export async function sendMessage(db: TDb, actor: TActor, input: unknown): Promise<TSendMessageResult> {
  return sendValidated(db, actor, parseInput(ZSendMessage, input));
}
