/**
 * The bot events stream's scope rules: what a socket opened with a bot token may see (the gateway
 * applies them per socket, core's syncSince per replay). A bot token's socket sees:
 *
 * - conversation events only of channels its token reaches, with `canRead`, that the bot user is
 *   a member of (the fan-out only ever targets members; a replay checks membership itself);
 * - its own user log, gapless: an entry about an in-scope channel as it is, every other one
 *   (another conversation, or none: role, preferences, emoji) as a `user.hidden` entry with the
 *   same seq and an empty payload — dropping them would leave gaps a client repairs forever;
 * - no typing and no presence frames (they name no log position to check; see the gateway).
 *
 * And may do: `send`, `typing` with `canWrite` in its channels, `markRead` and delivery reports
 * with `canRead` in them (scope.ts `requireChannelScope`, the Web API's check); watching or setting
 * presence is refused (`requireNoPresenceScope`): a bot is online while a socket of it is open.
 *
 * People's sockets have no scope and never reach this file: the gateway's per-event cost for them
 * is one null check. To widen what bots see, change `streamReaches`/`isStreamReadable` and say so
 * in docs/integrations.md.
 */

import type { ConversationKind } from "@parley/db";
import { encodeServerEvent, HIDDEN_USER_EVENT_KIND } from "@parley/protocol";
import { isChannelKind } from "../access.ts";
import { ParleyError } from "../errors.ts";
import { encodeUserEvent, type TUserEventRecord } from "../events.ts";
import type { TBotScope } from "./tokens.ts";

/** A bot token's scope as the stream checks it on every event: its channels as a set. */
export type TStreamScope = {
  readonly channelIds: ReadonlySet<string>;
  readonly canRead: boolean;
  readonly canWrite: boolean;
};

/** The per-event form of a token's scope (built once per socket or replay). */
export function streamScope(scope: TBotScope): TStreamScope {
  return { channelIds: new Set(scope.channelIds), canRead: scope.canRead, canWrite: scope.canWrite };
}

/** True when a stream with `scope` may see the events of `conversationId` (membership aside). */
export function streamReaches(scope: TStreamScope, conversationId: string | undefined): boolean {
  return scope.canRead && conversationId !== undefined && scope.channelIds.has(conversationId);
}

/**
 * True when a replay for a stream with `scope` may include this conversation: in scope, a
 * channel, and the bot user a member (a public channel it has not joined is not part of its
 * stream, though its Web API history may read it).
 */
export function isStreamReadable(
  scope: TStreamScope,
  conversation: { id: string; kind: ConversationKind; isMember: boolean },
): boolean {
  return conversation.isMember && isChannelKind(conversation.kind) && streamReaches(scope, conversation.id);
}

/** The `user.hidden` frame that stands in for user-log entry `seq`. */
export function hiddenUserEventFrame(seq: number): string {
  return encodeServerEvent({ type: "user.event", seq, kind: HIDDEN_USER_EVENT_KIND, payload: {} });
}

/** A user-log entry's frame as a stream with `scope` may see it (see the header). */
export function encodeStreamUserEvent(scope: TStreamScope, event: TUserEventRecord): string {
  const named = event.payload.conversationId;
  return streamReaches(scope, typeof named === "string" ? named : undefined)
    ? encodeUserEvent(event)
    : hiddenUserEventFrame(event.seq);
}

/** FORBIDDEN for a bot token's socket: presence (watching others, setting its own) is not part of its stream. */
export function requireNoPresenceScope(actor: { scope?: TBotScope | undefined }): void {
  if (actor.scope) throw new ParleyError("FORBIDDEN", "Bot tokens do not watch or set presence");
}
