/**
 * Kinds of the entries in a conversation's log (`event` frames) and in a user's log
 * (`user.event` frames), named `domain.action`. The Event/UserEvent tables store these strings.
 * Clients must ignore kinds they do not know (a newer server may send more). The payloads noted
 * here are defined, one zod schema per kind, in event-payloads.ts.
 */
export const EventKind = {
  /** payload: { message } — the new message (its seq is this event's seq). */
  MessageCreated: "message.created",
  /** payload: { messageId, body, editedAt } */
  MessageEdited: "message.edited",
  /**
   * payload: { messageId, deletedAt, threadRootId?, replyCount?, lastReplyAt? } — the last three
   * only when the message was a thread reply: its root's id and the root's counters after the
   * delete (live replies; the latest live reply's time or null), to patch the root without a
   * refetch. A deleted message is also unpinned (pinnedAt/pinnedById null); no message.unpinned
   * is sent for it.
   */
  MessageDeleted: "message.deleted",
  /** payload: { messageId, userId, emoji } */
  ReactionAdded: "reaction.added",
  /** payload: { messageId, userId, emoji } */
  ReactionRemoved: "reaction.removed",
  /** payload: { messageId, pinnedAt, pinnedById } — the message was pinned to the conversation. */
  MessagePinned: "message.pinned",
  /** payload: { messageId } — the message's pin was removed. */
  MessageUnpinned: "message.unpinned",
  /**
   * payload: { messageId, preview } — the server fetched the link preview of the message's first
   * URL (`preview`: url, title, description, imageUrl, siteName), or the sender removed it
   * (`preview` null). Appended after the send, by the server's link previewer.
   */
  MessagePreview: "message.preview",
  /** payload: { userId, userName, addedBy? } */
  MemberJoined: "member.joined",
  /** payload: { userId, removedBy? } */
  MemberLeft: "member.left",
  /**
   * payload: { userId, name, title, pronouns, avatarId } — a member's profile changed (by them or
   * an admin): their profile as it is now. Appended to every conversation they are in, so everyone
   * who sees them there (member lists, message rows, DMs, mentions) follows live.
   */
  MemberUpdated: "member.updated",
  /**
   * payload: any of { name, topic, archived, kind, ownerId } that changed — `kind` when an admin
   * converted the channel (public_channel ↔ private_channel), `ownerId` when the channel's owner
   * changed.
   */
  ConversationUpdated: "conversation.updated",
} as const;

export type TEventKind = (typeof EventKind)[keyof typeof EventKind];

/** Every conversation event kind, e.g. for `z.enum(EVENT_KINDS)`. */
export const EVENT_KINDS = Object.values(EventKind) as [TEventKind, ...TEventKind[]];

/** Kinds of per-user events: what concerns one user across conversations (low volume). */
export const UserEventKind = {
  /** payload: { conversationId, kind, addedBy } — the user was added to / joined a conversation. */
  ConversationAdded: "conversation.added",
  /**
   * payload: { conversationId, removedBy, deleted? } — the user left or was removed; `deleted`
   * when an admin deleted the channel (it is gone for everyone: drop it and its history).
   */
  ConversationRemoved: "conversation.removed",
  /** payload: { conversationId, kind, userIds } — a DM or group DM including the user was opened. */
  DmOpened: "dm.opened",
  /** payload: { conversationId, readSeq } — the user's read position moved (sync other devices). */
  ReadUpdated: "read.updated",
  /** payload: { conversationId, muted, notifyLevel, ignoreBroadcasts } — the user's settings for one conversation changed. */
  MembershipUpdated: "membership.updated",
  /** payload: the changed preferences, e.g. { statusEmoji, statusText } after users.setStatus. */
  PreferencesUpdated: "preferences.updated",
  /** payload: { role, previousRole } — an admin changed the user's workspace role (or ownership moved). */
  RoleChanged: "user.role_changed",
  /**
   * payload: { name, emoji } — the workspace's custom emoji `:name:` was added (`emoji`: its id,
   * name, creator, time) or deleted (`emoji` null). Every active user gets it.
   */
  EmojiChanged: "emoji.changed",
  /**
   * payload: { conversationId, id, senderId, senderName?, body, threadRootId, command } — a message only this
   * user sees (a slash command's ephemeral answer or error), in no conversation's log: show it in
   * the conversation until reload ("only visible to you").
   */
  EphemeralMessage: "message.ephemeral",
  /**
   * payload: { messageId, conversationId, isSaved } — the user saved a message for later or removed
   * it from their Saved list (on any device): the saved marks and the Saved view follow.
   */
  SavedUpdated: "saved.updated",
  /**
   * payload: { reminderId, messageId, dueAt } — the user set a reminder on a message (or moved
   * its time: `dueAt`) or cancelled / removed one (`dueAt` null): the Reminders list follows.
   */
  ReminderUpdated: "reminder.updated",
  /**
   * payload: { reminderId, messageId, dueAt, message } — a reminder came due: show it ("Reminder:
   * …" with a link). `message` is null when the user can no longer read the message or it was
   * deleted (no text is sent then).
   */
  ReminderFired: "reminder.fired",
} as const;

export type TUserEventKind = (typeof UserEventKind)[keyof typeof UserEventKind];

/**
 * A user-log entry a bot's event stream may not see (its token does not reach the conversation it
 * is about, or it is about none), sent in its place with payload `{}` so the log stays gapless: a
 * client applies its seq and ignores it. Deliberately not a UserEventKind (decodeUserEvent gives
 * null, as for any kind a client does not know). Only bot-token sockets ever get it.
 */
export const HIDDEN_USER_EVENT_KIND = "user.hidden";

/** Every user event kind. */
export const USER_EVENT_KINDS = Object.values(UserEventKind) as [TUserEventKind, ...TUserEventKind[]];
