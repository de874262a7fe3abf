/**
 * RedisEngine — the Engine for many gateways, on one Redis (≥ 6) or a Redis Cluster (ioredis;
 * REDIS_URL `redis+cluster://…`, see redis-client.ts).
 *
 * Keys and channels (all under `keyPrefix`, default `parley:`):
 *   route:{<userId>}     sorted set, member gatewayId, score = expiresAt (ms, writer's clock)
 *   presence:{<userId>}  hash, field connectionId → JSON {status, statusText, expiresAt, textAt}
 *   gw:<gatewayId>       pub/sub channel: the gateway's inbox
 *   topic:<name>         pub/sub channel: conv:<id>, presence:<id>, revocations (revocation-bus.ts)
 * A pub/sub message is JSON {userIds?, frame, header?} (redis-wire.ts).
 *
 * On a cluster, the `{userId}` hash tag puts all of one user's keys in one slot (so a script or
 * MULTI over a user's route and presence stays legal), while different users spread over every
 * master. The prefix must hold no braces (it would become the tag: every key on one node). Each
 * call still touches one key per command; batches over many users cannot be one pipeline there
 * (a pipeline must stay on one node), so on a cluster they are separate commands that ioredis's
 * auto-pipelining groups into one pipeline per node.
 *
 * Pub/sub on a cluster is sharded (SPUBLISH/SSUBSCRIBE) when every master runs Redis ≥ 7, or
 * when the URL says `pubsub=sharded`: a classic PUBLISH is broadcast over the cluster bus to
 * every node, so each node carries every message and adding masters adds no pub/sub capacity;
 * a sharded one goes only to the master owning the channel's slot, where its subscribers are
 * (ioredis keeps one subscriber connection per master). Classic PUBLISH/SUBSCRIBE remains for
 * older clusters (`pubsub=classic` forces it). The choice is made once per engine; every process
 * of an install must make the same one (a sharded subscriber never sees a classic publish), so
 * after upgrading a cluster to Redis 7, restart all Parley processes. One server always uses
 * classic pub/sub (nothing to shard).
 *
 * Expiry is per entry (score / expiresAt, filtered on read, pruned opportunistically when a read
 * finds stale ones) plus a PEXPIRE on the key that is only ever extended (see the Lua below), so
 * the keys of users nobody refreshes vanish by themselves. Entry deadlines use the writer's
 * clock: hosts need roughly synchronised clocks (skew shortens or lengthens a TTL by as much).
 *
 * Two connections: `cmd` for commands (pipelined per call; one server: the commands of one turn
 * leave in one write, corkForThisTurn) and `sub`, which only subscribes. Channels are subscribed
 * on first local handler and unsubscribed after the last (refcounts). After a reconnect ioredis re-subscribes every channel it holds (autoResubscribe,
 * on by default); routes and presence lost with a Redis restart come back with each gateway's
 * next refresh. While Redis is unreachable, commands wait in ioredis's offline queue and then
 * reject (on a cluster, once it was first reached: at once): every method then rejects, nothing
 * throws out of band, and connection errors are logged (throttled). After a whole-cluster outage
 * a sharded subscriber is replaced by a fresh one (see createSubscriber).
 */
import type { TClusterPubSub } from "@parley/config";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import type { TEngineLogger } from "./logger.ts";
import {
  ClassicPublishNodes,
  clusterPubSubOf,
  clusterSupportsShardedPubSub,
  corkForThisTurn,
  createRedisClient,
  type TRedisClient,
  type TRedisEngineOptions,
} from "./redis-client.ts";
import { listProcessStats, putProcessStats } from "./redis-process-stats.ts";
import {
  addRoutes,
  checkPipeline,
  livePresence,
  PRESENCE_LUA,
  ROUTE_LUA,
  type TBatchTarget,
  type TScriptCommands,
} from "./redis-scripts.ts";
import { decodeBusMessage, encodeBusMessage } from "./redis-wire.ts";
import type { TBusMessage, TEngine, TPresenceEntry, TUnsubscribe, TUserPresence } from "./types.ts";

type Handler = (message: TBusMessage) => void;

export type { TRedisEngineOptions } from "./redis-client.ts";

/** Users per pipeline: keeps each round trip's buffers bounded for gateways with many users. */
const PIPELINE_CHUNK = 1_000;
/** At most one log line per distinct connection error message per this many ms. */
const ERROR_LOG_INTERVAL_MS = 10_000;

type PubSubMode = "sharded" | "classic";

type ChannelState = { handlers: Set<Handler>; ready: Promise<unknown> };

/** The Redis-backed Engine (many gateways). */
export class RedisEngine implements TEngine {
  readonly kind = "redis" as const;
  readonly keyPrefix: string;
  /** True on a Redis Cluster. */
  readonly isCluster: boolean;
  private readonly cmd: TRedisClient;
  /** Replaced after a whole-cluster outage in sharded mode (see replaceSubscriber). */
  private sub: TRedisClient;
  private readonly url: string;
  private readonly subOptions: RedisOptions;
  private readonly logger: TEngineLogger;
  /** How pub/sub runs; undefined until a cluster's `auto` choice is known (see pubSubMode). */
  private mode: PubSubMode | undefined;
  private modePromise: Promise<PubSubMode> | undefined;
  private readonly wantedMode: TClusterPubSub;
  private readonly channels = new Map<string, ChannelState>();
  private readonly lastErrorLog = new Map<string, number>();
  /** On a cluster: one master per channel for classic PUBLISH (keeps one channel in order). */
  private readonly classicPublishers: ClassicPublishNodes | undefined;
  private isClosed = false;

  constructor(options: TRedisEngineOptions) {
    this.keyPrefix = options.keyPrefix ?? "parley:";
    if (/[{}]/.test(this.keyPrefix)) {
      throw new Error(
        `keyPrefix must not contain { or } (got "${this.keyPrefix}"): Parley's hash tags follow it`,
      );
    }
    this.logger = options.logger ?? console;
    const clusterPubSub = clusterPubSubOf(options.url);
    this.isCluster = clusterPubSub !== undefined;
    this.wantedMode = options.pubsub ?? clusterPubSub ?? "classic";
    if (!this.isCluster) this.mode = "classic";
    else if (this.wantedMode !== "auto") this.mode = this.wantedMode;
    const redisOptions: RedisOptions = { connectionName: "parley-engine", ...options.redisOptions };
    this.cmd = createRedisClient(options.url, {
      redisOptions,
      clusterOptions: { enableAutoPipelining: true },
    });
    this.url = options.url;
    this.subOptions = { ...redisOptions, connectionName: "parley-engine-sub" };
    this.sub = this.createSubscriber();
    // Without a listener ioredis prints every reconnect failure; with one we throttle them.
    this.cmd.on("error", (err: Error) => this.logConnectionError("cmd", err));
    if (this.isCluster) this.cmd.on("node error", (err: Error) => this.logConnectionError("cmd node", err));
    if (this.isCluster) {
      // A Cluster's offline queue has no bound: while the whole cluster is down every command would
      // wait forever (one server's connection rejects after maxRetriesPerRequest). Queue only until
      // the slot map is first known; from then on a command that finds no node rejects at once, so
      // every method rejects during an outage, as the Engine contract asks.
      const cluster = this.cmd as Cluster;
      cluster.once("ready", () => {
        cluster.options.enableOfflineQueue = false;
      });
    }
    if (this.isCluster) this.classicPublishers = new ClassicPublishNodes(this.cmd as Cluster);
    this.cmd.defineCommand("parleyRoute", { numberOfKeys: 1, lua: ROUTE_LUA });
    this.cmd.defineCommand("parleyPresence", { numberOfKeys: 1, lua: PRESENCE_LUA });
  }

  /** The subscribing connection(s): one server, or a cluster (one connection per master when sharded). */
  private createSubscriber(): TRedisClient {
    const sub = createRedisClient(this.url, {
      redisOptions: this.subOptions,
      clusterOptions: { shardedSubscribers: this.wantedMode !== "classic" },
    });
    sub.on("error", (err: Error) => this.logConnectionError("sub", err));
    sub.on("message", (channel: string, raw: string) => this.dispatch(channel, raw));
    sub.on("smessage", (channel: string, raw: string) => this.dispatch(channel, raw));
    if (this.isCluster && this.wantedMode !== "classic") {
      sub.on("node error", (err: Error) => this.logConnectionError("sub node", err));
      // ioredis 6.0's sharded subscribers can stay unsubscribed after the whole cluster went down
      // and came back (a subscriber stopped while connecting wedges its group's reset; seen in
      // redis-cluster.integration.test.ts's outage test): after such an outage, start afresh.
      let wasDown = false;
      sub.on("close", () => {
        wasDown = true;
      });
      sub.on("ready", () => {
        if (wasDown && sub === this.sub && !this.isClosed) this.replaceSubscriber();
      });
    }
    return sub;
  }

  /** A new sharded subscriber with every channel this engine holds; the old one is dropped first. */
  private replaceSubscriber(): void {
    const old = this.sub;
    this.sub = this.createSubscriber();
    old.disconnect();
    this.logger.warn(`[engine:redis] re-subscribing ${this.channels.size} channel(s) after a cluster outage`);
    for (const channel of this.channels.keys()) {
      this.sub.ssubscribe(channel).catch((err: unknown) => {
        this.logger.error(`[engine:redis] re-subscribing ${channel} failed`, err);
      });
    }
  }

  /** How this engine publishes and subscribes (on a cluster with `auto`, asks the masters once). */
  async pubSubMode(): Promise<PubSubMode> {
    if (this.mode) return this.mode;
    this.modePromise ??= clusterSupportsShardedPubSub(this.cmd as Cluster).then(
      (sharded) => {
        this.mode = sharded ? "sharded" : "classic";
        return this.mode;
      },
      (err: unknown) => {
        this.modePromise = undefined; // ask again next time
        throw err;
      },
    );
    return this.modePromise;
  }

  /** Runs `fn` with the pub/sub mode: synchronously once known, so calls keep their order. */
  private withMode<T>(fn: (mode: PubSubMode) => Promise<T>): Promise<T> {
    return this.mode ? fn(this.mode) : this.pubSubMode().then(fn);
  }

  // --- process stats (redis-process-stats.ts) -------------------------------------------------

  async putProcessStats(processId: string, stats: string, ttlMs: number): Promise<void> {
    this.assertOpen();
    await putProcessStats(this.cmd, this.keyPrefix, processId, stats, ttlMs);
  }

  async listProcessStats(): Promise<string[]> {
    this.assertOpen();
    return listProcessStats(this.cmd, this.keyPrefix);
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
      await this.batch(userIds.slice(i, i + PIPELINE_CHUNK), (t, userId) =>
        t.parleyRoute(this.routeKey(userId), gatewayId, expiresAt, ttlMs),
      );
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
      // The whole set (a user is on a handful of gateways at most): one read tells both the live
      // entries and whether stale ones need pruning.
      const replies = (await this.batch(chunk, (t, userId) =>
        t.zrange(this.routeKey(userId), "0", "-1", "WITHSCORES"),
      )) as string[][];
      addRoutes(result, stale, chunk, replies, now);
    }
    if (stale.length > 0) {
      this.background(
        this.batch(stale, (t, userId) => t.zremrangebyscore(this.routeKey(userId), "-inf", String(now))),
        "pruning expired routes",
      );
    }
    return result;
  }

  // --- pub/sub ---------------------------------------------------------------------------------

  async subscribeGateway(gatewayId: string, handler: Handler): Promise<TUnsubscribe> {
    return this.subscribe(this.gatewayChannel(gatewayId), handler);
  }

  async publishToGateway(gatewayId: string, message: TBusMessage): Promise<void> {
    await this.publish(this.gatewayChannel(gatewayId), message);
  }

  async subscribeTopic(topic: string, handler: Handler): Promise<TUnsubscribe> {
    return this.subscribe(this.topicChannel(topic), handler);
  }

  async publishToTopic(topic: string, message: TBusMessage): Promise<void> {
    await this.publish(this.topicChannel(topic), message);
  }

  private async publish(channel: string, message: TBusMessage): Promise<void> {
    this.assertOpen();
    const text = encodeBusMessage(message);
    if (!this.isCluster) corkForThisTurn(this.cmd);
    await this.withMode((mode) =>
      mode === "sharded"
        ? this.cmd.spublish(channel, text)
        : (this.classicPublishers?.nodeFor(channel) ?? this.cmd).publish(channel, text),
    );
  }

  private async subscribe(channel: string, handler: Handler): Promise<TUnsubscribe> {
    this.assertOpen();
    // Wrap so the same function subscribed twice is two subscriptions (two refcounts).
    const own: Handler = (message) => handler(message);
    let state = this.channels.get(channel);
    if (!state) {
      // Commands on one connection run in order, so SUBSCRIBE after a pending UNSUBSCRIBE of the
      // same channel (last handler just left) leaves it subscribed, as intended.
      state = {
        handlers: new Set(),
        ready: this.withMode((mode) =>
          mode === "sharded" ? this.sub.ssubscribe(channel) : this.sub.subscribe(channel),
        ),
      };
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
    await this.withMode((mode) =>
      mode === "sharded" ? this.sub.sunsubscribe(channel) : this.sub.unsubscribe(channel),
    ).catch((err: unknown) => {
      this.logger.warn(`[engine:redis] unsubscribe of ${channel} failed`, err);
    });
  }

  private dispatch(channel: string, raw: string): void {
    const state = this.channels.get(channel);
    if (!state || this.isClosed) return;
    let message: TBusMessage;
    try {
      message = decodeBusMessage(raw);
    } catch (err) {
      this.logger.warn(`[engine:redis] dropped a malformed message on ${channel}`, err);
      return;
    }
    this.deliver(channel, message);
  }

  /** Hands `message` to the channel's handlers; they share it, so they must not mutate it. */
  private deliver(channel: string, message: TBusMessage): void {
    const state = this.channels.get(channel);
    if (!state || this.isClosed) return;
    for (const handler of [...state.handlers]) {
      try {
        handler(message);
      } catch (err) {
        this.logger.error(`[engine:redis] handler for ${channel} failed`, err);
      }
    }
  }

  // --- presence --------------------------------------------------------------------------------

  async setPresence(userId: string, connId: string, presence: TUserPresence, ttlMs: number): Promise<void> {
    // Offline is the absence of an entry, never a stored value (refreshPresence removes it).
    await this.refreshPresence([{ userId, connectionId: connId, presence }], ttlMs);
  }

  async refreshPresence(entries: readonly TPresenceEntry[], ttlMs: number): Promise<void> {
    this.assertOpen();
    const now = Date.now();
    for (let i = 0; i < entries.length; i += PIPELINE_CHUNK) {
      await this.batch(entries.slice(i, i + PIPELINE_CHUNK), (t, { userId, connectionId, presence }) =>
        presence.status === "offline"
          ? t.hdel(this.presenceKey(userId), connectionId)
          : t.parleyPresence(
              this.presenceKey(userId),
              connectionId,
              presence.status,
              presence.statusText,
              now + ttlMs,
              now,
              ttlMs,
            ),
      );
    }
  }

  async clearPresence(userId: string, connectionId: string): Promise<void> {
    this.assertOpen();
    await this.cmd.hdel(this.presenceKey(userId), connectionId);
  }

  async getPresence(userIds: readonly string[]): Promise<Map<string, TUserPresence>> {
    this.assertOpen();
    const unique = [...new Set(userIds)];
    const result = new Map<string, TUserPresence>();
    const now = Date.now();
    const stale: [userId: string, connectionId: string][] = [];
    for (let i = 0; i < unique.length; i += PIPELINE_CHUNK) {
      const chunk = unique.slice(i, i + PIPELINE_CHUNK);
      const replies = (await this.batch(chunk, (t, userId) => t.hgetall(this.presenceKey(userId)))) as Record<
        string,
        string
      >[];
      for (const [j, userId] of chunk.entries())
        result.set(userId, livePresence(userId, replies[j], now, stale));
    }
    if (stale.length > 0) {
      this.background(
        this.batch(stale, (t, [userId, connectionId]) => t.hdel(this.presenceKey(userId), connectionId)),
        "pruning expired presence",
      );
    }
    return result;
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** Both connections up and a PING answered; fails at once while down (never queued offline). */
  async ping(): Promise<void> {
    const down = this.isClosed ? "closed" : [this.cmd, this.sub].find((c) => c.status !== "ready")?.status;
    if (down) throw new Error(`redis not ready (${down})`);
    await this.cmd.ping();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.channels.clear();
    this.sub.disconnect();
    // Let already-queued commands (publishes) go out when connected; otherwise just drop the socket.
    if (this.cmd.status === "ready") await this.cmd.quit().catch(() => this.cmd.disconnect());
    else this.cmd.disconnect();
  }

  /** The user's routing-table key; `{userId}` is the cluster hash tag (see the header). */
  routeKey(userId: string): string {
    return `${this.keyPrefix}route:{${userId}}`;
  }

  /** The user's presence key; same hash tag as routeKey, so both live in one slot. */
  presenceKey(userId: string): string {
    return `${this.keyPrefix}presence:{${userId}}`;
  }

  private gatewayChannel(gatewayId: string): string {
    return `${this.keyPrefix}gw:${gatewayId}`;
  }

  private topicChannel(topic: string): string {
    return `${this.keyPrefix}topic:${topic}`;
  }

  private scripts(target: object): TScriptCommands {
    return target as unknown as TScriptCommands;
  }

  /**
   * One command per item, results in item order; the first error rejects. One server: one
   * pipeline (one round trip). Cluster: a pipeline may not span nodes, so each command goes on
   * its own and ioredis's auto-pipelining batches them per node within the tick.
   */
  private async batch<T>(
    items: readonly T[],
    queue: (target: TBatchTarget, item: T) => unknown,
  ): Promise<unknown[]> {
    if (items.length === 0) return [];
    if (this.isCluster) {
      const target = this.cmd as unknown as TBatchTarget;
      return Promise.all(items.map((item) => queue(target, item) as Promise<unknown>));
    }
    corkForThisTurn(this.cmd);
    const pipeline = (this.cmd as Redis).pipeline();
    for (const item of items) queue(pipeline as unknown as TBatchTarget, item);
    return checkPipeline(await pipeline.exec());
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
