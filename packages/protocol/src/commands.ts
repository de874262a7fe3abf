/**
 * Client → server commands. Validated strictly on the server: unknown fields are an error, so a
 * typo never passes silently. Commands that expect an answer carry a client-chosen `id`; the
 * server replies `ack` or `error` with the same id.
 *
 * To add a command: write its schema here, add it to `ClientCommandSchemas` and `ZClientCommand`,
 * handle it in packages/gateway (src/commands.ts), bump PROTOCOL_VERSION and note it in CHANGELOG.md.
 */
import { z } from "zod";
import { zId } from "./ids.ts";
import {
  MAX_COMMAND_ID_LENGTH,
  MAX_PRESENCE_WATCH,
  MAX_STATUS_TEXT_LENGTH,
  MAX_SYNC_CURSORS,
} from "./limits.ts";
import { ZSendFields } from "./send.ts";
import { zLine, zText } from "./text.ts";

/** A client-chosen command id, echoed in the matching `ack`/`error`. */
export const ZCommandId = zText().min(1).max(MAX_COMMAND_ID_LENGTH);
/** A position in a log (conversation or user); 0 means "nothing yet". */
export const ZSeq = z.number().int().min(0).max(2_147_483_647);
/** Conversation, message and user ids are UUIDs (v7 from the server), parsed to lower case (ids.ts). */
export const ZConversationId = zId();

/**
 * Cursors to resume from: the last seq held per conversation, at most MAX_SYNC_CURSORS of them.
 * Keys are parsed to lower case like every id. Checked in one pass that reports at most ONE issue (too many, or how many entries are bad and
 * the first of them), so an error frame is never larger than a small part of the command.
 */
export const ZCursors = z
  .custom<Record<string, number>>(
    (v) => typeof v === "object" && v !== null && !Array.isArray(v),
    "expected an object of conversationId → seq",
  )
  .superRefine((cursors, ctx) => {
    if (typeof cursors !== "object" || cursors === null) return;
    const entries = Object.entries(cursors);
    if (entries.length > MAX_SYNC_CURSORS) {
      ctx.addIssue({
        code: "custom",
        message: `at most ${MAX_SYNC_CURSORS} cursors per frame; sync the rest separately`,
      });
      return;
    }
    let bad = 0;
    let first: string | undefined;
    for (const [key, seq] of entries) {
      if (ZConversationId.safeParse(key).success && ZSeq.safeParse(seq).success) continue;
      bad += 1;
      first ??= key;
    }
    if (first !== undefined) {
      const shown = first.length > 40 ? `${first.slice(0, 40)}…` : first;
      ctx.addIssue({
        code: "custom",
        message: `${bad} cursor(s) are not a conversation id (UUID) → seq (integer ≥ 0), e.g. "${shown}"`,
      });
    }
  })
  // Ids in one spelling (ids.ts); two spellings of one conversation keep the lower cursor (the
  // replay sends more, the client drops what it holds). fromEntries: own keys only, whatever they are.
  .overwrite((cursors) => {
    const lowered = new Map<string, number>();
    for (const [key, seq] of Object.entries(cursors)) {
      const id = key.toLowerCase();
      const held = lowered.get(id);
      lowered.set(id, held === undefined ? seq : Math.min(held, seq));
    }
    return Object.fromEntries(lowered);
  });

/** Sent after `welcome` to resume: the last seq the client holds per conversation and for the user log. */
export const ZHello = z.strictObject({
  type: z.literal("hello"),
  protocolVersion: z.number().int().min(1),
  cursors: ZCursors.optional(),
  userCursor: ZSeq.optional(),
});

/** Application-level heartbeat (browsers cannot see WebSocket pings); answered by `pong`. */
export const ZPing = z.strictObject({
  type: z.literal("ping"),
  id: ZCommandId.optional(),
});

/**
 * Post a message: the fields of `ZSendFields` (send.ts, the one definition every entry point
 * shares) plus the command's `type` and `id`. Answered by an `ack` with seq and messageId.
 */
export const ZSend = ZSendFields.safeExtend({
  type: z.literal("send"),
  id: ZCommandId,
});

/** Move this member's read position forward to `seq` (never backward). */
export const ZMarkRead = z.strictObject({
  type: z.literal("markRead"),
  id: ZCommandId,
  conversationId: ZConversationId,
  seq: ZSeq,
});

/**
 * Delivery report: the highest seq this device holds per conversation (it received every event up
 * to it). Moves the member's delivered cursor forward, in DMs and group DMs (elsewhere it changes
 * nothing); answered by `ack` alike for every conversation, readable or not.
 */
export const ZDelivered = z.strictObject({
  type: z.literal("delivered"),
  id: ZCommandId,
  cursors: ZCursors,
});

/** "I am typing" in a conversation: ephemeral, rate-limited, never stored, never answered. */
export const ZTyping = z.strictObject({
  type: z.literal("typing"),
  conversationId: ZConversationId,
});

/**
 * Ask for what changed since these cursors (also used for gap repair: one conversation, the seq
 * before the gap). The server answers with the missing `event` / `user.event` frames in seq order,
 * then one `synced` frame with this `id`. `hello` with cursors does the same without an id.
 * At most MAX_SYNC_CURSORS cursors per frame.
 */
export const ZSync = z.strictObject({
  type: z.literal("sync"),
  id: ZCommandId,
  cursors: ZCursors.optional(),
  userCursor: ZSeq.optional(),
});

/** Replace the set of users whose presence this connection receives (at most MAX_PRESENCE_WATCH). */
export const ZWatchPresence = z.strictObject({
  type: z.literal("watchPresence"),
  id: ZCommandId,
  userIds: z.array(zId()).max(MAX_PRESENCE_WATCH),
});

/** Set this connection's presence (online/away) and the user's custom status text. */
export const ZSetPresence = z.strictObject({
  type: z.literal("setPresence"),
  id: ZCommandId,
  status: z.enum(["online", "away"]),
  statusText: zLine().max(MAX_STATUS_TEXT_LENGTH).optional(),
});

/** Schema of each command, by `type`. */
export const ClientCommandSchemas = {
  hello: ZHello,
  ping: ZPing,
  send: ZSend,
  markRead: ZMarkRead,
  delivered: ZDelivered,
  typing: ZTyping,
  sync: ZSync,
  watchPresence: ZWatchPresence,
  setPresence: ZSetPresence,
} as const;

/** Any client command. */
export const ZClientCommand = z.discriminatedUnion("type", [
  ZHello,
  ZPing,
  ZSend,
  ZMarkRead,
  ZDelivered,
  ZTyping,
  ZSync,
  ZWatchPresence,
  ZSetPresence,
]);

export type THello = z.infer<typeof ZHello>;
export type TPing = z.infer<typeof ZPing>;
export type TSend = z.infer<typeof ZSend>;
export type TMarkRead = z.infer<typeof ZMarkRead>;
export type TDelivered = z.infer<typeof ZDelivered>;
export type TTyping = z.infer<typeof ZTyping>;
export type TSync = z.infer<typeof ZSync>;
export type TWatchPresence = z.infer<typeof ZWatchPresence>;
export type TSetPresence = z.infer<typeof ZSetPresence>;
export type TClientCommand = z.infer<typeof ZClientCommand>;
export type TClientCommandType = TClientCommand["type"];
