/** Picks the Engine for a process: Redis when a URL is configured, else the single-node memory engine. */
import type { TEngineLogger } from "./logger.ts";
import { MemoryEngine } from "./memory.ts";
import { RedisEngine } from "./redis.ts";
import type { TEngine } from "./types.ts";

/** Options for createEngine (from the app's validated env). */
export type TCreateEngineOptions = {
  /** REDIS_URL: redis:// (one server) or redis+cluster:// (a Redis Cluster); absent or empty → MemoryEngine (one process only). */
  redisUrl?: string;
  /** Key/channel prefix for Redis (default `parley:`). */
  keyPrefix?: string;
  /** Where Redis connection errors go (default console). */
  logger?: TEngineLogger;
};

/** RedisEngine when `redisUrl` is given, MemoryEngine otherwise. */
export function createEngine(options: TCreateEngineOptions = {}): TEngine {
  if (options.redisUrl) {
    return new RedisEngine({ url: options.redisUrl, keyPrefix: options.keyPrefix, logger: options.logger });
  }
  return new MemoryEngine();
}
