/**
 * chat.postMessage, chat.update, chat.delete: through core's one send path (seq, fan-out,
 * idempotency by `client_msg_id`), editMessage and deleteMessage, after the token's scope check.
 * Text is Slack mrkdwn (converted unless `mrkdwn=false`); `blocks`, when given, are the body.
 */
import { randomUUID } from "node:crypto";
import {
  editMessage,
  findMessageByTs,
  isUuid,
  messageTs,
  messageTsByIds,
  requireChannelScope,
  sendMessage,
} from "@parley/core";
import { deleteMessage } from "@parley/core/files";
import type { TSlackCall, TSlackMethod } from "../call.ts";
import { SlackError } from "../errors.ts";
import { blocksToMarkdown, mrkdwnToMarkdown } from "../mrkdwn.ts";
import { bool, channelId, json, str } from "../params.ts";
import { slackMessage } from "../shapes.ts";

/** The body a post or update sends: its blocks as text, else its text (mrkdwn unless turned off). */
function bodyOf(call: TSlackCall): string {
  const p = call.params;
  const blocks = p.blocks === undefined ? undefined : json(p, "blocks");
  const fromBlocks = blocks === undefined ? "" : blocksToMarkdown(blocks);
  if (fromBlocks.trim() !== "") return fromBlocks;
  const text = str(p, "text") ?? "";
  const isMrkdwn = p.mrkdwn === undefined || bool(p, "mrkdwn");
  const body = isMrkdwn ? mrkdwnToMarkdown(text) : text;
  if (body.trim() === "") throw new SlackError("no_text");
  return body;
}

/** The message `ts` names in the channel (any state), or message_not_found. */
async function messageAt(call: TSlackCall, conversationId: string, lastSeq: number, name: string) {
  const ts = str(call.params, name);
  const found = ts ? await findMessageByTs(call.db, conversationId, lastSeq, ts) : null;
  if (!found) throw new SlackError("message_not_found");
  return found;
}

export const postMessage: TSlackMethod = async (call) => {
  const { db, actor, params: p } = call;
  const conversationId = channelId(p);
  const access = await requireChannelScope(db, actor, conversationId, "write");
  const body = bodyOf(call);
  let threadRootId: string | undefined;
  const threadTs = str(p, "thread_ts");
  if (threadTs) {
    const root = await findMessageByTs(db, conversationId, access.lastSeq, threadTs);
    if (!root || root.deletedAt) throw new SlackError("thread_not_found");
    threadRootId = root.threadRootId ?? root.id;
  }
  const given = str(p, "client_msg_id")?.toLowerCase();
  const result = await sendMessage(db, actor, {
    conversationId,
    clientMsgId: given && isUuid(given) ? given : randomUUID(),
    body,
    ...(threadRootId ? { threadRootId, ...(bool(p, "reply_broadcast") ? { alsoInChannel: true } : {}) } : {}),
  });
  const rootTs = await messageTsByIds(db, conversationId, threadRootId ? [threadRootId] : []);
  if (result.duplicate) {
    // A resend of a stored message: its identity only (core never returns a resend the body).
    const ts = (await messageTsByIds(db, conversationId, [result.message.id])).get(result.message.id) ?? "";
    return { channel: conversationId, ts };
  }
  const message = slackMessage(result.message, rootTs);
  return { channel: conversationId, ts: message.ts, message };
};

export const update: TSlackMethod = async (call) => {
  const { db, actor, params: p } = call;
  const conversationId = channelId(p);
  const access = await requireChannelScope(db, actor, conversationId, "write");
  const found = await messageAt(call, conversationId, access.lastSeq, "ts");
  if (found.deletedAt) throw new SlackError("message_not_found");
  const edited = await editMessage(db, actor, { messageId: found.id, body: bodyOf(call) });
  const ts = messageTs(found.createdAt, found.seq);
  return {
    channel: conversationId,
    ts,
    text: edited.body,
    message: { text: edited.body, user: actor.userId },
  };
};

export const remove: TSlackMethod = async (call) => {
  const { db, actor, params: p } = call;
  const conversationId = channelId(p);
  const access = await requireChannelScope(db, actor, conversationId, "write");
  const found = await messageAt(call, conversationId, access.lastSeq, "ts");
  if (found.deletedAt) throw new SlackError("message_not_found");
  await deleteMessage(db, actor, { messageId: found.id }, await call.storage(), call.origin);
  return { channel: conversationId, ts: messageTs(found.createdAt, found.seq) };
};
