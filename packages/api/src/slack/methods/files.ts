/**
 * files.getUploadURLExternal and files.completeUploadExternal: Slack's two-step upload (what
 * `@slack/web-api`'s `filesUploadV2` does) over core's bot uploads (core/src/bots/uploads.ts).
 * The first answers a single-use, expiring upload URL (`/api/slack/upload/<file id>/<secret>`,
 * served by upload-handler.ts); the second shares the uploaded files in one channel as ONE message
 * through `sendMessage`, after the token's write scope in that channel is checked. Core applies
 * the attachments' own rules on the way (limits, blocked types, the real type from the bytes,
 * thumbnails). Differences from Slack (docs/integrations.md): a channel is required at completion
 * (Slack keeps an unshared file private; Parley has no files outside conversations), and
 * `alt_txt`, `snippet_type` and a file's `title` are not stored.
 */
import {
  findMessageByTs,
  isUuid,
  messageTsByIds,
  requireCapability,
  requireChannelScope,
} from "@parley/core";
import { botUploadPath, completeBotUploads, startBotUpload } from "@parley/core/bot-uploads";
import { getStorage, uploadLimitsFrom } from "@parley/core/files";
import { MAX_ATTACHMENTS_PER_MESSAGE } from "@parley/protocol";
import { publicOrigin, type TSlackCall, type TSlackMethod } from "../call.ts";
import { SlackError } from "../errors.ts";
import { blocksToMarkdown, mrkdwnToMarkdown } from "../mrkdwn.ts";
import { channelId, json, str } from "../params.ts";
import { slackFile, TEAM_ID } from "../shapes.ts";

/** Longest `alt_txt` Slack takes. */
const MAX_ALT_TEXT = 1000;

function invalid(message: string): SlackError {
  return new SlackError("invalid_arguments", { response_metadata: { messages: [message] } });
}

export const getUploadURLExternal: TSlackMethod = async (call) => {
  const { db, actor, params: p, env } = call;
  // Uploading is writing, even before a channel is named.
  requireCapability(actor, "write");
  const filename = str(p, "filename");
  if (!filename) throw invalid("filename is required");
  const length = Number(str(p, "length"));
  if (!Number.isSafeInteger(length) || length < 1) throw invalid("length must be the file's size in bytes");
  // `alt_txt` is Slack's name; @slack/web-api sends `alt_text`.
  const alt = str(p, "alt_txt") ?? str(p, "alt_text") ?? "";
  if ([...alt].length > MAX_ALT_TEXT) throw new SlackError("alt_txt_too_large");
  const ticket = await startBotUpload(db, actor, { name: filename, size: length }, uploadLimitsFrom(env));
  return {
    upload_url: `${publicOrigin(call)}${botUploadPath(ticket.fileId, ticket.secret)}`,
    file_id: ticket.fileId,
  };
};

/** The `files` argument: `[{ id, title? }]`, 1 to MAX_ATTACHMENTS_PER_MESSAGE of them. */
function filesArg(call: TSlackCall): { id: string; title?: string }[] {
  const value = json(call.params, "files");
  if (!Array.isArray(value) || value.length === 0) throw invalid("files must be a non-empty array");
  if (value.length > MAX_ATTACHMENTS_PER_MESSAGE) {
    throw invalid(`at most ${MAX_ATTACHMENTS_PER_MESSAGE} files in one message`);
  }
  return value.map((f: unknown) => {
    const file = f as { id?: unknown; title?: unknown };
    if (typeof f !== "object" || f === null || typeof file.id !== "string") {
      throw invalid("each file needs an id");
    }
    return { id: file.id, ...(typeof file.title === "string" ? { title: file.title } : {}) };
  });
}

/** The message's text: `initial_comment` (mrkdwn), else `blocks` as text, else none. */
function commentOf(call: TSlackCall): string {
  const comment = str(call.params, "initial_comment");
  if (comment !== undefined) return mrkdwnToMarkdown(comment);
  const blocks = call.params.blocks === undefined ? undefined : json(call.params, "blocks");
  return blocks === undefined ? "" : blocksToMarkdown(blocks);
}

export const completeUploadExternal: TSlackMethod = async (call) => {
  const { db, actor, params: p, env } = call;
  const files = filesArg(call);
  const channels = str(p, "channel_id") ?? str(p, "channels");
  if (!channels) throw invalid("channel_id is required: a file is shared in a channel");
  if (channels.includes(",")) throw invalid("one channel only: a file belongs to one message");
  const conversationId = channelId({ channel: channels });
  const access = await requireChannelScope(db, actor, conversationId, "write");
  let threadRootId: string | undefined;
  const threadTs = str(p, "thread_ts");
  if (threadTs) {
    const root = await findMessageByTs(db, conversationId, access.lastSeq, threadTs);
    if (!root || root.deletedAt) throw new SlackError("thread_not_found");
    threadRootId = root.threadRootId ?? root.id;
  }
  const fileIds = files.map((f) => f.id.trim().toLowerCase());
  // Not an id Parley made: the same answer as an unknown one.
  if (!fileIds.every(isUuid)) throw new SlackError("file_not_found");
  if (new Set(fileIds).size !== fileIds.length) throw invalid("a file is named twice");
  const { sent, attachments } = await completeBotUploads(
    db,
    await getStorage(env),
    actor,
    { fileIds, conversationId, body: commentOf(call), ...(threadRootId ? { threadRootId } : {}) },
    uploadLimitsFrom(env),
  );
  const tsById = await messageTsByIds(db, conversationId, [
    sent.message.id,
    ...(threadRootId ? [threadRootId] : []),
  ]);
  const ts = tsById.get(sent.message.id) ?? "";
  const rootTs = threadRootId ? tsById.get(threadRootId) : undefined;
  const isPrivate = access.kind === "private_channel";
  const share = {
    ts,
    channel_name: access.name ?? "",
    team_id: TEAM_ID,
    ...(rootTs ? { thread_ts: rootTs } : {}),
  };
  const created = Math.floor(Date.now() / 1000);
  return {
    files: attachments.map((a, i) =>
      slackFile(a, {
        title: files[i]?.title ?? a.name,
        user: actor.userId,
        created,
        timestamp: created,
        channels: isPrivate ? [] : [conversationId],
        groups: isPrivate ? [conversationId] : [],
        ims: [],
        shares: { [isPrivate ? "private" : "public"]: { [conversationId]: [share] } },
      }),
    ),
  };
};
