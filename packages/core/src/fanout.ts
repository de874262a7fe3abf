/**
 * The after-commit fan-out (DESIGN "Sending", step 4): an EventSink that pushes committed events
 * through the Engine to the gateways holding the right sockets (ARCHITECTURE.md "Delivery").
 *
 * - A frame is encoded once and travels with its BusHeader (gateways never parse it back apart);
 *   conversation events go where `routeToConversation` says (conversation-routes.ts: the
 *   members' gateways, or the `conv:<id>` topic for large channels), only ever to members.
 * - Member lists are cached (LRU) with the Conversation.membersSeq they were read at, and reused
 *   while an event's membersSeq says membership has not changed since; without one, reloaded.
 * - Order: an event that overtook the seq expected next is held, for at most `reorderWaitMs`,
 *   only while a write of this process that could still hand the missing one over is in flight
 *   (`writesInFlight`, events.ts); otherwise the gap was committed by another process and
 *   everything held goes out at once. Publishes are issued in seq order per conversation (and
 *   per user), so one gateway receives a conversation's events in seq order.
 *
 * The sink never throws: failures are logged with the conversation and seq; clients recover
 * anything missed from the log through their cursors.
 */
import type { TDb } from "@parley/db";
import {
  DEFAULT_LARGE_CHANNEL_THRESHOLD,
  routeToConversation,
  type TPublish,
} from "./conversation-routes.ts";
import type { TEngineLogger } from "./engine/logger.ts";
import type { TBusHeader, TEngine } from "./engine/types.ts";
import {
  encodeConversationEvent,
  encodeUserEvent,
  type TConversationEventRecord,
  type TEventSink,
  type TUserEventRecord,
  writesInFlight,
} from "./events.ts";
import { hotQuery, type THotStatement } from "./hot-sql.ts";
import { metrics } from "./metrics.ts";

/** Options for createFanout. */
export type TFanoutOptions = {
  db: TDb;
  engine: TEngine;
  /** Above this many members a conversation is published once on its topic. Default 200. */
  largeChannelThreshold?: number;
  /** How many conversations' member lists to keep (LRU). Default 10,000. */
  memberCacheSize?: number;
  /** Longest an event that overtook a missing seq is held back for it (default 10 ms; 0 = never). */
  reorderWaitMs?: number;
  /** Where delivery failures go (default console). */
  logger?: TEngineLogger;
};

/**
 * The fan-out sink; `close()` stops taking events and waits for the ones in flight; `idle()`
 * resolves once nothing is in flight or held back (tests use it before connecting a client whose
 * replay must not meet a late live push; the events keep flowing afterwards).
 */
export type TFanout = TEventSink & { close(): Promise<void>; idle(): Promise<void> };

/** A conversation's member ids as read at one membersSeq. */
type MemberList = { userIds: string[]; membersSeq: number };

/** One statement, so the list and its membersSeq come from one snapshot. */
const MEMBERS_SQL: THotStatement = {
  name: "parley_fanout_members_v1",
  text: `SELECT c."membersSeq", ARRAY(
    SELECT m."userId"::text FROM "Membership" m WHERE m."conversationId" = c.id
  ) AS "userIds" FROM "Conversation" c WHERE c.id = $1::uuid`,
};

/** Per conversation: the seq expected next and the events that overtook it. */
type Reorder = {
  next: number;
  held: Map<number, TConversationEventRecord>;
  timer: ReturnType<typeof setTimeout> | undefined;
};

/** How an event is named in log lines (built only when something is logged). */
function describe(event: TConversationEventRecord | TUserEventRecord): string {
  return "conversationId" in event
    ? `event ${event.kind} ${event.conversationId}#${event.seq}`
    : `user event ${event.kind} ${event.userId}#${event.seq}`;
}

/** Builds the after-commit fan-out sink over `engine`; install it with `setEventSink`. */
export function createFanout(options: TFanoutOptions): TFanout {
  const { db, engine } = options;
  const threshold = options.largeChannelThreshold ?? DEFAULT_LARGE_CHANNEL_THRESHOLD;
  const cacheSize = options.memberCacheSize ?? 10_000;
  const logger = options.logger ?? console;
  const cache = new Map<string, Promise<MemberList>>();
  /** Per conversation / user: resolves once the latest queued job has issued its publishes. */
  const tails = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<unknown>>();
  let isClosed = false;
  const reorderWaitMs = options.reorderWaitMs ?? 10;
  const reorders = new Map<string, Reorder>();
  const { fanoutRecipients } = metrics();

  const track = (promise: Promise<unknown>) => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  };

  /** Reads a conversation's members and membersSeq (a conversation that is gone: nobody). */
  async function readMembers(conversationId: string): Promise<MemberList> {
    const rows = await hotQuery<MemberList>(db, MEMBERS_SQL, [conversationId]);
    return rows[0] ?? { userIds: [], membersSeq: -1 };
  }

  function load(conversationId: string): Promise<MemberList> {
    const fresh = readMembers(conversationId);
    cache.delete(conversationId);
    cache.set(conversationId, fresh);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    fresh.catch(() => {
      if (cache.get(conversationId) === fresh) cache.delete(conversationId);
    });
    return fresh;
  }

  /** The members `event` goes to: the cached list while membersSeq says it still holds (file header). */
  async function membersFor(event: TConversationEventRecord): Promise<string[]> {
    const id = event.conversationId;
    const wanted = event.membersSeq;
    // A few looks: while one event awaits a list, another may have replaced it with a fresher one.
    for (let look = 0; look < 3 && wanted !== undefined; look++) {
      const entry = cache.get(id);
      if (!entry) break;
      const list = await entry.catch(() => undefined);
      if (list && list.membersSeq >= wanted) {
        if (cache.get(id) === entry) {
          cache.delete(id); // re-insert: most recently used last
          cache.set(id, entry);
        }
        return list.userIds;
      }
      if (cache.get(id) === entry) break;
    }
    return (await load(id)).userIds;
  }

  /** Queues a job under `key`: targets resolve now, publishes are issued after the previous job's. */
  function enqueue(
    key: string,
    event: TConversationEventRecord | TUserEventRecord,
    targets: Promise<TPublish[]>,
  ): void {
    const previous = tails.get(key) ?? Promise.resolve();
    const issued = (async () => {
      let publishes: TPublish[] = [];
      try {
        publishes = await targets;
      } catch (err) {
        logger.error(`[fanout] could not resolve recipients of ${describe(event)}`, err);
      }
      await previous;
      for (const publish of publishes) {
        track(
          publish().catch((err: unknown) =>
            logger.error(`[fanout] publish of ${describe(event)} failed`, err),
          ),
        );
      }
    })();
    tails.set(key, issued);
    track(issued);
    void issued.finally(() => {
      if (tails.get(key) === issued) tails.delete(key);
    });
  }

  async function conversationTargets(event: TConversationEventRecord, frame: string): Promise<TPublish[]> {
    const members = await membersFor(event);
    if (members.length === 0) return [];
    fanoutRecipients.observe(members.length);
    const header: TBusHeader = {
      type: "event",
      conversationId: event.conversationId,
      seq: event.seq,
      kind: event.kind,
      at: event.createdAt.getTime(),
    };
    return routeToConversation(engine, event.conversationId, members, { frame, header }, { threshold });
  }

  async function userTargets(event: TUserEventRecord, frame: string): Promise<TPublish[]> {
    const userId = event.userId;
    const byGateway = await engine.gatewaysOf([userId]);
    const named = (event.payload as { conversationId?: unknown } | null)?.conversationId;
    const header: TBusHeader = {
      type: "user.event",
      seq: event.seq,
      kind: event.kind,
      ...(typeof named === "string" ? { conversationId: named } : {}),
    };
    const publishes: TPublish[] = [];
    for (const gatewayId of byGateway.keys()) {
      publishes.push(() => engine.publishToGateway(gatewayId, { userIds: [userId], frame, header }));
    }
    return publishes;
  }

  /** Publishes every held event of `r` in seq order, and expects the seq after the last. */
  function release(r: Reorder): void {
    clearTimeout(r.timer);
    r.timer = undefined;
    for (const seq of [...r.held.keys()].sort((x, y) => x - y)) {
      dispatch(r.held.get(seq)!);
      r.next = seq + 1;
    }
    r.held.clear();
  }

  /** The reorder stage in front of dispatch (see the file header). */
  function accept(event: TConversationEventRecord): void {
    const id = event.conversationId;
    let r = reorders.get(id);
    if (!r) {
      r = { next: event.seq, held: new Map(), timer: undefined };
      reorders.set(id, r);
      if (reorders.size > cacheSize) {
        const oldest = reorders.keys().next().value!;
        release(reorders.get(oldest)!);
        reorders.delete(oldest);
      }
    }
    if (event.seq < r.next || reorderWaitMs <= 0) {
      dispatch(event); // a straggler after a release: publish as is, clients deduplicate
      return;
    }
    if (event.seq > r.next) {
      r.held.set(event.seq, event);
      if (!writesInFlight.has(id)) {
        release(r); // nothing of ours can fill the gap: it was committed elsewhere
        return;
      }
      const held = r;
      held.timer ??= setTimeout(() => release(held), reorderWaitMs);
      return;
    }
    dispatch(event);
    r.next = event.seq + 1;
    for (let next = r.held.get(r.next); next; next = r.held.get(r.next)) {
      r.held.delete(r.next);
      dispatch(next);
      r.next += 1;
    }
    if (r.held.size === 0) {
      clearTimeout(r.timer);
      r.timer = undefined;
    }
  }

  function dispatch(event: TConversationEventRecord): void {
    try {
      const encoded = encodeConversationEvent(event);
      enqueue(`c:${event.conversationId}`, event, conversationTargets(event, encoded));
    } catch (err) {
      logger.error(`[fanout] could not fan out ${describe(event)}`, err);
    }
  }

  return {
    conversationEvent(conversationId: string, event: TConversationEventRecord): void {
      if (isClosed) {
        logger.warn(`[fanout] closed: dropped event ${event.kind} ${conversationId}#${event.seq}`);
        return;
      }
      accept(event.conversationId === conversationId ? event : { ...event, conversationId });
    },

    userEvent(userId: string, event: TUserEventRecord): void {
      const record = event.userId === userId ? event : { ...event, userId };
      if (isClosed) {
        logger.warn(`[fanout] closed: dropped ${describe(record)}`);
        return;
      }
      try {
        enqueue(`u:${userId}`, record, userTargets(record, encodeUserEvent(record)));
      } catch (err) {
        logger.error(`[fanout] could not fan out ${describe(record)}`, err);
      }
    },

    async idle(): Promise<void> {
      const holding = () => [...reorders.values()].some((r) => r.held.size > 0);
      while (inFlight.size > 0 || holding()) {
        if (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },

    async close(): Promise<void> {
      isClosed = true;
      for (const r of reorders.values()) release(r);
      reorders.clear();
      // Jobs in flight may start publishes as they finish: drain until nothing is left.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      cache.clear();
    },
  };
}
