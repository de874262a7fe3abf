/**
 * The Redis engine's process stats (the Health page's snapshots): one key per process
 * (SET … PX) plus an index sorted by expiry, both under the `{ops}` hash tag — one slot on a
 * cluster, so the index and every snapshot are read in one MGET.
 */
import type { Cluster, Redis } from "ioredis";

const indexKey = (keyPrefix: string) => `${keyPrefix}stats:{ops}`;
const statsKey = (keyPrefix: string, processId: string) => `${keyPrefix}stats:{ops}:${processId}`;

/** Stores this process's snapshot for `ttlMs` and drops expired ids from the index. */
export async function putProcessStats(
  cmd: Redis | Cluster,
  keyPrefix: string,
  processId: string,
  stats: string,
  ttlMs: number,
): Promise<void> {
  const expiresAt = Date.now() + ttlMs;
  await cmd
    .multi()
    .set(statsKey(keyPrefix, processId), stats, "PX", ttlMs)
    .zadd(indexKey(keyPrefix), expiresAt, processId)
    .zremrangebyscore(indexKey(keyPrefix), "-inf", Date.now())
    .exec();
}

/** Every live process's snapshot. */
export async function listProcessStats(cmd: Redis | Cluster, keyPrefix: string): Promise<string[]> {
  const ids = await cmd.zrangebyscore(indexKey(keyPrefix), Date.now(), "+inf");
  if (ids.length === 0) return [];
  const values = await cmd.mget(...ids.map((id) => statsKey(keyPrefix, id)));
  return values.filter((value): value is string => value !== null);
}
