/**
 * The typing relay: members only, at most one per conversation per `typingIntervalMs` per socket,
 * routed like a conversation event (core's routeToConversation); never stored. A bot token's
 * socket types only where it may write (its scope, as for `send`); it never receives typing.
 */
import {
  listMemberIds,
  loadAccess,
  requireChannelScope,
  requireMember,
  routeToConversation,
} from "@parley/core";
import { encodeServerEvent } from "@parley/protocol";
import type { TDelivery, TDeliveryContext } from "./types.ts";

/** Delivery's `typing`, relaying at most one notice per `typingIntervalMs` per socket and conversation. */
export function createTyping(ctx: TDeliveryContext, typingIntervalMs: number): TDelivery["typing"] {
  const { db, engine, largeThreshold } = ctx;
  return async function typing(link, conversationId) {
    const state = ctx.stateOf(link);
    const userId = link.actor.userId;
    if (link.actor.scope) await requireChannelScope(db, link.actor, conversationId, "write");
    if (!state.user.conversations.has(conversationId)) {
      // Not a member as far as this gateway knows: answer like every other command does
      // (NOT_FOUND for unknown and unreadable conversations alike, FORBIDDEN "Join the channel
      // first" for a public channel); a member the index has not caught up with yet goes on.
      requireMember(await loadAccess(db, link.actor, conversationId));
    }
    const now = Date.now();
    state.typingAt ??= new Map();
    const last = state.typingAt.get(conversationId);
    if (last !== undefined && now - last < typingIntervalMs) return;
    if (state.typingAt.size > 100) {
      for (const [id, at] of state.typingAt) if (now - at >= typingIntervalMs) state.typingAt.delete(id);
    }
    state.typingAt.set(conversationId, now);
    const frame = encodeServerEvent({ type: "typing", conversationId, userId });
    // One more than the threshold: enough to tell a large channel from a small one.
    const members = await listMemberIds(db, conversationId, largeThreshold + 1);
    const publishes = await routeToConversation(
      engine,
      conversationId,
      members,
      { frame },
      {
        threshold: largeThreshold,
        exceptUserId: userId,
      },
    );
    await Promise.all(publishes.map((publish) => publish()));
  };
}
