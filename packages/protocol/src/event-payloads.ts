/**
 * The payload of every event kind, one zod schema each, keyed by kind: `ConversationEventPayloads`
 * (the `payload` of `event` frames) and `UserEventPayloads` (of `user.event` frames). The server
 * builds payloads as these schemas' output types (core's typed constructors) and stores them as
 * JSON, which is exactly their wire form: the only non-JSON values are dates (`ZWireDate`), and a
 * Date serialises to the ISO string the schema decodes. Clients decode with `decodeConversationEvent`
 * / `decodeUserEvent` and get typed payloads with real dates.
 *
 * Decoding is lenient, for old and new peers alike: unknown fields are dropped; fields that older
 * servers did not send (and that old log entries therefore lack) have defaults; a kind the client
 * does not know — or a payload it cannot read — decodes to null, and the client ignores that event
 * (its seq still counts: ordering is the SDK's, on the frame). To add a kind: add it to
 * event-kinds.ts and its schema here (the maps must cover every kind, or this file does not
 * compile); a field added to a payload gets a default here when clients must cope without it.
 */
import { z } from "zod";
import { ZSeq } from "./commands.ts";
import { EventKind, type TEventKind, type TUserEventKind, UserEventKind } from "./event-kinds.ts";
import type { TConversationEvent, TUserEvent } from "./events.ts";

/** A point in time: an ISO 8601 string on the wire, a Date once decoded (and when the server builds it). */
export const ZWireDate = z.codec(z.iso.datetime({ offset: true }), z.date(), {
  decode: (text) => new Date(text),
  encode: (date) => date.toISOString(),
});

/** A file on a message (its bytes come from `files.downloadUrl`, never inline). */
export const ZAttachment = z.object({
  id: z.string(),
  name: z.string(),
  mime: z.string(),
  size: z.number().int().nonnegative(),
  width: z.number().int().nullable().default(null),
  height: z.number().int().nullable().default(null),
  hasThumbnail: z.boolean().default(false),
  /** Voice messages: length as recorded, and peak levels 0–255 to draw (empty when unknown). */
  durationMs: z.number().int().nullable().default(null),
  waveform: z.array(z.number().int()).default([]),
});

/** A custom emoji, as `emoji.list` answers and `emoji.changed` carries it. */
export const ZCustomEmoji = z.object({
  id: z.string(),
  name: z.string(),
  createdById: z.string().nullable().default(null),
  createdAt: ZWireDate,
});
/** A custom emoji, decoded. */
export type TCustomEmoji = z.output<typeof ZCustomEmoji>;

/**
 * A message as it was sent: the `message` of `message.created` (live and replayed alike; once
 * deleted, its log entry has an empty body and no attachments). Its conversation and seq are the
 * frame's; a new message has no replies, edits, deletion or reactions yet.
 */
export const ZMessagePayload = z.object({
  id: z.string(),
  senderId: z.string(),
  senderName: z.string().default(""),
  clientMsgId: z.string().default(""),
  body: z.string(),
  /** Set on thread replies: the thread's first message. */
  threadRootId: z.string().nullable().default(null),
  /** A thread reply that also shows in the channel's main list. */
  alsoInChannel: z.boolean().default(false),
  lastReplyAt: ZWireDate.nullable().default(null),
  /** Members mentioned with `<@id>` when it was sent. */
  mentionedUserIds: z.array(z.string()).default([]),
  /** The body mentions everyone (`<!channel>`, `<!here>`, `<!everyone>`). */
  mentionsAll: z.boolean().default(false),
  pinnedAt: ZWireDate.nullable().default(null),
  pinnedById: z.string().nullable().default(null),
  createdAt: ZWireDate,
  /** Files in upload order. */
  attachments: z.array(ZAttachment).default([]),
});

/**
 * A link preview as the server fetched it (OpenGraph, Twitter card or `<title>` of the page at
 * `url`, the page's final URL after redirects). Texts are plain text (never HTML); `imageUrl` is
 * the page's image URL as the page named it — never to be loaded by a client. `image` is set when
 * the server fetched that image and keeps a re-encoded copy: show it from Parley's own
 * `/api/previews/<messageId>/image` (width × height in pixels; see SECURITY.md, "Link previews").
 */
export const ZLinkPreview = z.object({
  url: z.string(),
  title: z.string().nullable().default(null),
  description: z.string().nullable().default(null),
  imageUrl: z.string().nullable().default(null),
  siteName: z.string().nullable().default(null),
  image: z
    .object({ width: z.number().int().positive(), height: z.number().int().positive() })
    .nullable()
    .default(null),
});
/** A link preview, decoded. */
export type TLinkPreview = z.output<typeof ZLinkPreview>;

/** The message fields an edit replaces (the same definitions as the message's own). */
const editedFields = ZMessagePayload.pick({ body: true, mentionedUserIds: true, mentionsAll: true });

/** A reaction added or removed. */
const ZReactionPayload = z.object({ messageId: z.string(), userId: z.string(), emoji: z.string() });

/** Payload schema per conversation event kind (see event-kinds.ts for when each is appended). */
export const ConversationEventPayloads = {
  [EventKind.MessageCreated]: z.object({ message: ZMessagePayload }),
  [EventKind.MessageEdited]: z.object({ messageId: z.string(), editedAt: ZWireDate, ...editedFields.shape }),
  [EventKind.MessageDeleted]: z.object({
    messageId: z.string(),
    deletedAt: ZWireDate,
    /** Only for a thread reply: its root and the root's counters after the delete. */
    threadRootId: z.string().optional(),
    replyCount: z.number().int().nonnegative().optional(),
    lastReplyAt: ZWireDate.nullable().optional(),
  }),
  [EventKind.ReactionAdded]: ZReactionPayload,
  [EventKind.ReactionRemoved]: ZReactionPayload,
  [EventKind.MessagePinned]: z.object({ messageId: z.string(), pinnedAt: ZWireDate, pinnedById: z.string() }),
  [EventKind.MessageUnpinned]: z.object({ messageId: z.string() }),
  [EventKind.MessagePreview]: z.object({ messageId: z.string(), preview: ZLinkPreview.nullable() }),
  [EventKind.MemberJoined]: z.object({
    userId: z.string(),
    userName: z.string().default(""),
    /** Absent when the user joined by themselves. */
    addedBy: z.string().optional(),
  }),
  [EventKind.MemberLeft]: z.object({
    userId: z.string(),
    /** Absent when the user left by themselves. */
    removedBy: z.string().optional(),
  }),
  [EventKind.MemberUpdated]: z.object({
    userId: z.string(),
    name: z.string(),
    title: z.string().default(""),
    pronouns: z.string().default(""),
    /** The avatar's id (GET /api/avatars/<userId>/<avatarId>); null when none: show initials. */
    avatarId: z.string().nullable().default(null),
  }),
  /** Only what changed. */
  [EventKind.ConversationUpdated]: z.object({
    name: z.string().optional(),
    topic: z.string().optional(),
    archived: z.boolean().optional(),
    /** An admin converted the channel: its new kind (unreleased, additive). */
    kind: z.enum(["public_channel", "private_channel"]).optional(),
    /** The channel's new owner (unreleased, additive). */
    ownerId: z.string().optional(),
  }),
} as const satisfies Record<TEventKind, z.ZodType>;

const ZConversationKindName = z.string();

/** Payload schema per user event kind. */
export const UserEventPayloads = {
  [UserEventKind.ConversationAdded]: z.object({
    conversationId: z.string(),
    kind: ZConversationKindName,
    addedBy: z.string(),
    /** Not sent by this server: when present, the seq of the join (the SDK tracks from just before it). */
    joinedSeq: ZSeq.optional(),
  }),
  [UserEventKind.ConversationRemoved]: z.object({
    conversationId: z.string(),
    /** Absent when the user left by themselves. */
    removedBy: z.string().optional(),
    /** The channel was deleted by an admin, with its whole history (unreleased, additive). */
    deleted: z.boolean().optional(),
  }),
  [UserEventKind.DmOpened]: z.object({
    conversationId: z.string(),
    kind: ZConversationKindName,
    userIds: z.array(z.string()),
    /** As for conversation.added. */
    joinedSeq: ZSeq.optional(),
  }),
  [UserEventKind.ReadUpdated]: z.object({ conversationId: z.string(), readSeq: ZSeq }),
  [UserEventKind.MembershipUpdated]: z.object({
    conversationId: z.string(),
    muted: z.boolean(),
    /** When not muted: `default` follows the member's global level (version 6). */
    notifyLevel: z.enum(["default", "all", "mentions"]).optional(),
    /** Channels: @channel/@here/@everyone do not notify this member (version 6). */
    ignoreBroadcasts: z.boolean().optional(),
  }),
  /** Only the preferences that changed. */
  [UserEventKind.PreferencesUpdated]: z.object({
    statusEmoji: z.string().optional(),
    statusText: z.string().optional(),
    /** The user's "send read receipts" setting (version 6). */
    sendReadReceipts: z.boolean().optional(),
    /** True when the notification settings changed: fetch them again (version 6). */
    notifications: z.boolean().optional(),
    /** The user's "show unreads at the top" sidebar preference (unreleased, additive). */
    sidebarUnreadsFirst: z.boolean().optional(),
    /** The user's UI language ("en", "ar"; null = the browser's) (unreleased, additive). */
    locale: z.string().nullable().optional(),
  }),
  /** The user's workspace role now (owner, admin, member, guest) and before; fetch what depends on it. */
  [UserEventKind.RoleChanged]: z.object({ role: z.string(), previousRole: z.string().optional() }),
  /** A custom emoji was added (`emoji`) or deleted (`emoji` null); its image is the web's `/api/emoji/<id>`. */
  [UserEventKind.EmojiChanged]: z.object({ name: z.string(), emoji: ZCustomEmoji.nullable() }),
  /** A message only this user sees (slash commands); `id` is not a stored message's id. */
  [UserEventKind.EphemeralMessage]: z.object({
    conversationId: z.string(),
    id: z.string(),
    senderId: z.string(),
    /** The sender's display name (the command's bot, who may not be a member of the conversation). */
    senderName: z.string().optional(),
    body: z.string(),
    threadRootId: z.string().nullable(),
    /** The command it answers, without the slash (`deploy`). */
    command: z.string(),
  }),
  [UserEventKind.SavedUpdated]: z.object({
    messageId: z.string(),
    conversationId: z.string(),
    isSaved: z.boolean(),
  }),
  /** `dueAt` null: cancelled before it fired, or removed from the list after. */
  [UserEventKind.ReminderUpdated]: z.object({
    reminderId: z.string(),
    messageId: z.string(),
    dueAt: ZWireDate.nullable(),
  }),
  [UserEventKind.ReminderFired]: z.object({
    reminderId: z.string(),
    messageId: z.string(),
    dueAt: ZWireDate,
    /** Where the message is and its text as one plain line; null when it is no longer readable. */
    message: z
      .object({
        conversationId: z.string(),
        seq: ZSeq,
        threadRootId: z.string().nullable(),
        senderName: z.string(),
        excerpt: z.string(),
      })
      .nullable(),
  }),
} as const satisfies Record<TUserEventKind, z.ZodType>;

type ConversationSchemas = typeof ConversationEventPayloads;
type UserSchemas = typeof UserEventPayloads;

/** The decoded payload of conversation event kind `K` (what the server builds, what clients get). */
export type TConversationEventPayload<K extends TEventKind = TEventKind> = z.output<ConversationSchemas[K]>;
/** The decoded payload of user event kind `K`. */
export type TUserEventPayload<K extends TUserEventKind = TUserEventKind> = z.output<UserSchemas[K]>;
/** A message as `message.created` carries it, decoded. */
export type TMessagePayload = z.output<typeof ZMessagePayload>;
/** An attachment record, decoded. */
export type TAttachment = z.output<typeof ZAttachment>;

/** An `event` frame of a kind this client knows, its payload decoded (narrow on `kind`). */
export type TKnownConversationEvent = {
  [K in TEventKind]: Omit<TConversationEvent, "kind" | "payload"> & {
    kind: K;
    payload: TConversationEventPayload<K>;
  };
}[TEventKind];

/** A `user.event` frame of a kind this client knows, its payload decoded. */
export type TKnownUserEvent = {
  [K in TUserEventKind]: Omit<TUserEvent, "kind" | "payload"> & { kind: K; payload: TUserEventPayload<K> };
}[TUserEventKind];

function schemaOf<M extends Record<string, z.ZodType>>(map: M, kind: string): z.ZodType | undefined {
  return Object.hasOwn(map, kind) ? map[kind] : undefined;
}

/** Decodes one payload of a known kind; null for an unknown kind or a payload that does not fit. */
export function decodeEventPayload<K extends TEventKind>(
  kind: K,
  payload: unknown,
): TConversationEventPayload<K> | null;
export function decodeEventPayload(kind: string, payload: unknown): TConversationEventPayload | null;
export function decodeEventPayload(kind: string, payload: unknown): TConversationEventPayload | null {
  const parsed = schemaOf(ConversationEventPayloads, kind)?.safeParse(payload);
  return parsed?.success ? (parsed.data as TConversationEventPayload) : null;
}

/**
 * Client side: the event with its payload decoded, or null when the kind is unknown (a newer
 * server) or the payload does not fit its schema: ignore the event then (never throws).
 */
export function decodeConversationEvent(event: TConversationEvent): TKnownConversationEvent | null {
  const payload = decodeEventPayload(event.kind, event.payload);
  return payload === null ? null : ({ ...event, payload } as TKnownConversationEvent);
}

/** Client side: a user event with its payload decoded, or null (unknown kind, unreadable payload). */
export function decodeUserEvent(event: TUserEvent): TKnownUserEvent | null {
  const parsed = schemaOf(UserEventPayloads, event.kind)?.safeParse(event.payload);
  return parsed?.success ? ({ ...event, payload: parsed.data } as TKnownUserEvent) : null;
}
