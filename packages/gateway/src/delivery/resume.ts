/**
 * Resume: `sync` (or `hello` with cursors) replays from the log (core `syncSince`) in seq order,
 * then `synced`. The socket's live frames are held meanwhile and flushed afterwards; for
 * `REPLAY_FLOOR_MS` after a replay, live events it already carried (committed before its query,
 * pushed after) are dropped by their BusHeader's conversation and seq (frames are never parsed),
 * so each event reaches the socket once. `deliver` is the one way a push reaches a socket, so it
 * applies both, and, first, a bot token's scope (core bots/stream.ts: events of its channels only,
 * its other user-log entries as `user.hidden`, no typing or presence); people's sockets have no
 * scope and pay one null check for it. A replay applies the same scope in core (syncSince).
 */
import {
  encodeConversationEvent,
  encodeUserEvent,
  hiddenUserEventFrame,
  loadSyncMetas,
  streamReaches,
  syncSince,
  type TStreamScope,
  type TSyncMeta,
  type TSyncMetaRequest,
} from "@parley/core";
import { encodeServerEvent, HIDDEN_USER_EVENT_KIND } from "@parley/protocol";
import { createBatchLoader } from "../batch.ts";
import { Push } from "../push.ts";
import type { TDelivery, TDeliveryContext, TLinkState } from "./types.ts";

/** Live frames held for one socket during a replay before it is told to resync instead (4001). */
const MAX_HELD_FRAMES = 10_000;
/** How long after a replay live events at or below its seqs are dropped as already sent. */
const REPLAY_FLOOR_MS = 10_000;

/**
 * What a bot token's socket gets of a push: the push, a `user.hidden` stand-in for a user-log
 * entry outside its scope (same seq: the log stays gapless), or nothing (another conversation's
 * event; typing and presence, which carry no header to check).
 */
function scopedPush(scope: TStreamScope, push: Push): Push | null {
  const header = push.header;
  if (header === null) return null;
  if (header.type === "event") return streamReaches(scope, header.conversationId) ? push : null;
  if (header.kind === HIDDEN_USER_EVENT_KIND || streamReaches(scope, header.conversationId)) return push;
  return new Push(hiddenUserEventFrame(header.seq), {
    type: "user.event",
    seq: header.seq,
    kind: HIDDEN_USER_EVENT_KIND,
  });
}

/**
 * Sends a push to one socket: filtered by its scope (bot tokens only), held during its replay,
 * dropped when a replay just carried it.
 */
export function deliver(state: TLinkState, pushed: Push): void {
  let push = pushed;
  if (state.scope !== null) {
    const scoped = scopedPush(state.scope, push);
    if (scoped === null) return;
    push = scoped;
  }
  if (state.held) {
    if (state.held.length >= MAX_HELD_FRAMES) state.isOverflowed = true;
    else state.held.push(push);
    return;
  }
  const floors = state.floors;
  const header = push.header;
  if (floors && header) {
    if (Date.now() > floors.until) {
      state.floors = null;
    } else if (header.type === "event") {
      if (header.seq <= (floors.conversations.get(header.conversationId) ?? -1)) return;
    } else if (header.seq <= (floors.userSeq ?? -1)) {
      return;
    }
  }
  state.link.sendFrame(push);
}

/** Delivery's `sync`: replays what changed since the cursors, then `synced`. */
export function createResume(ctx: TDeliveryContext): TDelivery["sync"] {
  const { db } = ctx;
  // Every hello's sync starts with the same lookup: concurrent ones share one statement.
  const loadSyncMeta = createBatchLoader<TSyncMetaRequest, TSyncMeta>(async (requests) => {
    const metas = await loadSyncMetas(db, requests);
    return new Map(requests.map((request, i) => [request, metas[i]!]));
  });

  return async function sync(link, input, id) {
    const state = ctx.stateOf(link);
    state.held = [];
    state.isOverflowed = false;
    const floors = state.floors ?? { conversations: new Map<string, number>(), userSeq: null, until: 0 };
    try {
      // encode: Postgres builds the event frames (the stored payload spliced in, not re-encoded).
      const result = await syncSince(
        db,
        link.actor,
        { cursors: input.cursors ?? {}, userCursor: input.userCursor },
        {
          encode: true,
          loadMeta: async (request) =>
            (await loadSyncMeta(request)) ?? { userLastSeq: 0, conversations: new Map() },
        },
      );
      for (const conversation of result.conversations) {
        if (conversation.status === "ok" || conversation.status === "more") {
          const floor = floors.conversations.get(conversation.conversationId) ?? 0;
          floors.conversations.set(conversation.conversationId, Math.max(floor, conversation.lastSeq));
        }
        for (const frame of conversation.frames ?? conversation.events.map(encodeConversationEvent)) {
          if (!(await link.sendReplay(frame))) return;
        }
      }
      // A bot token's user log comes encoded, masked outside its scope (core syncSince).
      if (result.userFrames) {
        for (const frame of result.userFrames) if (!(await link.sendReplay(frame))) return;
      }
      for (const event of result.userEvents) {
        if (!(await link.sendReplay(encodeUserEvent(event)))) return;
      }
      if (input.userCursor !== undefined) floors.userSeq = Math.max(floors.userSeq ?? 0, result.userSeq);
      await link.sendReplay(
        encodeServerEvent({
          type: "synced",
          ...(id !== undefined ? { id } : {}),
          conversations: result.conversations.map((c) => ({
            conversationId: c.conversationId,
            lastSeq: c.lastSeq,
            status: c.status,
            // Below the retention tombstone: the client skips to it (the replay started after it).
            ...(c.truncatedSeq !== undefined ? { truncatedSeq: c.truncatedSeq } : {}),
          })),
          // Unknown and unreadable conversations: one list, never one entry each.
          ...(result.notFound.length > 0 ? { notFound: result.notFound } : {}),
          userSeq: result.userSeq,
          userStatus: result.userStatus,
        }),
      );
    } finally {
      const held = state.held ?? [];
      state.held = null;
      floors.until = Date.now() + REPLAY_FLOOR_MS;
      state.floors = floors;
      if (state.isOverflowed) link.close(4001, "too many events during resume: resync");
      else for (const push of held) deliver(state, push);
    }
  };
}
