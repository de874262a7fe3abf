/**
 * conversations.*: channels only (DMs and group DMs are never listed nor reached by a bot token;
 * a person's token gets their public and private channels). Every channel read or write passes
 * core's scope check first (requireChannelScope), then the core service that does the work.
 *
 * history: newest first, pages backwards by seq (`cursor` holds the seq to continue below);
 * `latest`/`oldest` are a message's ts (exact, `inclusive` honoured) or any Unix time.
 * replies: the thread's parent first, then replies oldest first, paging forwards.
 */
import {
  addMembers,
  browseChannels,
  createChannelInScope,
  findMessageByTs,
  getConversation,
  getHistory,
  getThread,
  joinChannel,
  listMembers,
  messageTsByIds,
  requireCapability,
  requireChannelScope,
  scopeReaches,
  seqAtTime,
  slackTimeToDate,
  type TMessageDto,
} from "@parley/core";
import type { TSlackCall, TSlackMethod } from "../call.ts";
import { SlackError } from "../errors.ts";
import { bool, channelId, decodeCursor, encodeCursor, keysetPage, limit, str } from "../params.ts";
import { slackChannel, slackMessage } from "../shapes.ts";

/** Most messages one history or replies page holds (core's page cap; Slack allows 999). */
const MAX_PAGE = 100;

/** The channel object of one conversation, as the caller sees it. */
async function channelObject(call: TSlackCall, conversationId: string) {
  const c = await getConversation(call.db, call.actor, { conversationId });
  return slackChannel(c);
}

/** Slack message objects, with replies' thread_ts read for their roots. */
async function slackMessages(call: TSlackCall, conversationId: string, messages: TMessageDto[]) {
  const rootIds = messages.flatMap((m) => (m.threadRootId ? [m.threadRootId] : []));
  const rootTs = await messageTsByIds(call.db, conversationId, rootIds);
  return messages.map((m) => slackMessage(m, rootTs));
}

/**
 * A time bound as a seq: a ts naming a message gives that message's seq (`exact`), anything
 * else that parses as a time the last message sent at or before it; undefined when absent.
 */
async function boundOf(call: TSlackCall, conversationId: string, lastSeq: number, name: string) {
  const raw = str(call.params, name);
  if (raw === undefined) return undefined;
  const found = await findMessageByTs(call.db, conversationId, lastSeq, raw);
  if (found) return { seq: found.seq, exact: true };
  const at = slackTimeToDate(raw);
  if (!at) throw new SlackError(`invalid_ts_${name}`);
  return { seq: await seqAtTime(call.db, conversationId, at), exact: false };
}

export const history: TSlackMethod = async (call) => {
  const { db, actor, params: p } = call;
  const conversationId = channelId(p);
  const access = await requireChannelScope(db, actor, conversationId, "read");
  const size = limit(p, MAX_PAGE, MAX_PAGE);
  const inclusive = bool(p, "inclusive");
  const latest = await boundOf(call, conversationId, access.lastSeq, "latest");
  const oldest = await boundOf(call, conversationId, access.lastSeq, "oldest");
  // Everything strictly below `before`, strictly above `above`.
  const fromCursor = decodeCursor(p, "seq");
  const fromLatest = latest ? (latest.exact && !inclusive ? latest.seq : latest.seq + 1) : undefined;
  const before = fromCursor ?? fromLatest;
  const above = oldest ? (oldest.exact && inclusive ? oldest.seq - 1 : oldest.seq) : 0;
  if (before !== undefined && before <= above + 1) {
    return { messages: [], has_more: false, pin_count: 0, response_metadata: { next_cursor: "" } };
  }
  const page = await getHistory(db, actor, {
    conversationId,
    limit: size,
    ...(before === undefined ? {} : { before }),
  });
  const kept = page.messages.filter((m) => m.seq > above);
  const hasMore = page.hasMoreBefore && kept.length === page.messages.length && kept.length > 0;
  // As Slack: a deleted message is gone, unless it still heads a thread (then a tombstone).
  const shown = kept.filter((m) => !m.deletedAt || m.replyCount > 0);
  const newestFirst = (await slackMessages(call, conversationId, shown)).reverse();
  return {
    messages: newestFirst,
    has_more: hasMore,
    pin_count: 0,
    response_metadata: { next_cursor: hasMore ? encodeCursor("seq", kept[0]?.seq ?? 0) : "" },
  };
};

export const replies: TSlackMethod = async (call) => {
  const { db, actor, params: p } = call;
  const conversationId = channelId(p);
  const access = await requireChannelScope(db, actor, conversationId, "read");
  const ts = str(p, "ts");
  const found = ts ? await findMessageByTs(db, conversationId, access.lastSeq, ts) : null;
  if (!found) throw new SlackError("thread_not_found");
  const after = decodeCursor(p, "seq");
  const page = await getThread(db, actor, {
    rootId: found.threadRootId ?? found.id,
    after: after ?? 0,
    limit: limit(p, MAX_PAGE, MAX_PAGE),
  });
  const messages = after === undefined ? [page.root, ...page.replies] : page.replies;
  const last = page.replies.at(-1);
  const hasMore = page.hasMoreAfter === true && last !== undefined;
  return {
    messages: await slackMessages(call, conversationId, messages),
    has_more: hasMore,
    response_metadata: { next_cursor: hasMore && last ? encodeCursor("seq", last.seq) : "" },
  };
};

export const info: TSlackMethod = async (call) => {
  const conversationId = channelId(call.params);
  await requireChannelScope(call.db, call.actor, conversationId, "read");
  return { channel: await channelObject(call, conversationId) };
};

export const list: TSlackMethod = async (call) => {
  const { db, actor, params: p } = call;
  requireCapability(actor, "read");
  const types = new Set((str(p, "types") ?? "public_channel").split(",").map((t) => t.trim()));
  const excludeArchived = bool(p, "exclude_archived");
  const channels = (await browseChannels(db, actor)).filter(
    (c) => types.has(c.kind) && scopeReaches(actor, c) && !(excludeArchived && c.archivedAt !== null),
  );
  const { page, response_metadata } = keysetPage(p, channels, (c) => c.id, 100, 1000);
  return { channels: page.map((c) => slackChannel(c)), response_metadata };
};

export const members: TSlackMethod = async (call) => {
  const conversationId = channelId(call.params);
  await requireChannelScope(call.db, call.actor, conversationId, "read");
  const all = await listMembers(call.db, call.actor, { conversationId });
  const { page, response_metadata } = keysetPage(call.params, all, (m) => m.userId, 100, 1000);
  return { members: page.map((m) => m.userId), response_metadata };
};

export const create: TSlackMethod = async (call) => {
  const name = str(call.params, "name");
  if (!name) throw new SlackError("invalid_name_required");
  try {
    const c = await createChannelInScope(call.db, call.actor, {
      name,
      isPrivate: bool(call.params, "is_private"),
    });
    return { channel: slackChannel(c) };
  } catch (err) {
    if (err instanceof Error && (err as { code?: unknown }).code === "BAD_REQUEST") {
      throw new SlackError("invalid_name_specials");
    }
    throw err;
  }
};

export const join: TSlackMethod = async (call) => {
  const conversationId = channelId(call.params);
  await requireChannelScope(call.db, call.actor, conversationId, "write");
  const c = await joinChannel(call.db, call.actor, { conversationId });
  return { channel: slackChannel(c) };
};

export const invite: TSlackMethod = async (call) => {
  const { db, actor, params: p } = call;
  const conversationId = channelId(p);
  await requireChannelScope(db, actor, conversationId, "write");
  const userIds = (str(p, "users") ?? "")
    .split(",")
    .map((u) => u.trim().toLowerCase())
    .filter((u) => u !== "");
  if (userIds.length === 0) throw new SlackError("no_user");
  if (userIds.includes(actor.userId)) throw new SlackError("cant_invite_self");
  const { conversation } = await addMembers(db, actor, { conversationId, userIds });
  return { channel: slackChannel(conversation) };
};
