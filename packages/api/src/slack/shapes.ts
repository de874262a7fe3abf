/**
 * Parley's DTOs in Slack's shapes: channels (conversation objects), messages and users. Ids are
 * Parley's own (uuids) — Slack clients treat ids as opaque strings. A message's `ts` comes from
 * core (bots/message-ts.ts); `team` is the one workspace.
 */
import {
  messageTs,
  type TAttachmentDto,
  type TBrowseChannelDto,
  type TConversationDto,
  type TMessageDto,
  type TUserDto,
} from "@parley/core";

/** The one workspace's team id (Slack's `T…`). */
export const TEAM_ID = "T1";

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

/** A conversation object (channels only: DMs are not served). */
export function slackChannel(
  c: Pick<
    TConversationDto | TBrowseChannelDto,
    "id" | "kind" | "name" | "topic" | "archivedAt" | "createdAt"
  > & {
    isMember: boolean;
    memberCount?: number;
  },
): Record<string, unknown> {
  const isPrivate = c.kind === "private_channel";
  return {
    id: c.id,
    name: c.name,
    name_normalized: c.name,
    is_channel: !isPrivate,
    is_group: isPrivate,
    is_im: false,
    is_mpim: false,
    is_private: isPrivate,
    is_archived: c.archivedAt !== null,
    is_general: "isGeneral" in c ? c.isGeneral : false,
    is_member: c.isMember,
    created: unix(c.createdAt),
    context_team_id: TEAM_ID,
    topic: { value: c.topic, creator: "", last_set: 0 },
    purpose: { value: "", creator: "", last_set: 0 },
    ...(c.memberCount !== undefined ? { num_members: c.memberCount } : {}),
  };
}

/** The ts of thread roots by id, for `thread_ts` of replies. */
export type TRootTs = ReadonlyMap<string, string>;

/** A message object. `rootTs` gives a reply's thread_ts; a root's own ts is its thread_ts. */
export function slackMessage(m: TMessageDto, rootTs: TRootTs): Record<string, unknown> {
  const ts = messageTs(m.createdAt, m.seq);
  const threadTs = m.threadRootId ? rootTs.get(m.threadRootId) : m.replyCount > 0 ? ts : undefined;
  return {
    type: "message",
    ts,
    user: m.senderId,
    text: m.body,
    ...(m.clientMsgId ? { client_msg_id: m.clientMsgId } : {}),
    team: TEAM_ID,
    ...(threadTs ? { thread_ts: threadTs } : {}),
    ...(m.threadRootId && m.alsoInChannel ? { subtype: "thread_broadcast" } : {}),
    ...(m.deletedAt ? { subtype: "tombstone", hidden: true } : {}),
    ...(!m.threadRootId && m.replyCount > 0
      ? {
          reply_count: m.replyCount,
          ...(m.lastReplyAt ? { latest_reply: `${unix(m.lastReplyAt)}.000000` } : {}),
        }
      : {}),
    ...(m.editedAt ? { edited: { user: m.senderId, ts: `${unix(m.editedAt)}.000000` } } : {}),
    ...(m.reactions.length > 0
      ? {
          reactions: m.reactions.map((r) => ({
            name: r.emoji.replace(/^:|:$/g, ""),
            users: r.userIds,
            count: r.count,
          })),
        }
      : {}),
    ...(m.attachments.length > 0 ? { files: m.attachments.map((a) => slackFile(a)) } : {}),
  };
}

/**
 * A file object (a message's `files[]`, files.completeUploadExternal's answer). No `url_private`:
 * a file's URL (`/api/files/<id>`) takes a signed-in browser, not a token.
 */
export function slackFile(a: TAttachmentDto, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const dot = a.name.lastIndexOf(".");
  return {
    id: a.id,
    name: a.name,
    title: a.name,
    mimetype: a.mime,
    filetype: dot > 0 ? a.name.slice(dot + 1).toLowerCase() : "",
    size: a.size,
    mode: "hosted",
    is_external: false,
    ...(a.width !== null && a.height !== null ? { original_w: a.width, original_h: a.height } : {}),
    ...extra,
  };
}

/** A handle from a display name ("Ada Lovelace" → "ada.lovelace"), Slack's `name`. */
function handleOf(name: string): string {
  return (
    name
      .trim()
      .toLowerCase()
      .replace(/\s+/g, ".")
      .replace(/[^a-z0-9._-]/g, "") || "user"
  );
}

/** A user object. E-mail addresses of bots are internal and left out. */
export function slackUser(u: TUserDto): Record<string, unknown> {
  return {
    id: u.id,
    team_id: TEAM_ID,
    name: handleOf(u.name),
    real_name: u.name,
    deleted: u.deactivatedAt !== null,
    is_bot: u.isBot,
    is_app_user: false,
    is_admin: u.role === "admin" || u.role === "owner",
    is_owner: u.role === "owner",
    is_primary_owner: u.role === "owner",
    is_restricted: u.role === "guest",
    is_ultra_restricted: false,
    updated: unix(u.createdAt),
    profile: {
      real_name: u.name,
      display_name: u.name,
      title: u.title,
      pronouns: u.pronouns,
      status_text: u.statusText,
      status_emoji: u.statusEmoji,
      ...(u.isBot ? {} : { email: u.email }),
    },
  };
}
