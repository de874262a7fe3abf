/**
 * Delivery: everything the gateway does with the Engine (DESIGN.md "Sending" step 4, "Resume",
 * "Presence and typing"). The gateway owns sockets; this module owns "who is here and what may
 * they receive".
 *
 * - Routing: each gateway has a random `gatewayId`. A user's first local socket adds a route
 *   (user → this gateway, TTL); the last one to close removes it; a periodic refresh on a timer
 *   wheel (every socket once per `refreshMs`, a small bucket per tick) keeps the routes (and every
 *   socket's presence) alive, so a SIGKILLed gateway's entries lapse within `3 × refreshMs`.
 * - Pushes: each bus message becomes one `Push` (push.ts: framed for the wire once); its BusHeader
 *   is all the gateway reads of it. A fan-out to many sockets goes out in slices that yield to
 *   the event loop (slices.ts), in one FIFO so every socket keeps the order frames arrived in.
 * - Small conversations: core's fan-out publishes `{userIds, frame}` to this gateway's inbox; the
 *   frame goes, as the same string, to every local socket of those users.
 * - Large channels (fan-out on read): the fan-out publishes `{frame}` once on `conv:<id>`. This
 *   gateway subscribes to that topic while at least one local user is a member (ref-counted), and
 *   delivers only to local members. Each local user's set of member conversations is loaded at
 *   connect and kept current by that user's own `conversation.added` / `dm.opened` /
 *   `conversation.removed` user events, which flow through the inbox like any other frame.
 *   Topics are subscribed from half the large-channel threshold upwards, and re-checked after
 *   every `member.joined` seen here and over one turn of the refresh wheel in every
 *   `LARGE_SWEEP_EVERY`, so a channel that
 *   grows past the threshold while sockets are open is normally listened to before it crosses;
 *   anything missed in between is repaired by the client's gap detection (seq > last + 1).
 *   Topics are released when the user leaves the channel or their last socket closes, not when
 *   a channel shrinks.
 * - Resume: `sync` (or `hello` with cursors) replays from the log (core `syncSince`), in seq
 *   order, then `synced`. Live frames arriving meanwhile are held and flushed afterwards, and for
 *   `REPLAY_FLOOR_MS` after a replay live events it already carried (committed before its query,
 *   pushed after) are dropped, so each event reaches the socket once (the BusHeader says which
 *   conversation and seq a frame is: frames are never parsed here).
 * - Typing: members only, at most one per conversation per `typingIntervalMs` per socket, sent to
 *   the other members' gateways (or the conversation topic for large channels); never stored.
 * - Presence: an entry per socket in the engine (TTL). Changes are published on
 *   `presence:<userId>`; gateways with local watchers subscribe (ref-counted) and forward a frame
 *   only when it differs from the last one they saw. Each refresh also re-reads every watched
 *   user, which turns lapsed entries (a dead gateway) into `offline` frames.
 *
 * To extend: a new push kind is a frame encoded once and delivered with `deliver`; a new
 * subscription is a `TopicRefs.acquire/release` pair tied to a socket's or user's lifetime.
 */
import { randomUUID } from "node:crypto";
import {
  type Actor,
  type BusMessage,
  countMembersByConversation,
  DEFAULT_LARGE_CHANNEL_THRESHOLD,
  type Engine,
  encodeConversationEvent,
  encodeUserEvent,
  listExistingUserIds,
  listMemberIds,
  listMembershipSummaries,
  loadAccess,
  loadConnectStates,
  loadSavedStatusTexts,
  loadSyncMetas,
  ParleyError,
  type Presence,
  requireMember,
  type SyncMeta,
  type SyncMetaRequest,
  syncSince,
  type TConnectState,
  type Unsubscribe,
} from "@parley/core";
import type { Db } from "@parley/db";
import { EventKind, encodeServerEvent, UserEventKind } from "@parley/protocol";
import type { Logger } from "pino";
import { createBatchLoader } from "./batch.ts";
import { Push } from "./push.ts";
import { SlicedDelivery } from "./slices.ts";
import { slotsFor, TimerWheel } from "./wheel.ts";

/** What delivery needs from one gateway socket. */
export type TDeliveryLink = {
  readonly id: string;
  readonly actor: Actor;
  /** Sends a push now (the gateway checks bufferedAmount); false when it was not sent. */
  sendFrame(push: Push): boolean;
  /** Sends a frame of a replay, waiting for the socket to drain first when its buffer is high. */
  sendReplay(frame: string): Promise<boolean>;
  /** Closes the socket (e.g. 4001 when live frames overflowed during a replay). */
  close(code: number, reason: string): void;
};

/** Options of createDelivery. */
export type TDeliveryOptions = {
  engine: Engine;
  db: Db;
  logger: Logger;
  /** This gateway's id in the routing table (default: a random UUID per gateway). */
  gatewayId?: string;
  /** Member count above which core's fan-out publishes on `conv:<id>`; must match createFanout's. */
  largeChannelThreshold?: number;
  /** Route and presence refresh (and watched-presence re-check) interval; TTLs are 3×. Default 10 s. */
  refreshMs?: number;
  /** Minimum time between two `typing` relays per socket and conversation. Default 3 s. */
  typingIntervalMs?: number;
  /** Sockets written per event-loop turn by a big fan-out (see slices.ts). Default 256. */
  sliceSize?: number;
};

/** A running delivery layer; see the file header. */
export type TDelivery = {
  readonly gatewayId: string;
  /** Registers a socket: route, membership index, topics, presence. Resolves when it can receive. */
  open(link: TDeliveryLink): Promise<void>;
  /** Unregisters a socket (route, topics, presence); the engine work is awaited by `stop`. */
  close(link: TDeliveryLink): void;
  /** Replays what changed since the cursors, then `synced` (with `id` for a `sync` command). */
  sync(
    link: TDeliveryLink,
    input: { cursors?: Record<string, number>; userCursor?: number },
    id?: string,
  ): Promise<void>;
  /**
   * Relays a typing notice to the conversation's other members; non-members get NOT_FOUND (like an
   * unknown conversation), or FORBIDDEN for a public channel they have not joined.
   */
  typing(link: TDeliveryLink, conversationId: string): Promise<void>;
  /** Replaces the socket's watched users and sends their current presence. */
  watchPresence(link: TDeliveryLink, userIds: readonly string[]): Promise<void>;
  /** Sets this socket's presence (and the user's status text when given). */
  setPresence(link: TDeliveryLink, status: "online" | "away", statusText?: string): Promise<void>;
  /** Stops the refresh, waits for pending engine work and drops every subscription. */
  stop(): Promise<void>;
};

/** The empty watch list every socket starts with (one shared set, not one per socket). */
const NO_USERS: ReadonlySet<string> = new Set();
/** Live frames held for one socket during a replay before it is told to resync instead (4001). */
const MAX_HELD_FRAMES = 10_000;
/** How long after a replay live events at or below its seqs are dropped as already sent. */
const REPLAY_FLOOR_MS = 10_000;
/** Longest `stop` waits for the engine work of closing sockets (routes, presence). */
const STOP_TIMEOUT_MS = 5_000;
/** Conversations per member-count query. */
const LARGE_CHECK_BATCH = 1_000;
/** Every how many refreshes the member counts of local conversations are re-checked. */
const LARGE_SWEEP_EVERY = 6;
/** Users per getPresence call in the watched-presence re-check. */
const PRESENCE_BATCH = 500;

type LocalUser = {
  userId: string;
  links: Set<LinkState>;
  /** Conversations the user is a member of (what large-channel topics may deliver). */
  conversations: Set<string>;
  /** Of those, the ones whose `conv:<id>` topic this user holds a reference to. */
  large: Set<string>;
  /** Removals seen while the initial load was running (the load must not re-add them). */
  removedWhileLoading: Set<string> | null;
  loaded: Promise<void>;
  isGone: boolean;
};

type LinkState = {
  link: TDeliveryLink;
  user: LocalUser;
  presence: Presence;
  /** Users this socket watches the presence of (NO_USERS, shared, until it watches any). */
  watching: ReadonlySet<string>;
  /** Live frames held while a replay runs; null otherwise. */
  held: Push[] | null;
  isOverflowed: boolean;
  /** After a replay: the seqs it carried, per conversation and for the user log, until `until`. */
  floors: { conversations: Map<string, number>; userSeq: number | null; until: number } | null;
  /** Last typing relay per conversation; null until the first. */
  typingAt: Map<string, number> | null;
  /** Its slot on the refresh wheel; -1 until `open` has stored its presence. */
  slot: number;
};

/** Ref-counted topic subscriptions; subscribe/unsubscribe of one topic run one after another. */
class TopicRefs {
  private readonly topics = new Map<
    string,
    {
      refs: number;
      unsubscribe: Unsubscribe | null;
      chain: Promise<void>;
      handler: (message: BusMessage) => void;
    }
  >();

  constructor(
    private readonly engine: Engine,
    private readonly log: Logger,
  ) {}

  /** Takes a reference; resolves once the subscription is live. */
  acquire(topic: string, handler: (message: BusMessage) => void): Promise<void> {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { refs: 0, unsubscribe: null, chain: Promise.resolve(), handler };
      this.topics.set(topic, entry);
    }
    entry.refs += 1;
    return this.reconcile(topic);
  }

  /** Drops a reference; the last one unsubscribes. */
  release(topic: string): void {
    const entry = this.topics.get(topic);
    if (!entry || entry.refs === 0) return;
    entry.refs -= 1;
    if (entry.refs === 0) void this.reconcile(topic);
  }

  private reconcile(topic: string): Promise<void> {
    const entry = this.topics.get(topic)!;
    entry.chain = entry.chain.then(async () => {
      try {
        if (entry.refs > 0 && !entry.unsubscribe) {
          entry.unsubscribe = await this.engine.subscribeTopic(topic, (m) => entry.handler(m));
        } else if (entry.refs === 0 && entry.unsubscribe) {
          const unsubscribe = entry.unsubscribe;
          entry.unsubscribe = null;
          await unsubscribe();
        }
      } catch (err) {
        this.log.error({ err, topic }, "topic subscription failed");
      }
      if (entry.refs === 0 && !entry.unsubscribe && this.topics.get(topic) === entry)
        this.topics.delete(topic);
    });
    return entry.chain;
  }

  /** Unsubscribes everything (shutdown). */
  async closeAll(): Promise<void> {
    for (const entry of this.topics.values()) entry.refs = 0;
    await Promise.all([...this.topics.keys()].map((topic) => this.reconcile(topic)));
  }
}

function encodePresence(userId: string, presence: Presence): string {
  return encodeServerEvent({
    type: "presence",
    userId,
    status: presence.status,
    statusText: presence.statusText,
  });
}

/** Starts delivery for one gateway: subscribes its inbox and the periodic refresh. */
export async function createDelivery(options: TDeliveryOptions): Promise<TDelivery> {
  const { engine, db } = options;
  const log = options.logger;
  const gatewayId = options.gatewayId ?? randomUUID();
  const largeThreshold = options.largeChannelThreshold ?? DEFAULT_LARGE_CHANNEL_THRESHOLD;
  const topicThreshold = Math.max(1, Math.floor(largeThreshold / 2));
  const refreshMs = options.refreshMs ?? 10_000;
  const ttlMs = refreshMs * 3;
  const typingIntervalMs = options.typingIntervalMs ?? 3_000;

  const users = new Map<string, LocalUser>();
  const states = new Map<string, LinkState>();
  /** Large conversation → local users holding its topic. */
  const convLocal = new Map<string, Set<LocalUser>>();
  /** Watched user → local sockets watching them. */
  const watchers = new Map<string, Set<LinkState>>();
  /** Last presence frame seen per watched user (dedupes pushes, detects lapses). */
  const lastPresence = new Map<string, string>();
  const topics = new TopicRefs(engine, log);
  const pending = new Set<Promise<unknown>>();
  let isStopped = false;

  /** Runs engine/db work in the background, logging failures and tracking it for `stop`. */
  function track(what: string, work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => log.error({ err }, `${what} failed`));
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }

  function deliver(state: LinkState, push: Push): void {
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

  /** Big fan-outs go out in slices; while any is queued, every delivery queues behind it (order). */
  const slices = new SlicedDelivery<LinkState>(deliver, options.sliceSize);

  /** Delivers to `states` in order with everything before: at once when nothing is queued. */
  function deliverAll(push: Push, states: Iterable<LinkState>): void {
    if (slices.isIdle) {
      for (const state of states) deliver(state, push);
    } else {
      slices.deliver(push, [...states]);
    }
  }

  // --- conversation membership and large-channel topics ------------------------------------

  function onConversationTopic(conversationId: string, message: BusMessage): void {
    const local = convLocal.get(conversationId);
    if (!local) return;
    const targets: LinkState[] = [];
    for (const user of local) {
      if (!user.conversations.has(conversationId)) continue;
      for (const state of user.links) targets.push(state);
    }
    slices.deliver(new Push(message.frame, message.header ?? null), targets);
  }

  function addLarge(user: LocalUser, conversationId: string): Promise<void> {
    if (user.isGone || user.large.has(conversationId)) return Promise.resolve();
    user.large.add(conversationId);
    let local = convLocal.get(conversationId);
    if (!local) {
      local = new Set();
      convLocal.set(conversationId, local);
    }
    local.add(user);
    return topics.acquire(`conv:${conversationId}`, (message) =>
      onConversationTopic(conversationId, message),
    );
  }

  function removeLarge(user: LocalUser, conversationId: string): void {
    if (!user.large.delete(conversationId)) return;
    const local = convLocal.get(conversationId);
    local?.delete(user);
    if (local?.size === 0) convLocal.delete(conversationId);
    topics.release(`conv:${conversationId}`);
  }

  // First sockets connecting together share one query for memberships and saved status (a
  // reconnect storm is thousands a second); counts stop at the topic threshold, all that is asked.
  const loadConnectState = createBatchLoader<string, TConnectState>((ids) =>
    loadConnectStates(db, ids, { countCap: topicThreshold }),
  );
  const loadSavedStatus = createBatchLoader<string, string>((ids) => loadSavedStatusTexts(db, ids));
  // Every hello's sync starts with the same lookup: concurrent ones share one statement.
  const loadSyncMeta = createBatchLoader<SyncMetaRequest, SyncMeta>(async (requests) => {
    const metas = await loadSyncMetas(db, requests);
    return new Map(requests.map((request, i) => [request, metas[i]!]));
  });

  async function loadMemberships(
    user: LocalUser,
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

  /** Keeps a local user's membership set current from their own user events. */
  function applyUserEvent(user: LocalUser, kind: string, conversationId: string | undefined): void {
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

  function onInbox(message: BusMessage): void {
    const userIds = message.userIds;
    if (!userIds) return;
    const header = message.header ?? null;
    const push = new Push(message.frame, header);
    const isIdle = slices.isIdle;
    const queued: LinkState[] | null = isIdle ? null : [];
    // The fan-out lists each user once; a repeat (another publisher) must not deliver twice.
    const seen = userIds.length > 8 ? new Set<string>() : null;
    for (let i = 0; i < userIds.length; i++) {
      const userId = userIds[i]!;
      if (seen ? seen.size === seen.add(userId).size : userIds.indexOf(userId) !== i) continue;
      const user = users.get(userId);
      if (!user) continue;
      // Membership sets follow the user's own log: its envelope names the conversation.
      if (header?.type === "user.event") applyUserEvent(user, header.kind, header.conversationId);
      for (const state of user.links) {
        if (queued) queued.push(state);
        else deliver(state, push);
      }
    }
    if (queued) slices.deliver(push, queued);
    // A join may take a conversation past the threshold: check it before its events go to the topic.
    if (header?.type === "event" && header.kind === EventKind.MemberJoined) {
      scheduleLargeCheck(header.conversationId);
    }
  }

  /** Conversations whose member count to re-check soon (debounced: a bulk add is one query). */
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

  /** Subscribes the topics of those conversations that reached the topic threshold, for their local members. */
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

  // --- presence ---------------------------------------------------------------------------

  function onPresenceFrame(userId: string, frame: string): void {
    if (lastPresence.get(userId) === frame) return;
    lastPresence.set(userId, frame);
    const set = watchers.get(userId);
    if (set) deliverAll(new Push(frame), set);
  }

  async function publishPresence(userId: string): Promise<void> {
    const presence = (await engine.getPresence([userId])).get(userId) ?? {
      status: "offline",
      statusText: "",
    };
    await engine.publishToTopic(`presence:${userId}`, { frame: encodePresence(userId, presence) });
  }

  /**
   * The status text a new socket of `userId` starts with: what the user's other sockets show, or,
   * for a first socket, the custom status saved on the user (emoji and text, as one line), so
   * watchers see it as soon as the user comes online. Devices change it with `setPresence` when
   * their user log says it changed (users.setStatus → preferences.updated). `loading`: a first
   * socket's connect state, already on its way (no query of its own).
   */
  async function currentStatusText(
    userId: string,
    loading: Promise<TConnectState | undefined> | null = null,
  ): Promise<string> {
    const live = (await engine.getPresence([userId])).get(userId);
    if (live && live.status !== "offline") return live.statusText;
    if (loading) return (await loading)?.savedStatusText ?? "";
    return (await loadSavedStatus(userId)) ?? "";
  }

  function unwatch(state: LinkState, userId: string): void {
    const set = watchers.get(userId);
    if (!set?.delete(state)) return;
    if (set.size === 0) {
      watchers.delete(userId);
      lastPresence.delete(userId);
    }
    topics.release(`presence:${userId}`);
  }

  async function recheckPresence(): Promise<void> {
    const watched = [...watchers.keys()];
    for (let i = 0; i < watched.length; i += PRESENCE_BATCH) {
      const batch = watched.slice(i, i + PRESENCE_BATCH);
      const current = await engine.getPresence(batch);
      for (const userId of batch) {
        const presence = current.get(userId) ?? { status: "offline", statusText: "" };
        if (watchers.has(userId)) onPresenceFrame(userId, encodePresence(userId, presence));
      }
    }
  }

  // --- refresh ----------------------------------------------------------------------------

  /**
   * Routes and presence entries are refreshed on a timer wheel (wheel.ts): each socket once per
   * `refreshMs`, a small bucket per tick, so no tick touches every socket. A socket goes on the
   * wheel once `open` has stored its presence (an earlier refresh would store an empty status).
   * The same ticks spread the large-channel re-check (channels that grew while nobody here saw a
   * join, e.g. a bulk add) over one turn of the wheel every LARGE_SWEEP_EVERY turns.
   */
  const refreshSlots = slotsFor(refreshMs);
  let refreshTicks = 0;
  const refresh = new TimerWheel<LinkState>(
    refreshMs,
    (bucket) => {
      const turn = Math.floor(refreshTicks / refreshSlots);
      refreshTicks += 1;
      if (isStopped || bucket.size === 0) return;
      const userIds = new Set<string>();
      const work: Promise<unknown>[] = [];
      for (const state of bucket) {
        userIds.add(state.user.userId);
        work.push(engine.setPresence(state.user.userId, state.link.id, state.presence, ttlMs));
      }
      work.push(engine.refreshRoutes(gatewayId, [...userIds], ttlMs));
      track("route and presence refresh", Promise.all(work));
      if (turn % LARGE_SWEEP_EVERY === LARGE_SWEEP_EVERY - 1) {
        const small = new Set<string>();
        for (const state of bucket) {
          for (const conversationId of state.user.conversations) {
            if (!state.user.large.has(conversationId)) small.add(conversationId);
          }
        }
        if (small.size > 0) track("member count check", checkLarge([...small]));
      }
    },
    refreshSlots,
  );

  /** Re-reads every watched user's presence (lapsed entries of a dead gateway → `offline`), in batches. */
  let isRechecking = false;
  const recheckTimer = setInterval(() => {
    if (isRechecking || isStopped || watchers.size === 0) return;
    isRechecking = true;
    track(
      "presence re-check",
      recheckPresence().finally(() => (isRechecking = false)),
    );
  }, refreshMs);
  recheckTimer.unref();

  const unsubscribeInbox = await engine.subscribeGateway(gatewayId, onInbox);

  function stateOf(link: TDeliveryLink): LinkState {
    const state = states.get(link.id);
    if (!state) throw new ParleyError("CONFLICT", "This connection is not ready yet");
    return state;
  }

  return {
    gatewayId,

    async open(link) {
      const userId = link.actor.userId;
      let user = users.get(userId);
      /** A first socket's load (memberships and saved status in one query), else nothing. */
      let loading: Promise<TConnectState | undefined> | null = null;
      if (!user) {
        loading = loadConnectState(userId);
        const created: LocalUser = {
          userId,
          links: new Set(),
          conversations: new Set(),
          large: new Set(),
          removedWhileLoading: new Set(),
          loaded: Promise.resolve(),
          isGone: false,
        };
        created.loaded = loadMemberships(created, loading);
        users.set(userId, created);
        user = created;
      }
      const state: LinkState = {
        link,
        user,
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
        currentStatusText(userId, loading),
      ]);
      // Keep the user's custom status: a new entry with "" would be the most recent text.
      state.presence = { status: "online", statusText };
      if (states.get(link.id) !== state) return; // closed meanwhile
      await engine.setPresence(userId, link.id, state.presence, ttlMs);
      if (states.get(link.id) === state && state.slot < 0) state.slot = refresh.add(state);
      await publishPresence(userId);
    },

    close(link) {
      const state = states.get(link.id);
      if (!state) return;
      states.delete(link.id);
      if (state.slot >= 0) refresh.remove(state, state.slot);
      for (const userId of state.watching) unwatch(state, userId);
      state.watching = NO_USERS;
      const user = state.user;
      user.links.delete(state);
      const userId = user.userId;
      const isLast = user.links.size === 0;
      if (isLast) {
        user.isGone = true;
        users.delete(userId);
        for (const conversationId of [...user.large]) removeLarge(user, conversationId);
      }
      track(
        "socket cleanup",
        (async () => {
          if (isLast) await engine.removeRoute(userId, gatewayId);
          await engine.clearPresence(userId, link.id);
          await publishPresence(userId);
        })(),
      );
    },

    async sync(link, input, id) {
      const state = stateOf(link);
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
    },

    async typing(link, conversationId) {
      const state = stateOf(link);
      const userId = link.actor.userId;
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
      const members = await listMemberIds(db, conversationId, largeThreshold + 1);
      if (members.length > largeThreshold) {
        await engine.publishToTopic(`conv:${conversationId}`, { frame });
        return;
      }
      const others = members.filter((id) => id !== userId);
      if (others.length === 0) return;
      const routes = await engine.gatewaysOf(others);
      await Promise.all(
        [...routes].map(([target, userIds]) => engine.publishToGateway(target, { userIds, frame })),
      );
    },

    async watchPresence(link, userIds) {
      const state = stateOf(link);
      const unique = [...new Set(userIds)];
      const known = await listExistingUserIds(db, unique);
      if (states.get(link.id) !== state) return;
      const next = new Set(known);
      for (const userId of state.watching) if (!next.has(userId)) unwatch(state, userId);
      const added: Promise<void>[] = [];
      for (const userId of next) {
        if (state.watching.has(userId)) continue;
        let set = watchers.get(userId);
        if (!set) {
          set = new Set();
          watchers.set(userId, set);
        }
        set.add(state);
        added.push(topics.acquire(`presence:${userId}`, (m) => onPresenceFrame(userId, m.frame)));
      }
      state.watching = next;
      await Promise.all(added);
      const ids = [...next];
      for (let i = 0; i < ids.length; i += PRESENCE_BATCH) {
        const batch = ids.slice(i, i + PRESENCE_BATCH);
        const current = await engine.getPresence(batch);
        for (const userId of batch) {
          const frame = encodePresence(userId, current.get(userId) ?? { status: "offline", statusText: "" });
          // A changed value goes to every watcher (this socket included); otherwise just to this one.
          if (lastPresence.get(userId) !== frame) onPresenceFrame(userId, frame);
          else if (state.watching.has(userId)) deliverAll(new Push(frame), [state]);
        }
      }
    },

    async setPresence(link, status, statusText) {
      const state = stateOf(link);
      const userId = link.actor.userId;
      const text = statusText ?? (await currentStatusText(userId));
      state.presence = { status, statusText: text };
      await engine.setPresence(userId, link.id, state.presence, ttlMs);
      await publishPresence(userId);
    },

    async stop() {
      if (isStopped) return;
      isStopped = true;
      refresh.stop();
      clearInterval(recheckTimer);
      if (largeCheckTimer) clearTimeout(largeCheckTimer);
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
