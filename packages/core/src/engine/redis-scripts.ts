/**
 * RedisEngine's Lua scripts (one key each, so legal on a cluster) and the helpers that read
 * Redis replies back.
 */

import { mergePresence } from "./memory.ts";
import type { TUserPresence } from "./types.ts";

/** ZADD the route and extend (never shorten) the key's TTL. KEYS[1] route key; ARGV gatewayId, expiresAt, ttlMs. */
export const ROUTE_LUA = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`;

/**
 * Set one connection's presence; keep its `textAt` when the text did not change (a heartbeat is not
 * a new status), and extend the key's TTL. KEYS[1] presence key; ARGV connectionId, status,
 * statusText, expiresAt, now, ttlMs.
 */
export const PRESENCE_LUA = `
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

export type TScriptCommands = {
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

/** The commands a batch may queue: on a pipeline (one server) or on the cluster client itself. */
export type TBatchTarget = TScriptCommands & {
  zrange(key: string, start: string, stop: string, withScores: "WITHSCORES"): unknown;
  zremrangebyscore(key: string, min: string, max: string): unknown;
  hgetall(key: string): unknown;
  hdel(key: string, field: string): unknown;
};

export type TStoredPresence = { status: string; statusText: string; expiresAt: number; textAt: number };

/** Throws the first error of a pipeline's replies; returns the results otherwise. */
export function checkPipeline(replies: [Error | null, unknown][] | null): unknown[] {
  if (!replies) throw new Error("pipeline aborted");
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

export function parsePresence(raw: string): TStoredPresence | null {
  try {
    const entry = JSON.parse(raw) as Partial<TStoredPresence>;
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

/**
 * Reads ZRANGE … WITHSCORES replies of route keys (one per user of `userIds`) into `byGateway`
 * (gatewayId → its users), skipping entries expired at `now`; users with expired entries go to
 * `stale` (to be pruned).
 */
export function addRoutes(
  byGateway: Map<string, string[]>,
  stale: string[],
  userIds: readonly string[],
  replies: readonly (readonly string[])[],
  now: number,
): void {
  userIds.forEach((userId, j) => {
    const reply = replies[j] ?? [];
    let hasStale = false;
    for (let k = 0; k + 1 < reply.length; k += 2) {
      if (Number(reply[k + 1]) <= now) {
        hasStale = true;
        continue;
      }
      const gatewayId = reply[k]!;
      const users = byGateway.get(gatewayId);
      if (users) users.push(userId);
      else byGateway.set(gatewayId, [userId]);
    }
    if (hasStale) stale.push(userId);
  });
}

/**
 * A user's presence from their hash (connection → stored entry): the live entries merged; the
 * expired or unreadable ones are added to `stale` for pruning.
 */
export function livePresence(
  userId: string,
  hash: Record<string, string> | undefined,
  now: number,
  stale: [userId: string, connectionId: string][],
): TUserPresence {
  const live: TStoredPresence[] = [];
  for (const [connectionId, raw] of Object.entries(hash ?? {})) {
    const entry = parsePresence(raw);
    if (entry && entry.expiresAt > now) live.push(entry);
    else stale.push([userId, connectionId]);
  }
  return mergePresence(live);
}
