/**
 * Handlers for the commands that need the domain. Each returns the extra fields of its `ack`
 * (or throws; a ParleyError becomes an `error` frame with the same code). The gateway runs one
 * connection's commands strictly in order (see frame-dispatch.ts), so handlers need not worry
 * about a user's own sends overtaking each other.
 *
 * A bot token's socket (`actor.scope`) is held to its token like the Slack-compatible Web API:
 * `send` needs `canWrite` in a channel of its scope and stores text (`sendMessage`, as
 * chat.postMessage: a leading "/" runs no slash command), `markRead` needs `canRead` there, and its
 * delivery reports count only for such channels. People's commands pay one property check for it.
 *
 * To add a command: define it in @parley/protocol, add its handler type to `TCommandHandlers`
 * (gateway-options.ts), wire it in `createCoreHandlers`, and route it in frame-dispatch.ts `onFrame`.
 * A command a bot token's socket may send must check `ctx.actor.scope` (core's requireChannelScope).
 */
import { randomUUID } from "node:crypto";
import {
  errorTemplate,
  formatTemplate,
  isParleyError,
  markDelivered,
  markRead,
  requireChannelScope,
  sendMessage,
  sendOrRunCommand,
  streamReaches,
  streamScope,
  type TDeliveryReport,
  type TErrorParams,
} from "@parley/core";
import type { TDb } from "@parley/db";
import { ErrorCode, type TErrorCode, type TFieldIssue, toFieldIssues } from "@parley/protocol";
import { z } from "zod";
import { createBatchLoader } from "./batch.ts";
import type { TCommandHandlers } from "./gateway-options.ts";

// The handler types are part of the gateway's contract (gateway-options.ts); exported here too.
export type { TAckFields, TCommandContext, TCommandHandlers } from "./gateway-options.ts";

const FORWARDED_CODES = new Set<string>(Object.values(ErrorCode));

/**
 * Maps a thrown value to an error frame's code and message; a core validation refusal (BAD_REQUEST
 * from its input schema, e.g. a body over the server's MAX_MESSAGE_LENGTH) also carries `issues`
 * by field, as frame validation does, and a refusal with a reason (ErrorReason) carries it. Unknown failures become INTERNAL with a generic message and
 * a fresh `requestId` (never the error's own text, which may hold SQL or Prisma details): log the
 * error with that id, so an operator can find what the user quotes.
 */
export function toErrorFrame(err: unknown): {
  code: TErrorCode;
  message: string;
  issues?: TFieldIssue[];
  reason?: string;
  requestId?: string;
  template: string;
  params?: TErrorParams;
} {
  if (isParleyError(err) && FORWARDED_CODES.has(err.code)) {
    const frame = {
      code: err.code as TErrorCode,
      message: err.message,
      ...(err.reason !== undefined ? { reason: err.reason } : {}),
      template: err.template,
      ...(err.params !== undefined ? { params: err.params } : {}),
    };
    return err.cause instanceof z.ZodError ? { ...frame, issues: toFieldIssues(err.cause) } : frame;
  }
  const requestId = randomUUID();
  const params = { requestId };
  return {
    code: ErrorCode.Internal,
    message: formatTemplate(INTERNAL_ERROR_TEMPLATE, params),
    requestId,
    template: INTERNAL_ERROR_TEMPLATE,
    params,
  };
}

/** The internal-error text of a command frame (`{requestId}`), translated by clients like core's. */
const INTERNAL_ERROR_TEMPLATE = errorTemplate(
  "Something went wrong on the server; retrying is safe (request id {requestId})",
);

/** Reports per delivered-cursor statement (a report of MAX_SYNC_CURSORS takes a few). */
const DELIVERED_BATCH = 2_000;

/** Handlers backed by @parley/core. */
export function createCoreHandlers(db: TDb): TCommandHandlers {
  // Delivery reports of every connection that arrive while a statement runs go out together in
  // the next one (batch.ts): one UPDATE per batch, off the connections' command queues.
  const reportDelivered = createBatchLoader<string, true>(
    async (keys) => {
      const reports: TDeliveryReport[] = keys.map((key) => {
        const [userId = "", conversationId = "", seq = "0"] = key.split(" ");
        return { userId, conversationId, seq: Number(seq) };
      });
      await markDelivered(db, reports);
      return new Map(keys.map((key) => [key, true as const]));
    },
    { maxBatch: DELIVERED_BATCH },
  );
  return {
    // Persist first (one statement in core), then ack: only an acked message counts as sent.
    // The frame is the send's fields (protocol's ZSendFields) plus type and id: pass the fields on.
    async send(ctx, { type: _type, id: _id, ...fields }) {
      if (ctx.actor.scope) {
        // A bot token: its scope first (OutOfScopeError, nothing written), then the send people get.
        await requireChannelScope(db, ctx.actor, fields.conversationId, "write");
        const { message } = await sendMessage(db, ctx.actor, fields);
        return { clientMsgId: message.clientMsgId, seq: message.seq, messageId: message.id };
      }
      // A registered slash command stores no message: acked without seq (core/src/hooks/dispatch.ts).
      const result = await sendOrRunCommand(db, ctx.actor, fields);
      if (!result.message) return { clientMsgId: fields.clientMsgId };
      const { message } = result;
      return { clientMsgId: message.clientMsgId, seq: message.seq, messageId: message.id };
    },
    async markRead(ctx, command) {
      if (ctx.actor.scope) await requireChannelScope(db, ctx.actor, command.conversationId, "read");
      const { readSeq } = await markRead(db, ctx.actor, {
        conversationId: command.conversationId,
        seq: command.seq,
      });
      return { seq: readSeq };
    },
    async delivered(ctx, command) {
      const userId = ctx.actor.userId;
      let cursors = Object.entries(command.cursors);
      if (ctx.actor.scope) {
        // Reports about channels outside a bot token's reach are dropped (the ack never says which counted).
        const scope = streamScope(ctx.actor.scope);
        cursors = cursors.filter(([conversationId]) => streamReaches(scope, conversationId));
      }
      await Promise.all(
        cursors.map(([conversationId, seq]) => reportDelivered(`${userId} ${conversationId} ${seq}`)),
      );
      return {};
    },
  };
}
