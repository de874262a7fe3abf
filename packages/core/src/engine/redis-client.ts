/**
 * ioredis clients from REDIS_URL — a `Redis` for one server, a `Cluster` for `redis+cluster://`
 * (see @parley/config's redis-url.ts) — for everything in Parley that talks to Redis: the Engine
 * and the shared rate limits. Also: whether a cluster can do sharded pub/sub.
 */
import { parseRedisUrl, type TClusterPubSub } from "@parley/config";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import { metrics } from "../metrics.ts";
import type { TEngineLogger } from "./logger.ts";

export type TRedisClient = Redis | Cluster;

export type TRedisClientOptions = {
  /** Options of each connection (for a cluster: of each node's connection). */
  redisOptions?: RedisOptions;
  /** Cluster-only options (ignored for one server). */
  clusterOptions?: ClusterOptions;
};

/** A client for `url`; a cluster client when the URL is `redis+cluster://` or `rediss+cluster://`. */
export function createRedisClient(url: string, options: TRedisClientOptions = {}): TRedisClient {
  return countCommands(newRedisClient(url, options));
}

/**
 * Counts every command the client sends (`parley_redis_commands_total`): ioredis hands each one,
 * pipelined ones included, to the client's `sendCommand`, so one increment there sees them all.
 */
function countCommands(client: TRedisClient): TRedisClient {
  const counts = metrics().counts;
  type TSend = (command: unknown, stream?: unknown, node?: unknown) => unknown;
  const target = client as unknown as { sendCommand: TSend };
  const sendCommand = target.sendCommand;
  // Fixed parameters, not ...rest: no array allocated per command.
  target.sendCommand = function (this: unknown, command: unknown, stream?: unknown, node?: unknown) {
    counts.redisCommands += 1;
    return sendCommand.call(this, command, stream, node);
  };
  return client;
}

function newRedisClient(url: string, options: TRedisClientOptions): TRedisClient {
  const target = parseRedisUrl(url);
  if (target.mode === "single") return new Redis(url, options.redisOptions ?? {});
  // enableOfflineQueue is the cluster's (commands before the slot map is known), never the nodes':
  // ioredis opens node connections lazily, so a node without a queue would fail its first command.
  const { enableOfflineQueue, ...nodeOptions } = options.redisOptions ?? {};
  if (target.username) nodeOptions.username = target.username;
  if (target.password) nodeOptions.password = target.password;
  if (target.tls) nodeOptions.tls = { ...nodeOptions.tls };
  const clusterOptions: ClusterOptions = { ...options.clusterOptions, redisOptions: nodeOptions };
  if (enableOfflineQueue !== undefined) clusterOptions.enableOfflineQueue = enableOfflineQueue;
  return new Cluster(target.nodes, clusterOptions);
}

/** The cluster URL's `pubsub` choice; undefined for one server. */
export function clusterPubSubOf(url: string): TClusterPubSub | undefined {
  const target = parseRedisUrl(url);
  return target.mode === "cluster" ? target.pubsub : undefined;
}

/**
 * True when every master of the cluster runs Redis ≥ 7 (SPUBLISH/SSUBSCRIBE exist). Every master,
 * not one: a publish goes to whichever master owns the channel's slot.
 */
export async function clusterSupportsShardedPubSub(cluster: Cluster): Promise<boolean> {
  await cluster.ping(); // resolves once the slot map is loaded and the masters are known
  const masters = cluster.nodes("master");
  if (masters.length === 0) throw new Error("the Redis Cluster has no reachable master");
  const infos = await Promise.all(masters.map((node) => node.info("server")));
  return infos.every((info) => Number(/^redis_version:(\d+)/m.exec(info)?.[1] ?? 0) >= 7);
}

/**
 * On a cluster, the master each classic PUBLISH goes through. ioredis sends a keyless command such
 * as PUBLISH to a random node, and nodes relay over the cluster bus independently, so two
 * publishes to one channel could reach a subscriber out of order; one node per channel (chosen
 * by a stable hash over the masters in a fixed order) keeps them in publish order. Sharded mode
 * routes by slot already. Undefined while no master is known: then ioredis chooses.
 */
export class ClassicPublishNodes {
  private masters: Redis[] | undefined;

  constructor(private readonly cluster: Cluster) {
    const forget = () => {
      this.masters = undefined;
    };
    cluster.on("+node", forget);
    cluster.on("-node", forget);
    cluster.on("refresh", forget);
  }

  nodeFor(channel: string): Redis | undefined {
    const address = (node: Redis) => `${node.options.host}:${node.options.port}`;
    this.masters ??= this.cluster.nodes("master").sort((x, y) => address(x).localeCompare(address(y)));
    if (this.masters.length === 0) {
      this.masters = undefined;
      return undefined;
    }
    return this.masters[stableHash(channel) % this.masters.length];
  }
}

/** A string's FNV-1a hash (unsigned 32-bit): the same channel picks the same node in every process. */
function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * Commands issued in one event-loop turn leave in one socket write: the first command of a turn
 * corks the connection's socket and a `setImmediate` uncorks it. ioredis writes every command
 * (and every pipeline) as a write of its own — a system call, plus the kernel's delivery to Redis
 * on the same box — so a batch of sends' route lookups and publishes were dozens of writes.
 * Commands still go out as they are and in order, at the end of the turn (ioredis's
 * auto-pipelining instead defers each to a pipeline built per tick: measured worse for send
 * latency). One server only; a Cluster's node connections are auto-pipelined.
 */
export function corkForThisTurn(client: TRedisClient): void {
  const redis = client as Redis;
  const stream = redis.stream;
  if (redis.status !== "ready" || !stream || stream.writableCorked > 0) return;
  stream.cork();
  setImmediate(() => stream.uncork());
}

/** Options for RedisEngine. */
export type TRedisEngineOptions = {
  /** redis:// or rediss:// URL, or redis+cluster:// / rediss+cluster:// for a Redis Cluster. */
  url: string;
  /** Prefix of every key and channel, so installs and tests can share one Redis. Default `parley:`. */
  keyPrefix?: string;
  /** Where connection errors go (default console). */
  logger?: TEngineLogger;
  /** Extra ioredis options for both connections (each node's, on a cluster; e.g. `maxRetriesPerRequest`). */
  redisOptions?: RedisOptions;
  /** Cluster pub/sub: overrides the URL's `pubsub` (default auto: sharded when every master is ≥ 7). */
  pubsub?: TClusterPubSub;
};
