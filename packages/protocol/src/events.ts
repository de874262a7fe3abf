/**
 * Server → client frames. Clients parse them leniently: unknown fields are dropped, and a frame
 * whose `type` they do not know is ignored (see parseServerFrame), so the server can add fields
 * and frame types without breaking old clients — still with a PROTOCOL_VERSION bump.
 */
import { z } from "zod";
import { ZCommandId, ZSeq } from "./commands.ts";

/**
 * How long a client should spread its first reconnect attempt over (a uniform random delay in
 * [0, window)) if this connection drops without notice (a gateway SIGKILLed, a network cut): the
 * gateway sizes it by how many clients it holds, so its whole crowd does not land on the
 * survivors in the same second. Clients clamp it to MAX_RECONNECT_WINDOW_MS.
 */
export const ZReconnectWindow = z.number().int().nonnegative();

/** First frame on every connection: who you are and how often to expect/send heartbeats. */
export const ZWelcome = z.object({
  type: z.literal("welcome"),
  protocolVersion: z.number().int(),
  userId: z.string(),
  connectionId: z.string(),
  heartbeatMs: z.number().int().positive(),
  /** See ZReconnectWindow (optional: absent from older gateways). */
  reconnectWindowMs: ZReconnectWindow.optional(),
});

/** Answer to `ping` (echoes its id when it had one). */
export const ZPong = z.object({
  type: z.literal("pong"),
  id: ZCommandId.optional(),
  /** The current ZReconnectWindow (the gateway's crowd changes; pings keep clients' copy fresh). */
  reconnectWindowMs: ZReconnectWindow.optional(),
});

/** The command `id` succeeded. For `send`: the message is durable and has this seq. */
export const ZAck = z.object({
  type: z.literal("ack"),
  id: ZCommandId,
  clientMsgId: z.string().optional(),
  seq: ZSeq.optional(),
  messageId: z.string().optional(),
});

/** One problem with one field of a command. */
export const ZFieldIssue = z.object({ path: z.string(), message: z.string() });

/** A command failed (with its `id`), or a frame could not be understood (no id). */
export const ZErrorFrame = z.object({
  type: z.literal("error"),
  id: ZCommandId.optional(),
  /** One of ErrorCode; clients treat unknown codes as a generic failure. */
  code: z.string(),
  message: z.string(),
  issues: z.array(ZFieldIssue).optional(),
  /** One of ErrorReason, when the refusal has one; clients ignore reasons they do not know. */
  reason: z.string().optional(),
  /** With TOO_MANY_REQUESTS from a rate limit: how long until a retry can succeed (ms). */
  retryAfterMs: z.number().int().nonnegative().optional(),
  /** `message`'s English template with `{name}` placeholders, for clients that translate it. */
  template: z.string().optional(),
  /** The template's placeholder values. */
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

/** An entry of a conversation's log; apply in seq order (see DESIGN.md "Sending", step 5). */
export const ZConversationEvent = z.object({
  type: z.literal("event"),
  conversationId: z.string(),
  seq: ZSeq,
  /** One of EventKind; ignore kinds you do not know. */
  kind: z.string(),
  actorId: z.string().nullable(),
  /** Per kind: ConversationEventPayloads (event-payloads.ts); read it with decodeConversationEvent. */
  payload: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

/** An entry of the user's own log (added to a conversation, read state moved, …). */
export const ZUserEvent = z.object({
  type: z.literal("user.event"),
  seq: ZSeq,
  /** One of UserEventKind; ignore kinds you do not know. */
  kind: z.string(),
  /** Per kind: UserEventPayloads (event-payloads.ts); read it with decodeUserEvent. */
  payload: z.record(z.string(), z.unknown()),
});

/**
 * Where one conversation stands after a replay. `ok`: you now hold everything up to `lastSeq`.
 * `more`: the page limit was hit; sync again from your new cursor (or refetch recent history).
 * `resync`: your cursor is not valid for this conversation (ahead of its log): drop local state
 * and refetch. `forbidden`: no longer sent (unknown and unreadable conversations are listed in
 * `synced.notFound` instead); a client may still treat it like `notFound`.
 */
export const ZSyncStatus = z.enum(["ok", "more", "resync", "forbidden"]);

/** End of a replay started by `sync` (with its id) or by `hello` (no id). */
export const ZSynced = z.object({
  type: z.literal("synced"),
  id: ZCommandId.optional(),
  conversations: z.array(
    z.object({
      conversationId: z.string(),
      lastSeq: ZSeq,
      status: ZSyncStatus,
      /**
       * Present when your cursor was below it: the events up to and including this seq were removed
       * by message retention (a tombstone, not a gap). Move your cursor to it; the events sent
       * before this frame start right after it. Absent from older servers.
       */
      truncatedSeq: ZSeq.optional(),
    }),
  ),
  /**
   * The asked-for conversations you cannot read — unknown ids and ones you may not (or no longer)
   * read, alike — in the order asked; absent when none. Drop them. They are not in `conversations`.
   */
  notFound: z.array(z.string()).optional(),
  /** The user log's last seq, and whether more user events remain past this page. */
  userSeq: ZSeq,
  userStatus: z.enum(["ok", "more"]),
});

/** A watched user's presence changed (or its current value, right after `watchPresence`). */
export const ZPresenceFrame = z.object({
  type: z.literal("presence"),
  userId: z.string(),
  status: z.enum(["online", "away", "offline"]),
  statusText: z.string(),
});

/** Someone is typing in a conversation you are a member of (ephemeral; expires on the client after ~6 s). */
export const ZTypingFrame = z.object({
  type: z.literal("typing"),
  conversationId: z.string(),
  userId: z.string(),
});

/** One member's receipt cursors; a field is absent when unchanged or not shown to you. */
export const ZReceiptCursor = z.object({
  userId: z.string(),
  /** Highest seq one of their devices holds (DMs and group DMs). */
  deliveredSeq: ZSeq.optional(),
  /** Their read position; only between members who both send read receipts. */
  readSeq: ZSeq.optional(),
});

/**
 * Read state moved in a conversation you are a member of (DMs, group DMs, channels of at most
 * RECEIPTS_MAX_MEMBERS): ephemeral, coalesced, never stored as an event. Cursors only move
 * forward: keep the larger value. The state when a conversation opens comes from the API.
 */
export const ZReceiptsFrame = z.object({
  type: z.literal("receipts"),
  conversationId: z.string(),
  cursors: z.array(ZReceiptCursor),
});

/** Any server frame. */
export const ZServerEvent = z.discriminatedUnion("type", [
  ZWelcome,
  ZPong,
  ZAck,
  ZErrorFrame,
  ZConversationEvent,
  ZUserEvent,
  ZSynced,
  ZPresenceFrame,
  ZTypingFrame,
  ZReceiptsFrame,
]);

export type TWelcome = z.infer<typeof ZWelcome>;
export type TPong = z.infer<typeof ZPong>;
export type TAck = z.infer<typeof ZAck>;
export type TFieldIssue = z.infer<typeof ZFieldIssue>;
export type TErrorFrame = z.infer<typeof ZErrorFrame>;
export type TConversationEvent = z.infer<typeof ZConversationEvent>;
export type TUserEvent = z.infer<typeof ZUserEvent>;
export type TSyncStatus = z.infer<typeof ZSyncStatus>;
export type TSynced = z.infer<typeof ZSynced>;
export type TPresenceFrame = z.infer<typeof ZPresenceFrame>;
export type TTypingFrame = z.infer<typeof ZTypingFrame>;
export type TReceiptCursor = z.infer<typeof ZReceiptCursor>;
export type TReceiptsFrame = z.infer<typeof ZReceiptsFrame>;
export type TServerEvent = z.infer<typeof ZServerEvent>;
export type TServerEventType = TServerEvent["type"];
