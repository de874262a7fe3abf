/**
 * MemoryEngine — the single-node Engine: routing table, pub/sub and presence in process memory.
 *
 * State lives in a `MemoryHub`. Each engine gets its own hub by default; engines built on one
 * shared hub behave like several gateway processes on one Redis (the contract suite uses that to
 * simulate two gateways). Expiry is lazy: entries past their deadline are ignored and dropped
 * when read, plus an amortised sweep every few thousand writes so users nobody asks about again
 * do not pile up. Delivery is asynchronous (queueMicrotask), so a publish never re-enters its
 * caller — the same shape as Redis pub/sub, where delivery always comes later.
 */

import { processLogger } from "../logging.ts";
import type { TBusMessage, TEngine, TPresenceEntry, TUnsubscribe, TUserPresence } from "./types.ts";

type Handler = (message: TBusMessage) => void;

/** One connection's presence entry. `textAt` is when its statusText last changed (merge key). */
type StoredEntry = { status: "online" | "away"; statusText: string; expiresAt: number; textAt: number };

const SWEEP_EVERY_WRITES = 4096;

/** Shared state for MemoryEngines that should see each other (like processes sharing one Redis). */
export class MemoryHub {
  /** userId → gatewayId → expiresAt (ms). */
  readonly routes = new Map<string, Map<string, number>>();
  /** userId → connectionId → entry. */
  readonly presence = new Map<string, Map<string, StoredEntry>>();
  /** channel (`gw:<id>` / `topic:<name>`) → handlers. */
  readonly channels = new Map<string, Set<Handler>>();
  /** processId → stats snapshot (ops-stats.ts) and when it lapses. */
  readonly processStats = new Map<string, { stats: string; expiresAt: number }>();
  private writes = 0;

  /** @param now clock in ms (tests may inject one). */
  constructor(readonly now: () => number = Date.now) {}

  /** Counts a write and sweeps expired entries every SWEEP_EVERY_WRITES writes. */
  noteWrite(): void {
    if (++this.writes % SWEEP_EVERY_WRITES !== 0) return;
    const now = this.now();
    for (const map of [this.routes, this.presence] as Map<string, Map<string, unknown>>[]) {
      for (const [key, entries] of map) {
        for (const [field, value] of entries) {
          const expiresAt = typeof value === "number" ? value : (value as StoredEntry).expiresAt;
          if (expiresAt <= now) entries.delete(field);
        }
        if (entries.size === 0) map.delete(key);
      }
    }
  }
}

/** Options for MemoryEngine. */
export type TMemoryEngineOptions = {
  /** Share state with other engines (simulates several processes on one Redis). Default: a private hub. */
  hub?: MemoryHub;
};

/** The in-process Engine (single node, no Redis). */
export class MemoryEngine implements TEngine {
  readonly kind = "memory" as const;
  readonly hub: MemoryHub;
  /** This engine's own subscriptions, so close() removes exactly them. */
  private readonly mine = new Set<{ channel: string; handler: Handler }>();
  private isClosed = false;

  constructor(options: TMemoryEngineOptions = {}) {
    this.hub = options.hub ?? new MemoryHub();
  }

  // --- process stats ---------------------------------------------------------------------------

  async putProcessStats(processId: string, stats: string, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.hub.processStats.set(processId, { stats, expiresAt: this.hub.now() + ttlMs });
  }

  async listProcessStats(): Promise<string[]> {
    this.assertOpen();
    const now = this.hub.now();
    const live: string[] = [];
    for (const [processId, entry] of this.hub.processStats) {
      if (entry.expiresAt > now) live.push(entry.stats);
      else this.hub.processStats.delete(processId);
    }
    return live;
  }

  // --- routing ---------------------------------------------------------------------------------

  async addRoute(userId: string, gatewayId: string, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.setRoute(userId, gatewayId, this.hub.now() + ttlMs);
  }

  async removeRoute(userId: string, gatewayId: string): Promise<void> {
    this.assertOpen();
    const entries = this.hub.routes.get(userId);
    if (!entries) return;
    entries.delete(gatewayId);
    if (entries.size === 0) this.hub.routes.delete(userId);
  }

  async refreshRoutes(gatewayId: string, userIds: readonly string[], ttlMs: number): Promise<void> {
    this.assertOpen();
    const expiresAt = this.hub.now() + ttlMs;
    for (const userId of userIds) this.setRoute(userId, gatewayId, expiresAt);
  }

  async gatewaysOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    this.assertOpen();
    const now = this.hub.now();
    const result = new Map<string, string[]>();
    for (const userId of new Set(userIds)) {
      const entries = this.hub.routes.get(userId);
      if (!entries) continue;
      for (const [gatewayId, expiresAt] of entries) {
        if (expiresAt <= now) {
          entries.delete(gatewayId);
          continue;
        }
        const users = result.get(gatewayId);
        if (users) users.push(userId);
        else result.set(gatewayId, [userId]);
      }
      if (entries.size === 0) this.hub.routes.delete(userId);
    }
    return result;
  }

  private setRoute(userId: string, gatewayId: string, expiresAt: number): void {
    let entries = this.hub.routes.get(userId);
    if (!entries) {
      entries = new Map();
      this.hub.routes.set(userId, entries);
    }
    entries.set(gatewayId, expiresAt);
    this.hub.noteWrite();
  }

  // --- pub/sub ---------------------------------------------------------------------------------

  async subscribeGateway(gatewayId: string, handler: Handler): Promise<TUnsubscribe> {
    return this.subscribe(`gw:${gatewayId}`, handler);
  }

  async publishToGateway(gatewayId: string, message: TBusMessage): Promise<void> {
    this.publish(`gw:${gatewayId}`, message);
  }

  async subscribeTopic(topic: string, handler: Handler): Promise<TUnsubscribe> {
    return this.subscribe(`topic:${topic}`, handler);
  }

  async publishToTopic(topic: string, message: TBusMessage): Promise<void> {
    this.publish(`topic:${topic}`, message);
  }

  private subscribe(channel: string, handler: Handler): TUnsubscribe {
    this.assertOpen();
    // Wrap so the same function subscribed twice is two subscriptions, like two Redis listeners.
    const entry = { channel, handler: (message: TBusMessage) => handler(message) };
    let handlers = this.hub.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.hub.channels.set(channel, handlers);
    }
    handlers.add(entry.handler);
    this.mine.add(entry);
    return async () => this.unsubscribe(entry);
  }

  private unsubscribe(entry: { channel: string; handler: Handler }): void {
    this.mine.delete(entry);
    const handlers = this.hub.channels.get(entry.channel);
    if (!handlers) return;
    handlers.delete(entry.handler);
    if (handlers.size === 0) this.hub.channels.delete(entry.channel);
  }

  private publish(channel: string, message: TBusMessage): void {
    this.assertOpen();
    const handlers = this.hub.channels.get(channel);
    if (!handlers || handlers.size === 0) return;
    // Copy what the receiver could mutate: over Redis every receiver gets its own parsed copy.
    const userIds = message.userIds;
    for (const handler of handlers) {
      queueMicrotask(() => {
        // Re-check: the handler may have unsubscribed (or its engine closed) since the publish.
        if (!this.hub.channels.get(channel)?.has(handler)) return;
        try {
          const copy: TBusMessage = userIds
            ? { userIds: [...userIds], frame: message.frame }
            : { frame: message.frame };
          if (message.header) copy.header = { ...message.header };
          handler(copy);
        } catch (err) {
          processLogger().error({ err, channel }, "[engine:memory] a handler failed");
        }
      });
    }
  }

  // --- presence --------------------------------------------------------------------------------

  async refreshPresence(entries: readonly TPresenceEntry[], ttlMs: number): Promise<void> {
    for (const { userId, connectionId, presence } of entries) {
      await this.setPresence(userId, connectionId, presence, ttlMs);
    }
  }

  async setPresence(
    userId: string,
    connectionId: string,
    presence: TUserPresence,
    ttlMs: number,
  ): Promise<void> {
    this.assertOpen();
    if (presence.status === "offline") {
      // Offline is the absence of an entry, never a stored value.
      await this.clearPresence(userId, connectionId);
      return;
    }
    const now = this.hub.now();
    let entries = this.hub.presence.get(userId);
    if (!entries) {
      entries = new Map();
      this.hub.presence.set(userId, entries);
    }
    const previous = entries.get(connectionId);
    const isSameText = previous !== undefined && previous.statusText === presence.statusText;
    entries.set(connectionId, {
      status: presence.status,
      statusText: presence.statusText,
      expiresAt: now + ttlMs,
      // A heartbeat re-setting the same text must not make it "newer" than another device's change.
      textAt: isSameText ? previous.textAt : now,
    });
    this.hub.noteWrite();
  }

  async clearPresence(userId: string, connectionId: string): Promise<void> {
    this.assertOpen();
    const entries = this.hub.presence.get(userId);
    if (!entries) return;
    entries.delete(connectionId);
    if (entries.size === 0) this.hub.presence.delete(userId);
  }

  async getPresence(userIds: readonly string[]): Promise<Map<string, TUserPresence>> {
    this.assertOpen();
    const now = this.hub.now();
    const result = new Map<string, TUserPresence>();
    for (const userId of userIds) {
      const entries = this.hub.presence.get(userId);
      const live: StoredEntry[] = [];
      if (entries) {
        for (const [connectionId, entry] of entries) {
          if (entry.expiresAt <= now) entries.delete(connectionId);
          else live.push(entry);
        }
        if (entries.size === 0) this.hub.presence.delete(userId);
      }
      result.set(userId, mergePresence(live));
    }
    return result;
  }

  // --- lifecycle -------------------------------------------------------------------------------

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const entry of [...this.mine]) this.unsubscribe(entry);
  }

  private assertOpen(): void {
    if (this.isClosed) throw new Error("engine closed");
  }
}

/**
 * Merges one user's live connection entries: online beats away (none → offline); the statusText
 * is the one changed most recently on any connection. Shared with the Redis engine.
 */
export function mergePresence(
  entries: readonly { status: string; statusText: string; textAt: number }[],
): TUserPresence {
  if (entries.length === 0) return { status: "offline", statusText: "" };
  let status: TUserPresence["status"] = "away";
  let latest = entries[0]!;
  for (const entry of entries) {
    if (entry.status === "online") status = "online";
    if (entry.textAt > latest.textAt) latest = entry;
  }
  return { status, statusText: latest.statusText };
}
