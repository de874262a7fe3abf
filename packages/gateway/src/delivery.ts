/**
 * Delivery: everything the gateway does with the Engine (DESIGN.md "Sending" step 4, "Resume",
 * "Presence and typing"). The gateway owns sockets; this module owns "who is here and what may
 * they receive".
 *
 * - Routing: each gateway has a random `gatewayId`. A user's first local socket adds a route
 *   (user → this gateway, TTL); the last one to close removes it; a periodic refresh keeps the
 *   routes (and every socket's presence) alive, so a SIGKILLed gateway's entries lapse within
 *   `3 × refreshMs`.
 * - Small conversations: core's fan-out publishes `{userIds, frame}` to this gateway's inbox; the
 *   frame goes, as the same string, to every local socket of those users.
 * - Large channels (fan-out on read): the fan-out publishes `{frame}` once on `conv:<id>`. This
 *   gateway subscribes to that topic while at least one local user is a member (ref-counted), and
 *   delivers only to local members. Each local user's set of member conversations is loaded at
 *   connect and kept current by that user's own `conversation.added` / `dm.opened` /
 *   `conversation.removed` user events, which flow through the inbox like any other frame.
 *   Topics are subscribed from half the large-channel threshold upwards, and re-checked after
 *   every `member.joined` seen here and every `LARGE_SWEEP_EVERY` refreshes, so a channel that
 *   grows past the threshold while sockets are open is normally listened to before it crosses;
 *   anything missed in between is repaired by the client's gap detection (seq > last + 1).
 *   Topics are released when the user leaves the channel or their last socket closes, not when
 *   a channel shrinks.
 * - Resume: `sync` (or `hello` with cursors) replays from the log (core `syncSince`), in seq
 *   order, then `synced`. Live frames arriving meanwhile are held and flushed afterwards, and for
 *   `REPLAY_FLOOR_MS` after a replay live events it already carried (committed before its query,
 *   pushed after) are dropped, so each event reaches the socket once. Only then are live frames
 *   parsed, once per frame whatever the number of sockets.
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
  DEFAULT_LARGE_CHANNEL_THRESHOLD,
  type Engine,
  encodeConversationEvent,
  encodeUserEvent,
  listMembershipSummaries,
  loadAccess,
  loadConnectStates,
  loadSavedStatusTexts,
  ParleyError,
  type Presence,
  requireMember,
  syncSince,
  type TConnectState,
  type Unsubscribe,
} from "@parley/core";
import type { Db } from "@parley/db";
import { encodeServerEvent, UserEventKind } from "@parley/protocol";
import type { Logger } from "pino";
import { createBatchLoader } from "./batch.ts";

/** What delivery needs from one gateway socket. */
export type TDeliveryLink = {
  readonly id: string;
  readonly actor: Actor;
  /** Sends an encoded frame now (the gateway checks bufferedAmount); false when it was not sent. */
  sendFrame(frame: string): boolean;
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
  watching: Set<string>;
  /** Live frames held while a replay runs; null otherwise. */
  held: string[] | null;
  isOverflowed: boolean;
  /** After a replay: the seqs it carried, per conversation and for the user log, until `until`. */
  floors: { conversations: Map<string, number>; userSeq: number | null; until: number } | null;
  typingAt: Map<string, number>;
};

/** Ref-counted topic subscriptions; subscribe/unsubscribe of one topic run one after another. */
class TopicRefs {
  private readonly topics = new Map<
    string,
    { refs: number; unsubscribe: Unsubscribe | null; chain: Promise<void>; handler: (frame: string) => void }
  >();

  constructor(
    private readonly engine: Engine,
    private readonly log: Logger,
  ) {}

  /** Takes a reference; resolves once the subscription is live. */
  acquire(topic: string, handler: (frame: string) => void): Promise<void> {
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
          entry.unsubscribe = await this.engine.subscribeTopic(topic, (m) => entry.handler(m.frame));
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

/** Reads the fields held-frame filtering needs, or null for frames it does not concern. */
function peekSeq(
  frame: string,
): { type: "event"; conversationId: string; seq: number } | { type: "user.event"; seq: number } | null {
  if (!frame.includes('"event"') && !frame.includes('"user.event"')) return null;
  try {
    const value = JSON.parse(frame) as { type?: unknown; conversationId?: unknown; seq?: unknown };
    if (typeof value.seq !== "number") return null;
    if (value.type === "event" && typeof value.conversationId === "string") {
      return { type: "event", conversationId: value.conversationId, seq: value.seq };
    }
    if (value.type === "user.event") return { type: "user.event", seq: value.seq };
  } catch {
    // Not ours to judge: deliver it as is.
  }
  return null;
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

  // The same frame string goes to many sockets in a row: parse it once.
  let peeked: { frame: string; result: ReturnType<typeof peekSeq> } | null = null;
  function peek(frame: string): ReturnType<typeof peekSeq> {
    if (peeked?.frame !== frame) peeked = { frame, result: peekSeq(frame) };
    return peeked.result;
  }

  function deliver(state: LinkState, frame: string): void {
    if (state.held) {
      if (state.held.length >= MAX_HELD_FRAMES) state.isOverflowed = true;
      else state.held.push(frame);
      return;
    }
    const floors = state.floors;
    if (floors) {
      if (Date.now() > floors.until) {
        state.floors = null;
      } else {
        const seen = peek(frame);
        if (seen?.type === "event" && seen.seq <= (floors.conversations.get(seen.conversationId) ?? -1))
          return;
        if (seen?.type === "user.event" && seen.seq <= (floors.userSeq ?? -1)) return;
      }
    }
    state.link.sendFrame(frame);
  }

  // --- conversation membership and large-channel topics ------------------------------------

  function onConversationTopic(conversationId: string, frame: string): void {
    const local = convLocal.get(conversationId);
    if (!local) return;
    for (const user of local) {
      if (!user.conversations.has(conversationId)) continue;
      for (const state of user.links) deliver(state, frame);
    }
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
    return topics.acquire(`conv:${conversationId}`, (frame) => onConversationTopic(conversationId, frame));
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
  function applyUserEvent(user: LocalUser, kind: unknown, payload: unknown): void {
    const conversationId = (payload as { conversationId?: unknown } | null)?.conversationId;
    if (typeof conversationId !== "string") return;
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

  function onInbox(userIds: readonly string[] | undefined, frame: string): void {
    if (!userIds) return;
    let userEvent: { kind?: unknown; payload?: unknown } | null | undefined;
    for (const userId of new Set(userIds)) {
      const user = users.get(userId);
      if (!user) continue;
      if (userEvent === undefined) {
        userEvent = null;
        // User events are low volume: only they are parsed, to keep membership sets current.
        if (frame.includes('"user.event"')) {
          try {
            const value = JSON.parse(frame) as { type?: unknown; kind?: unknown; payload?: unknown };
            if (value.type === "user.event") userEvent = value;
          } catch {
            userEvent = null;
          }
        }
      }
      if (userEvent) applyUserEvent(user, userEvent.kind, userEvent.payload);
      for (const state of user.links) deliver(state, frame);
    }
    // A join may take a conversation past the threshold: check it before its events go to the topic.
    if (frame.includes('"member.joined"')) {
      const seen = peek(frame);
      if (seen?.type === "event") scheduleLargeCheck(seen.conversationId);
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
      const counts = await db.membership.groupBy({
        by: ["conversationId"],
        where: { conversationId: { in: batch } },
        _count: { _all: true },
      });
      const large = new Set(
        counts.filter((c) => c._count._all >= topicThreshold).map((c) => c.conversationId),
      );
      if (large.size === 0) continue;
      for (const user of users.values()) {
        for (const conversationId of large) {
          if (user.conversations.has(conversationId)) void addLarge(user, conversationId);
        }
      }
    }
  }

  /** Every conversation a local user is in whose topic this gateway does not hold for them. */
  function smallLocalConversations(): string[] {
    const ids = new Set<string>();
    for (const user of users.values()) {
      for (const conversationId of user.conversations) {
        if (!user.large.has(conversationId)) ids.add(conversationId);
      }
    }
    return [...ids];
  }

  // --- presence ---------------------------------------------------------------------------

  function onPresenceFrame(userId: string, frame: string): void {
    if (lastPresence.get(userId) === frame) return;
    lastPresence.set(userId, frame);
    for (const state of watchers.get(userId) ?? []) deliver(state, frame);
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

  let isRefreshing = false;
  let ticks = 0;
  const timer = setInterval(() => {
    if (isRefreshing || isStopped) return;
    isRefreshing = true;
    const work = (async () => {
      await engine.refreshRoutes(gatewayId, [...users.keys()], ttlMs);
      await Promise.all(
        [...states.values()].map((s) =>
          engine.setPresence(s.link.actor.userId, s.link.id, s.presence, ttlMs),
        ),
      );
      await recheckPresence();
      // Channels that grew while nobody here saw a join (a bulk add): a slower sweep.
      ticks += 1;
      if (ticks % LARGE_SWEEP_EVERY === 0) await checkLarge(smallLocalConversations());
    })();
    track(
      "presence refresh",
      work.finally(() => (isRefreshing = false)),
    );
  }, refreshMs);
  timer.unref();

  const unsubscribeInbox = await engine.subscribeGateway(gatewayId, (m) => onInbox(m.userIds, m.frame));

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
        watching: new Set(),
        held: null,
        isOverflowed: false,
        floors: null,
        typingAt: new Map(),
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
      await publishPresence(userId);
    },

    close(link) {
      const state = states.get(link.id);
      if (!state) return;
      states.delete(link.id);
      for (const userId of state.watching) unwatch(state, userId);
      state.watching.clear();
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
          { encode: true },
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
        else for (const frame of held) deliver(state, frame);
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
      const last = state.typingAt.get(conversationId);
      if (last !== undefined && now - last < typingIntervalMs) return;
      if (state.typingAt.size > 100) {
        for (const [id, at] of state.typingAt) if (now - at >= typingIntervalMs) state.typingAt.delete(id);
      }
      state.typingAt.set(conversationId, now);
      const frame = encodeServerEvent({ type: "typing", conversationId, userId });
      const members = await db.membership.findMany({
        where: { conversationId },
        select: { userId: true },
        take: largeThreshold + 1,
      });
      if (members.length > largeThreshold) {
        await engine.publishToTopic(`conv:${conversationId}`, { frame });
        return;
      }
      const others = members.map((m) => m.userId).filter((id) => id !== userId);
      if (others.length === 0) return;
      const routes = await engine.gatewaysOf(others);
      await Promise.all(
        [...routes].map(([target, userIds]) => engine.publishToGateway(target, { userIds, frame })),
      );
    },

    async watchPresence(link, userIds) {
      const state = stateOf(link);
      const unique = [...new Set(userIds)];
      // One install is one workspace: "users of this workspace" are the rows of User.
      const known =
        unique.length === 0
          ? []
          : (await db.user.findMany({ where: { id: { in: unique } }, select: { id: true } })).map(
              (u) => u.id,
            );
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
        added.push(topics.acquire(`presence:${userId}`, (frame) => onPresenceFrame(userId, frame)));
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
          else if (state.watching.has(userId)) deliver(state, frame);
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
      clearInterval(timer);
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
