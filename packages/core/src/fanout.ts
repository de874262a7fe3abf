/**
 * The after-commit fan-out (DESIGN "Sending", step 4): an EventSink that pushes committed events
 * through the Engine to the gateways holding the right sockets.
 *
 * Conversation events: the `event` frame is encoded once. Conversations with at most
 * `largeChannelThreshold` members → `gatewaysOf(members)`, one publish per gateway carrying the
 * member ids it holds. Bigger ones → one publish on topic `conv:<id>` (fan-out on read: gateways
 * subscribe for the conversations their connected users are members of). Only members are ever
 * targeted, public channel or not.
 *
 * Member lists are cached per conversation (LRU). An entry stays valid while this process sees
 * the conversation's seqs without a gap: every membership change is itself an event in the log,
 * so a gap (events committed by another process — web, another gateway) may hide one and forces
 * a reload, as does member.joined / member.left / conversation.updated. Large conversations only
 * use the list to pick the topic path, so their entry is reused for LARGE_ENTRY_TTL_MS regardless.
 *
 * Order: targets are resolved concurrently, but publishes are issued in arrival order per
 * conversation (and per user), so one gateway receives a conversation's events in the order
 * they were committed here (ioredis sends a connection's commands in order).
 *
 * The sink never throws: failures are logged with the conversation and seq; clients recover
 * anything missed from the log through their cursors.
 */
import type { Db } from "@parley/db";
import { EventKind, type TConversationEvent, type TUserEvent } from "@parley/protocol";
import type { TEngineLogger } from "./engine/logger.ts";
import type { Engine } from "./engine/types.ts";
import type { ConversationEvent, EventSink, UserEventRecord } from "./events.ts";

/** Options for createFanout. */
export type TFanoutOptions = {
  db: Db;
  engine: Engine;
  /** Above this many members a conversation is published once on its topic. Default 200. */
  largeChannelThreshold?: number;
  /** How many conversations' member lists to keep (LRU). Default 10,000. */
  memberCacheSize?: number;
  /** Where delivery failures go (default console). */
  logger?: TEngineLogger;
};

/** The fan-out sink; `close()` stops taking events and waits for the ones in flight. */
export type Fanout = EventSink & { close(): Promise<void> };

/** Kinds after which the cached member list of the conversation is reloaded. */
const MEMBERSHIP_KINDS: ReadonlySet<string> = new Set([
  EventKind.MemberJoined,
  EventKind.MemberLeft,
  EventKind.ConversationUpdated,
]);

/** How long a large conversation's cached list may be reused without checking seq continuity. */
const LARGE_ENTRY_TTL_MS = 30_000;

type MemberEntry = {
  members: Promise<string[]>;
  /** Highest seq of this conversation seen here since the list was loaded. */
  seq: number;
  loadedAt: number;
  isLarge: boolean;
};

type Publish = () => Promise<void>;

/** The conversation topic large channels are published on. */
export function conversationTopic(conversationId: string): string {
  return `conv:${conversationId}`;
}

/** Builds the after-commit fan-out sink over `engine`; install it with `setEventSink`. */
/** Member count above which a conversation is published once on its topic (fan-out on read). */
export const DEFAULT_LARGE_CHANNEL_THRESHOLD = 200;

export function createFanout(options: TFanoutOptions): Fanout {
  const { db, engine } = options;
  const threshold = options.largeChannelThreshold ?? DEFAULT_LARGE_CHANNEL_THRESHOLD;
  const cacheSize = options.memberCacheSize ?? 10_000;
  const logger = options.logger ?? console;
  const cache = new Map<string, MemberEntry>();
  /** Per conversation / user: resolves once the latest queued job has issued its publishes. */
  const tails = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<unknown>>();
  let isClosed = false;

  const track = (promise: Promise<unknown>) => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  };

  function membersFor(event: ConversationEvent): Promise<string[]> {
    const id = event.conversationId;
    const entry = cache.get(id);
    if (entry && !MEMBERSHIP_KINDS.has(event.kind)) {
      const isUsable = entry.isLarge
        ? Date.now() - entry.loadedAt < LARGE_ENTRY_TTL_MS
        : event.seq <= entry.seq + 1;
      if (isUsable) {
        entry.seq = Math.max(entry.seq, event.seq);
        cache.delete(id); // re-insert: most recently used last
        cache.set(id, entry);
        return entry.members;
      }
    }
    const fresh: MemberEntry = {
      members: db.membership
        .findMany({ where: { conversationId: id }, select: { userId: true } })
        .then((rows) => rows.map((row) => row.userId)),
      seq: event.seq,
      loadedAt: Date.now(),
      isLarge: false,
    };
    cache.delete(id);
    cache.set(id, fresh);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    fresh.members.then(
      (ids) => {
        fresh.isLarge = ids.length > threshold;
      },
      () => {
        if (cache.get(id) === fresh) cache.delete(id);
      },
    );
    return fresh.members;
  }

  /** Queues a job under `key`: targets resolve now, publishes are issued after the previous job's. */
  function enqueue(key: string, what: string, targets: Promise<Publish[]>): void {
    const previous = tails.get(key) ?? Promise.resolve();
    const issued = (async () => {
      let publishes: Publish[] = [];
      try {
        publishes = await targets;
      } catch (err) {
        logger.error(`[fanout] could not resolve recipients of ${what}`, err);
      }
      await previous;
      for (const publish of publishes) {
        track(publish().catch((err: unknown) => logger.error(`[fanout] publish of ${what} failed`, err)));
      }
    })();
    tails.set(key, issued);
    track(issued);
    void issued.finally(() => {
      if (tails.get(key) === issued) tails.delete(key);
    });
  }

  async function conversationTargets(event: ConversationEvent, frame: string): Promise<Publish[]> {
    const members = await membersFor(event);
    if (members.length === 0) return [];
    if (members.length > threshold) {
      return [() => engine.publishToTopic(conversationTopic(event.conversationId), { frame })];
    }
    const byGateway = await engine.gatewaysOf(members);
    return [...byGateway].map(
      ([gatewayId, userIds]) =>
        () =>
          engine.publishToGateway(gatewayId, { userIds, frame }),
    );
  }

  async function userTargets(userId: string, frame: string): Promise<Publish[]> {
    const byGateway = await engine.gatewaysOf([userId]);
    return [...byGateway.keys()].map(
      (gatewayId) => () => engine.publishToGateway(gatewayId, { userIds: [userId], frame }),
    );
  }

  return {
    conversationEvent(conversationId: string, event: ConversationEvent): void {
      const what = `event ${event.kind} ${conversationId}#${event.seq}`;
      if (isClosed) {
        logger.warn(`[fanout] closed: dropped ${what}`);
        return;
      }
      try {
        const frame: TConversationEvent = {
          type: "event",
          conversationId,
          seq: event.seq,
          kind: event.kind,
          actorId: event.actorId,
          payload: event.payload,
          createdAt: event.createdAt.toISOString(),
        };
        const encoded = JSON.stringify(frame);
        enqueue(`c:${conversationId}`, what, conversationTargets({ ...event, conversationId }, encoded));
      } catch (err) {
        logger.error(`[fanout] could not fan out ${what}`, err);
      }
    },

    userEvent(userId: string, event: UserEventRecord): void {
      const what = `user event ${event.kind} ${userId}#${event.seq}`;
      if (isClosed) {
        logger.warn(`[fanout] closed: dropped ${what}`);
        return;
      }
      try {
        const frame: TUserEvent = {
          type: "user.event",
          seq: event.seq,
          kind: event.kind,
          payload: event.payload,
        };
        enqueue(`u:${userId}`, what, userTargets(userId, JSON.stringify(frame)));
      } catch (err) {
        logger.error(`[fanout] could not fan out ${what}`, err);
      }
    },

    async close(): Promise<void> {
      isClosed = true;
      // Jobs in flight may start publishes as they finish: drain until nothing is left.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      cache.clear();
    },
  };
}
