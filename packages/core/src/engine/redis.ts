/**
 * RedisEngine — the Engine for many gateways, on one Redis (≥ 6; ioredis).
 *
 * Keys and channels (all under `keyPrefix`, default `parley:`):
 *   route:<userId>     sorted set, member gatewayId, score = expiresAt (ms, writer's clock)
 *   presence:<userId>  hash, field connectionId → JSON {status, statusText, expiresAt, textAt}
 *   gw:<gatewayId>     pub/sub channel: the gateway's inbox
 *   topic:<name>       pub/sub channel: conv:<id>, user:<id>, typing:<id>, presence:<id>
 * A pub/sub message is JSON {userIds?, frame, header?} (header: the BusHeader envelope).
 *
 * Expiry is per entry (score / expiresAt, filtered on read, pruned opportunistically when a read
 * finds stale ones) plus a PEXPIRE on the key that is only ever extended (see the Lua below), so
 * the keys of users nobody refreshes vanish by themselves. Entry deadlines use the writer's
 * clock: hosts need roughly synchronised clocks (skew shortens or lengthens a TTL by as much).
 *
 * Two connections: `cmd` for commands (pipelined per call) and `sub`, which only
 * subscribes. Channels are subscribed on first local handler and unsubscribed after the last
 * (refcounts). After a reconnect ioredis re-subscribes every channel it holds (autoResubscribe,
 * on by default); routes and presence lost with a Redis restart come back with each gateway's
 * next refresh. While Redis is unreachable, commands wait in ioredis's offline queue and then
 * reject: every method then rejects, nothing throws out of band, and connection errors are
 * logged (throttled).
 */
import { Redis, type RedisOptions } from "ioredis";
import type { TEngineLogger } from "./logger.ts";
import { mergePresence } from "./memory.ts";
import type { BusHeader, BusMessage, Engine, Presence, Unsubscribe } from "./types.ts";

type Handler = (message: BusMessage) => void;

/** Options for RedisEngine. */
export type TRedisEngineOptions = {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Prefix of every key and channel, so installs and tests can share one Redis. Default `parley:`. */
  keyPrefix?: string;
  /** Where connection errors go (default console). */
  logger?: TEngineLogger;
  /** Extra ioredis options for both connections (e.g. `maxRetriesPerRequest`). */
  redisOptions?: RedisOptions;
};

/** Users per pipeline: keeps each round trip's buffers bounded for gateways with many users. */
const PIPELINE_CHUNK = 1_000;
/** At most one log line per distinct connection error message per this many ms. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/** ZADD the route and extend (never shorten) the key's TTL. KEYS[1] route key; ARGV gatewayId, expiresAt, ttlMs. */
const ROUTE_LUA = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`;

/**
 * Set one connection's presence; keep its `textAt` when the text did not change (a heartbeat is not
 * a new status), and extend the key's TTL. KEYS[1] presence key; ARGV connectionId, status,
 * statusText, expiresAt, now, ttlMs.
 */
const PRESENCE_LUA = `
local textAt = tonumber(ARGV[5])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local ok, prev = pcall(cjson.decode, old)
  if ok and type(prev) == 'table' and prev.statusText == ARGV[3] and type(prev.textAt) == 'number' then
    textAt = prev.textAt
  end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({status = ARGV[2], statusText = ARGV[3], expiresAt = tonumber(ARGV[4]), textAt = textAt}))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
return 1`;

type ScriptCommands = {
  parleyRoute(key: string, gatewayId: string, expiresAt: number, ttlMs: number): Promise<number>;
  parleyPresence(
    key: string,
    connectionId: string,
    status: string,
    statusText: string,
    expiresAt: number,
    now: number,
    ttlMs: number,
  ): Promise<number>;
};

type ChannelState = { handlers: Set<Handler>; ready: Promise<unknown> };

type StoredPresence = { status: string; statusText: string; expiresAt: number; textAt: number };

/** The Redis-backed Engine (many gateways). */
export class RedisEngine implements Engine {
  readonly kind = "redis" as const;
  readonly keyPrefix: string;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly logger: TEngineLogger;
  private readonly channels = new Map<string, ChannelState>();
  private readonly lastErrorLog = new Map<string, number>();
  private isClosed = false;

  constructor(options: TRedisEngineOptions) {
    this.keyPrefix = options.keyPrefix ?? "parley:";
    this.logger = options.logger ?? console;
    const redisOptions: RedisOptions = { connectionName: "parley-engine", ...options.redisOptions };
    this.cmd = new Redis(options.url, redisOptions);
    this.sub = new Redis(options.url, { ...redisOptions, connectionName: "parley-engine-sub" });
    for (const [role, conn] of [
      ["cmd", this.cmd],
      ["sub", this.sub],
    ] as const) {
      // Without a listener ioredis prints every reconnect failure; with one we throttle them.
      conn.on("error", (err: Error) => this.logConnectionError(role, err));
    }
    this.cmd.defineCommand("parleyRoute", { numberOfKeys: 1, lua: ROUTE_LUA });
    this.cmd.defineCommand("parleyPresence", { numberOfKeys: 1, lua: PRESENCE_LUA });
    this.sub.on("message", (channel: string, raw: string) => this.dispatch(channel, raw));
  }

  // --- routing ---------------------------------------------------------------------------------

  async addRoute(userId: string, gatewayId: string, ttlMs: number): Promise<void> {
    this.assertOpen();
    await this.scripts(this.cmd).parleyRoute(this.routeKey(userId), gatewayId, Date.now() + ttlMs, ttlMs);
  }

  async removeRoute(userId: string, gatewayId: string): Promise<void> {
    this.assertOpen();
    await this.cmd.zrem(this.routeKey(userId), gatewayId);
  }

  async refreshRoutes(gatewayId: string, userIds: readonly string[], ttlMs: number): Promise<void> {
    this.assertOpen();
    const expiresAt = Date.now() + ttlMs;
    for (let i = 0; i < userIds.length; i += PIPELINE_CHUNK) {
      const pipeline = this.cmd.pipeline();
      for (const userId of userIds.slice(i, i + PIPELINE_CHUNK)) {
        this.scripts(pipeline).parleyRoute(this.routeKey(userId), gatewayId, expiresAt, ttlMs);
      }
      checkPipeline(await pipeline.exec());
    }
  }

  async gatewaysOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    this.assertOpen();
    const unique = [...new Set(userIds)];
    const result = new Map<string, string[]>();
    const now = Date.now();
    const stale: string[] = [];
    for (let i = 0; i < unique.length; i += PIPELINE_CHUNK) {
      const chunk = unique.slice(i, i + PIPELINE_CHUNK);
      const pipeline = this.cmd.pipeline();
      // The whole set (a user is on a handful of gateways at most): one read tells both the live
      // entries and whether stale ones need pruning.
      for (const userId of chunk) pipeline.zrange(this.routeKey(userId), "0", "-1", "WITHSCORES");
      const replies = checkPipeline(await pipeline.exec()) as string[][];
      chunk.forEach((userId, j) => {
        const reply = replies[j] ?? [];
        let hasStale = false;
        for (let k = 0; k + 1 < reply.length; k += 2) {
          if (Number(reply[k + 1]) <= now) {
            hasStale = true;
            continue;
          }
          const gatewayId = reply[k]!;
          const users = result.get(gatewayId);
          if (users) users.push(userId);
          else result.set(gatewayId, [userId]);
        }
        if (hasStale) stale.push(userId);
      });
    }
    if (stale.length > 0) {
      const pipeline = this.cmd.pipeline();
      for (const userId of stale) pipeline.zremrangebyscore(this.routeKey(userId), "-inf", String(now));
      this.background(pipeline.exec(), "pruning expired routes");
    }
    return result;
  }

  // --- pub/sub ---------------------------------------------------------------------------------

  async subscribeGateway(gatewayId: string, handler: Handler): Promise<Unsubscribe> {
    return this.subscribe(this.gatewayChannel(gatewayId), handler);
  }

  async publishToGateway(gatewayId: string, message: BusMessage): Promise<void> {
    await this.publish(this.gatewayChannel(gatewayId), message);
  }

  async subscribeTopic(topic: string, handler: Handler): Promise<Unsubscribe> {
    return this.subscribe(this.topicChannel(topic), handler);
  }

  async publishToTopic(topic: string, message: BusMessage): Promise<void> {
    await this.publish(this.topicChannel(topic), message);
  }

  private async publish(channel: string, message: BusMessage): Promise<void> {
    this.assertOpen();
    const wire: BusMessage = message.userIds
      ? { userIds: message.userIds, frame: message.frame }
      : { frame: message.frame };
    if (message.header) wire.header = message.header;
    await this.cmd.publish(channel, JSON.stringify(wire));
  }

  private async subscribe(channel: string, handler: Handler): Promise<Unsubscribe> {
    this.assertOpen();
    // Wrap so the same function subscribed twice is two subscriptions (two refcounts).
    const own: Handler = (message) => handler(message);
    let state = this.channels.get(channel);
    if (!state) {
      // Commands on one connection run in order, so SUBSCRIBE after a pending UNSUBSCRIBE of the
      // same channel (last handler just left) leaves it subscribed, as intended.
      state = { handlers: new Set(), ready: this.sub.subscribe(channel) };
      this.channels.set(channel, state);
    }
    state.handlers.add(own);
    try {
      await state.ready;
    } catch (err) {
      await this.release(channel, state, own);
      throw err;
    }
    let isDone = false;
    return async () => {
      if (isDone) return;
      isDone = true;
      await this.release(channel, state, own);
    };
  }

  private async release(channel: string, state: ChannelState, handler: Handler): Promise<void> {
    state.handlers.delete(handler);
    if (state.handlers.size > 0 || this.channels.get(channel) !== state) return;
    this.channels.delete(channel);
    if (this.isClosed) return;
    // Local delivery already stopped (dispatch ignores channels without state); a failed UNSUBSCRIBE
    // (Redis down) only leaves a channel we drop messages of, cleared on the next reconnect's resubscribe.
    await this.sub.unsubscribe(channel).catch((err: unknown) => {
      this.logger.warn(`[engine:redis] unsubscribe of ${channel} failed`, err);
    });
  }

  private dispatch(channel: string, raw: string): void {
    const state = this.channels.get(channel);
    if (!state || this.isClosed) return;
    let message: BusMessage;
    try {
      const parsed = JSON.parse(raw) as { userIds?: unknown; frame?: unknown; header?: unknown };
      if (typeof parsed.frame !== "string") throw new Error("no frame");
      if (parsed.userIds !== undefined && !Array.isArray(parsed.userIds)) throw new Error("bad userIds");
      message = parsed.userIds
        ? { userIds: parsed.userIds as string[], frame: parsed.frame }
        : { frame: parsed.frame };
      if (parsed.header !== undefined) message.header = parseHeader(parsed.header);
    } catch (err) {
      this.logger.warn(`[engine:redis] dropped a malformed message on ${channel}`, err);
      return;
    }
    // Handlers of one channel share the parsed message: they must not mutate it.
    for (const handler of [...state.handlers]) {
      try {
        handler(message);
      } catch (err) {
        this.logger.error(`[engine:redis] handler for ${channel} failed`, err);
      }
    }
  }

  // --- presence --------------------------------------------------------------------------------

  async setPresence(userId: string, connectionId: string, presence: Presence, ttlMs: number): Promise<void> {
    this.assertOpen();
    if (presence.status === "offline") {
      // Offline is the absence of an entry, never a stored value.
      await this.clearPresence(userId, connectionId);
      return;
    }
    const now = Date.now();
    await this.scripts(this.cmd).parleyPresence(
      this.presenceKey(userId),
      connectionId,
      presence.status,
      presence.statusText,
      now + ttlMs,
      now,
      ttlMs,
    );
  }

  async clearPresence(userId: string, connectionId: string): Promise<void> {
    this.assertOpen();
    await this.cmd.hdel(this.presenceKey(userId), connectionId);
  }

  async getPresence(userIds: readonly string[]): Promise<Map<string, Presence>> {
    this.assertOpen();
    const unique = [...new Set(userIds)];
    const result = new Map<string, Presence>();
    const now = Date.now();
    const stale: [userId: string, connectionId: string][] = [];
    for (let i = 0; i < unique.length; i += PIPELINE_CHUNK) {
      const chunk = unique.slice(i, i + PIPELINE_CHUNK);
      const pipeline = this.cmd.pipeline();
      for (const userId of chunk) pipeline.hgetall(this.presenceKey(userId));
      const replies = checkPipeline(await pipeline.exec()) as Record<string, string>[];
      chunk.forEach((userId, j) => {
        const live: StoredPresence[] = [];
        for (const [connectionId, raw] of Object.entries(replies[j] ?? {})) {
          const entry = parsePresence(raw);
          if (entry && entry.expiresAt > now) live.push(entry);
          else stale.push([userId, connectionId]);
        }
        result.set(userId, mergePresence(live));
      });
    }
    if (stale.length > 0) {
      const pipeline = this.cmd.pipeline();
      for (const [userId, connectionId] of stale) pipeline.hdel(this.presenceKey(userId), connectionId);
      this.background(pipeline.exec(), "pruning expired presence");
    }
    return result;
  }

  // --- lifecycle -------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.channels.clear();
    this.sub.disconnect();
    // Let already-queued commands (publishes) go out when connected; otherwise just drop the socket.
    if (this.cmd.status === "ready") await this.cmd.quit().catch(() => this.cmd.disconnect());
    else this.cmd.disconnect();
  }

  // --- helpers ---------------------------------------------------------------------------------

  private routeKey(userId: string): string {
    return `${this.keyPrefix}route:${userId}`;
  }

  private presenceKey(userId: string): string {
    return `${this.keyPrefix}presence:${userId}`;
  }

  private gatewayChannel(gatewayId: string): string {
    return `${this.keyPrefix}gw:${gatewayId}`;
  }

  private topicChannel(topic: string): string {
    return `${this.keyPrefix}topic:${topic}`;
  }

  private scripts(target: object): ScriptCommands {
    return target as unknown as ScriptCommands;
  }

  private assertOpen(): void {
    if (this.isClosed) throw new Error("engine closed");
  }

  /** Runs housekeeping nobody waits for; a failure is only logged. */
  private background(promise: Promise<unknown>, what: string): void {
    promise.catch((err: unknown) => this.logger.warn(`[engine:redis] ${what} failed`, err));
  }

  private logConnectionError(role: string, err: Error): void {
    const key = `${role}:${err.message}`;
    const now = Date.now();
    if (now - (this.lastErrorLog.get(key) ?? 0) < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLog.set(key, now);
    this.logger.error(`[engine:redis] ${role} connection error: ${err.message}`);
  }
}

/** Throws the first error of a pipeline's replies; returns the results otherwise. */
function checkPipeline(replies: [Error | null, unknown][] | null): unknown[] {
  if (!replies) throw new Error("pipeline aborted");
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function parsePresence(raw: string): StoredPresence | null {
  try {
    const entry = JSON.parse(raw) as Partial<StoredPresence>;
    if (typeof entry.expiresAt !== "number" || typeof entry.status !== "string") return null;
    return {
      status: entry.status,
      statusText: typeof entry.statusText === "string" ? entry.statusText : "",
      expiresAt: entry.expiresAt,
      textAt: typeof entry.textAt === "number" ? entry.textAt : 0,
    };
  } catch {
    return null;
  }
}

/** Checks the envelope of a bus message from Redis (written by another process's `publish`). */
function parseHeader(value: unknown): BusHeader {
  const h = value as Partial<Record<keyof BusHeader, unknown>> | null;
  if (
    h === null ||
    typeof h !== "object" ||
    (h.type !== "event" && h.type !== "user.event") ||
    typeof h.seq !== "number" ||
    typeof h.kind !== "string" ||
    (h.conversationId !== undefined && typeof h.conversationId !== "string") ||
    (h.type === "event" && typeof h.conversationId !== "string")
  ) {
    throw new Error("bad header");
  }
  return h as BusHeader;
}
