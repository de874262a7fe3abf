/**
 * Large channels (fan-out on read): each local user's set of member conversations, loaded at
 * connect and kept current by their own `conversation.added` / `dm.opened` /
 * `conversation.removed` user events (they flow through the inbox like any other frame), and
 * the ref-counted `conv:<id>` topics this gateway listens to while a local user is a member.
 * Topics are subscribed from half the topic threshold upwards, and re-checked after every
 * `member.joined` seen here and over one turn of the refresh wheel in every `LARGE_SWEEP_EVERY`
 * (delivery.ts), so a channel that grows past the threshold while sockets are open is normally
 * listened to before it crosses; anything missed is repaired by the client's gap detection.
 * Topics are released when the user leaves the channel or their last socket closes, not when a
 * channel shrinks.
 */
import {
  conversationTopic,
  countMembersByConversation,
  listMembershipSummaries,
  loadConnectStates,
  type TBusMessage,
  type TConnectState,
} from "@parley/core";
import { UserEventKind } from "@parley/protocol";
import { createBatchLoader } from "../batch.ts";
import { observeDelivery, Push } from "../push.ts";
import type { TDeliveryContext, TLinkState, TLocalUser } from "./types.ts";

/** Conversations per member-count query. */
const LARGE_CHECK_BATCH = 1_000;

/** One gateway's membership index and large-channel topics. */
export type TMemberships = {
  /** A first socket's connect state (memberships and saved status), batched with concurrent ones. */
  loadConnectState(userId: string): Promise<TConnectState | undefined>;
  /** Fills a new local user's membership set from its connect state and subscribes its large topics. */
  loadMemberships(user: TLocalUser, loading: Promise<TConnectState | undefined>): Promise<void>;
  /** Keeps a local user's membership set current from their own user events. */
  applyUserEvent(user: TLocalUser, kind: string, conversationId: string | undefined): void;
  /** Re-checks a conversation's member count soon (debounced: a bulk add is one query). */
  scheduleLargeCheck(conversationId: string): void;
  /** Subscribes the topics of those conversations that reached the topic threshold, for their local members. */
  checkLarge(conversationIds: readonly string[]): Promise<void>;
  /** Releases a user's reference to a conversation's topic. */
  removeLarge(user: TLocalUser, conversationId: string): void;
  /** Cancels a scheduled check (shutdown). */
  stop(): void;
};

/** Builds the membership index of one delivery layer. */
export function createMemberships(ctx: TDeliveryContext): TMemberships {
  const { db, users, topics, slices, topicThreshold, track } = ctx;
  /** Large conversation → local users holding its topic. */
  const convLocal = new Map<string, Set<TLocalUser>>();

  function onConversationTopic(conversationId: string, message: TBusMessage): void {
    const local = convLocal.get(conversationId);
    if (!local) return;
    const targets: TLinkState[] = [];
    for (const user of local) {
      if (!user.conversations.has(conversationId)) continue;
      for (const state of user.links) targets.push(state);
    }
    slices.deliver(new Push(message.frame, message.header ?? null), targets);
    observeDelivery(message.header);
  }

  function addLarge(user: TLocalUser, conversationId: string): Promise<void> {
    if (user.isGone || user.large.has(conversationId)) return Promise.resolve();
    user.large.add(conversationId);
    let local = convLocal.get(conversationId);
    if (!local) {
      local = new Set();
      convLocal.set(conversationId, local);
    }
    local.add(user);
    return topics.acquire(conversationTopic(conversationId), (message) =>
      onConversationTopic(conversationId, message),
    );
  }

  function removeLarge(user: TLocalUser, conversationId: string): void {
    if (!user.large.delete(conversationId)) return;
    const local = convLocal.get(conversationId);
    local?.delete(user);
    if (local?.size === 0) convLocal.delete(conversationId);
    topics.release(conversationTopic(conversationId));
  }

  // First sockets connecting together share one query for memberships and saved status (a
  // reconnect storm is thousands a second); counts stop at the topic threshold, all that is asked.
  const loadConnectState = createBatchLoader<string, TConnectState>((ids) =>
    loadConnectStates(db, ids, { countCap: topicThreshold }),
  );

  async function loadMemberships(
    user: TLocalUser,
    loading: Promise<TConnectState | undefined>,
  ): Promise<void> {
    const rows = (await loading)?.memberships ?? [];
    const removed = user.removedWhileLoading;
    user.removedWhileLoading = null;
    if (user.isGone) return;
    const subscriptions: Promise<void>[] = [];
    for (const row of rows) {
      if (removed?.has(row.conversationId)) continue;
      user.conversations.add(row.conversationId);
      if (row.memberCount >= topicThreshold) subscriptions.push(addLarge(user, row.conversationId));
    }
    await Promise.all(subscriptions);
  }

  function applyUserEvent(user: TLocalUser, kind: string, conversationId: string | undefined): void {
    if (conversationId === undefined) return;
    if (kind === UserEventKind.ConversationAdded || kind === UserEventKind.DmOpened) {
      user.conversations.add(conversationId);
      user.removedWhileLoading?.delete(conversationId);
      track(
        "membership lookup",
        listMembershipSummaries(db, user.userId, { conversationId }).then((rows) => {
          const row = rows[0];
          if (row && row.memberCount >= topicThreshold && user.conversations.has(conversationId)) {
            return addLarge(user, conversationId);
          }
        }),
      );
    } else if (kind === UserEventKind.ConversationRemoved) {
      user.conversations.delete(conversationId);
      user.removedWhileLoading?.add(conversationId);
      removeLarge(user, conversationId);
    }
  }

  const largeChecks = new Set<string>();
  let largeCheckTimer: NodeJS.Timeout | null = null;
  function scheduleLargeCheck(conversationId: string): void {
    largeChecks.add(conversationId);
    largeCheckTimer ??= setTimeout(() => {
      largeCheckTimer = null;
      const ids = [...largeChecks];
      largeChecks.clear();
      track("member count check", checkLarge(ids));
    }, 50);
  }

  async function checkLarge(conversationIds: readonly string[]): Promise<void> {
    for (let i = 0; i < conversationIds.length; i += LARGE_CHECK_BATCH) {
      const batch = conversationIds.slice(i, i + LARGE_CHECK_BATCH);
      const counts = await countMembersByConversation(db, batch);
      const large = new Set<string>();
      for (const [conversationId, count] of counts) if (count >= topicThreshold) large.add(conversationId);
      if (large.size === 0) continue;
      for (const user of users.values()) {
        for (const conversationId of large) {
          if (user.conversations.has(conversationId)) void addLarge(user, conversationId);
        }
      }
    }
  }

  return {
    loadConnectState,
    loadMemberships,
    applyUserEvent,
    scheduleLargeCheck,
    checkLarge,
    removeLarge,
    stop() {
      if (largeCheckTimer) clearTimeout(largeCheckTimer);
    },
  };
}
