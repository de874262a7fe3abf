/**
 * Delivery: everything the gateway does with the Engine — "who is here and what may they
 * receive" (the gateway owns the sockets; ARCHITECTURE.md "Delivery" and "The gateway").
 *
 * - Routing: each gateway has a random `gatewayId`. A user's first local socket adds a route
 *   (user → this gateway, TTL); the last one to close removes it; a refresh on a timer wheel
 *   (every socket once per `refreshMs`, a small bucket per tick) keeps the routes and every
 *   socket's presence alive, so a SIGKILLed gateway's entries lapse within `3 × refreshMs`.
 * - The inbox: core's fan-out publishes `{userIds, frame}` for small conversations; the frame
 *   goes, as the same string, to every local socket of those users. Each bus message becomes one
 *   `Push` (push.ts: framed for the wire once) whose BusHeader is all the gateway reads of it; a
 *   fan-out to many sockets goes out in slices that yield to the event loop (slices.ts), with a
 *   queue per socket, so every socket keeps the order frames arrived in.
 *
 * Files (delivery/): memberships.ts (large channels: membership index, `conv:<id>` topics),
 * resume.ts (replay, hold and flush, `deliver`), typing.ts, presence.ts, topic-refs.ts and
 * types.ts (the contract and the shared state); this file builds them, routes the inbox and runs
 * the refresh wheel.
 *
 * To extend: a new push kind is a frame encoded once and delivered with `deliver`; a new
 * subscription is a `TopicRefs.acquire/release` pair tied to a socket's or user's lifetime.
 */
import { randomUUID } from "node:crypto";
import {
  DEFAULT_LARGE_CHANNEL_THRESHOLD,
  ParleyError,
  streamScope,
  type TBusMessage,
  type TConnectState,
  type TPresenceEntry,
} from "@parley/core";
import { CloseCode, EventKind } from "@parley/protocol";
import { createMemberships } from "./delivery/memberships.ts";
import { createPresence } from "./delivery/presence.ts";
import { createResume, deliver } from "./delivery/resume.ts";
import { TopicRefs } from "./delivery/topic-refs.ts";
import {
  NO_USERS,
  type TDelivery,
  type TDeliveryContext,
  type TDeliveryOptions,
  type TLinkState,
  type TLocalUser,
} from "./delivery/types.ts";
import { createTyping } from "./delivery/typing.ts";
import { observeDelivery, Push } from "./push.ts";
import { SlicedDelivery } from "./slices.ts";
import { slotsFor, TimerWheel } from "./wheel.ts";

export type { TDelivery, TDeliveryLink, TDeliveryOptions } from "./delivery/types.ts";

/** Longest `stop` waits for the engine work of closing sockets (routes, presence). */
const STOP_TIMEOUT_MS = 5_000;
/** Every how many refreshes the member counts of local conversations are re-checked. */
const LARGE_SWEEP_EVERY = 6;

/** Starts delivery for one gateway: subscribes its inbox and the periodic refresh. */
export async function createDelivery(options: TDeliveryOptions): Promise<TDelivery> {
  const { engine } = options;
  const log = options.logger;
  const gatewayId = options.gatewayId ?? randomUUID();
  const largeThreshold = options.largeChannelThreshold ?? DEFAULT_LARGE_CHANNEL_THRESHOLD;
  const refreshMs = options.refreshMs ?? 10_000;
  const ttlMs = refreshMs * 3;

  const users = new Map<string, TLocalUser>();
  const states = new Map<string, TLinkState>();
  const pending = new Set<Promise<unknown>>();
  const slices = new SlicedDelivery<TLinkState>(deliver, options.sliceSize, {
    // A socket this far behind is a slow consumer: closed, it resumes from its cursors elsewhere.
    onOverflow(state) {
      log.warn({ connectionId: state.link.id }, "slow consumer: too many frames waiting, closing");
      state.link.close(CloseCode.SlowConsumer, "slow consumer");
    },
  });

  const ctx: TDeliveryContext = {
    engine,
    db: options.db,
    log,
    gatewayId,
    ttlMs,
    refreshMs,
    largeThreshold,
    topicThreshold: Math.max(1, Math.floor(largeThreshold / 2)),
    users,
    states,
    topics: new TopicRefs(engine, log),
    slices,
    isStopped: false,
    track(what, work, fields) {
      const p = work.catch((err: unknown) => log.error({ ...fields, err }, `${what} failed`));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
    deliverAll(push, targets) {
      slices.deliver(push, targets);
    },
    stateOf(link) {
      const state = states.get(link.id);
      if (!state) throw new ParleyError("CONFLICT", "This connection is not ready yet");
      return state;
    },
  };
  const { track, topics } = ctx;
  const memberships = createMemberships(ctx);
  const presence = createPresence(ctx);

  function onInbox(message: TBusMessage): void {
    const userIds = message.userIds;
    if (!userIds) return;
    const header = message.header ?? null;
    const push = new Push(message.frame, header);
    // The fan-out lists each user once; a repeat (another publisher) must not deliver twice.
    const seen = userIds.length > 8 ? new Set<string>() : null;
    for (let i = 0; i < userIds.length; i++) {
      const userId = userIds[i]!;
      if (seen ? seen.size === seen.add(userId).size : userIds.indexOf(userId) !== i) continue;
      const user = users.get(userId);
      if (!user) continue;
      // Membership sets follow the user's own log: its envelope names the conversation.
      if (header?.type === "user.event") memberships.applyUserEvent(user, header.kind, header.conversationId);
      // At once, unless frames still wait for that socket (a large channel's slices): then behind them.
      for (const state of user.links) slices.deliverTo(state, push);
    }
    observeDelivery(header);
    // A join may take a conversation past the threshold: check it before its events go to the topic.
    if (header?.type === "event" && header.kind === EventKind.MemberJoined) {
      memberships.scheduleLargeCheck(header.conversationId);
    }
  }

  /**
   * Routes and presence entries are refreshed on a timer wheel (wheel.ts): each socket once per
   * `refreshMs`, a small bucket per tick, so no tick touches every socket. A socket goes on the
   * wheel once `open` has stored its presence (an earlier refresh would store an empty status).
   * The same ticks spread the large-channel re-check (channels that grew while nobody here saw a
   * join, e.g. a bulk add) over one turn of the wheel every LARGE_SWEEP_EVERY turns.
   */
  const refreshSlots = slotsFor(refreshMs);
  let refreshTicks = 0;
  const refresh = new TimerWheel<TLinkState>(
    refreshMs,
    (bucket) => {
      const turn = Math.floor(refreshTicks / refreshSlots);
      refreshTicks += 1;
      if (ctx.isStopped || bucket.size === 0) return;
      // One batch each for the bucket's routes and presence entries (one pipeline on Redis).
      const userIds = new Set<string>();
      const entries: TPresenceEntry[] = [];
      for (const state of bucket) {
        userIds.add(state.user.userId);
        entries.push({ userId: state.user.userId, connectionId: state.link.id, presence: state.presence });
      }
      track(
        "route and presence refresh",
        Promise.all([
          engine.refreshPresence(entries, ttlMs),
          engine.refreshRoutes(gatewayId, [...userIds], ttlMs),
        ]),
      );
      if (turn % LARGE_SWEEP_EVERY === LARGE_SWEEP_EVERY - 1) {
        const small = new Set<string>();
        for (const state of bucket) {
          for (const conversationId of state.user.conversations) {
            if (!state.user.large.has(conversationId)) small.add(conversationId);
          }
        }
        if (small.size > 0) track("member count check", memberships.checkLarge([...small]));
      }
    },
    refreshSlots,
    // By the clock: a loaded process must still renew every entry well within its TTL.
    { catchUp: true },
  );

  const unsubscribeInbox = await engine.subscribeGateway(gatewayId, onInbox);

  return {
    gatewayId,

    async open(link) {
      const userId = link.actor.userId;
      let user = users.get(userId);
      /** A first socket's load (memberships and saved status in one query), else nothing. */
      let loading: Promise<TConnectState | undefined> | null = null;
      if (!user) {
        loading = memberships.loadConnectState(userId);
        const created: TLocalUser = {
          userId,
          links: new Set(),
          conversations: new Set(),
          large: new Set(),
          removedWhileLoading: new Set(),
          loaded: Promise.resolve(),
          isGone: false,
        };
        created.loaded = memberships.loadMemberships(created, loading);
        users.set(userId, created);
        user = created;
      }
      const state: TLinkState = {
        link,
        user,
        scope: link.actor.scope ? streamScope(link.actor.scope) : null,
        presence: { status: "online", statusText: "" },
        watching: NO_USERS,
        held: null,
        isOverflowed: false,
        floors: null,
        typingAt: null,
        slot: -1,
      };
      user.links.add(state);
      states.set(link.id, state);
      const [, , statusText] = await Promise.all([
        user.loaded,
        engine.addRoute(userId, gatewayId, ttlMs),
        presence.currentStatusText(userId, loading),
      ]);
      // Keep the user's custom status: a new entry with "" would be the most recent text.
      state.presence = { status: "online", statusText };
      if (states.get(link.id) !== state) return; // closed meanwhile
      await engine.setPresence(userId, link.id, state.presence, ttlMs);
      if (states.get(link.id) === state && state.slot < 0) state.slot = refresh.add(state);
      await presence.publishPresence(userId);
    },

    close(link) {
      const state = states.get(link.id);
      if (!state) return;
      states.delete(link.id);
      if (state.slot >= 0) refresh.remove(state, state.slot);
      for (const userId of state.watching) presence.unwatch(state, userId);
      state.watching = NO_USERS;
      const user = state.user;
      user.links.delete(state);
      const userId = user.userId;
      const isLast = user.links.size === 0;
      if (isLast) {
        user.isGone = true;
        users.delete(userId);
        for (const conversationId of [...user.large]) memberships.removeLarge(user, conversationId);
      }
      track(
        "socket cleanup",
        (async () => {
          if (isLast) await engine.removeRoute(userId, gatewayId);
          await engine.clearPresence(userId, link.id);
          await presence.publishPresence(userId);
        })(),
        { connectionId: link.id },
      );
    },

    sync: createResume(ctx),
    typing: createTyping(ctx, options.typingIntervalMs ?? 3_000),
    watchPresence: presence.watchPresence,
    setPresence: presence.setPresence,

    async stop() {
      if (ctx.isStopped) return;
      ctx.isStopped = true;
      refresh.stop();
      presence.stop();
      memberships.stop();
      // Cleanups of the sockets just closed; bounded, since a down Redis makes them wait.
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (pending.size > 0 && Date.now() < deadline) {
        await Promise.race([
          Promise.all([...pending]),
          new Promise((r) => setTimeout(r, deadline - Date.now())),
        ]);
      }
      try {
        await unsubscribeInbox();
        await topics.closeAll();
      } catch (err) {
        log.error({ err }, "unsubscribing failed");
      }
    },
  };
}
