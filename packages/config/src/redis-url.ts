/**
 * REDIS_URL, the one Redis setting: a single server or a Redis Cluster.
 *
 *   redis://[user:password@]host:port[/db]      one server (rediss:// for TLS), as ioredis reads it
 *   redis+cluster://[user:password@]host:port[,host:port…][?pubsub=auto|sharded|classic]
 *   rediss+cluster://…                          the same over TLS
 *
 * A cluster URL lists seed nodes (any masters or replicas: the client learns the rest from the
 * cluster itself; give more than one so a start does not depend on one node). `pubsub` picks how
 * the bus publishes on a cluster: `sharded` (SPUBLISH/SSUBSCRIBE, Redis ≥ 7), `classic`
 * (PUBLISH/SUBSCRIBE, broadcast to every node), or `auto` (default: sharded when every master
 * runs Redis ≥ 7). All processes of one install must end up with the same choice.
 */

/** One node of a cluster URL. */
export type TRedisNode = { host: string; port: number };

/** How the Engine's pub/sub runs on a cluster (see the file header). */
export type TClusterPubSub = "auto" | "sharded" | "classic";

/** What a REDIS_URL names. */
export type TRedisTarget =
  | { mode: "single"; url: string }
  | {
      mode: "cluster";
      nodes: TRedisNode[];
      username?: string;
      password?: string;
      tls: boolean;
      pubsub: TClusterPubSub;
    };

const DEFAULT_PORT = 6379;
const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i;

/** True when `url` names a Redis Cluster (`redis+cluster://` or `rediss+cluster://`). */
export function isRedisClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:/i.test(url);
}

/** Parses REDIS_URL; throws an Error saying what is wrong. */
export function parseRedisUrl(url: string): TRedisTarget {
  if (!isRedisClusterUrl(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(
        "is not a URL (redis://host:6379, or redis+cluster://host:port,host:port for a cluster)",
      );
    }
    if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
      throw new Error("must start with redis://, rediss://, redis+cluster:// or rediss+cluster://");
    }
    return { mode: "single", url };
  }
  const match = CLUSTER_URL.exec(url);
  if (!match) throw new Error("is not a cluster URL (redis+cluster://host:port,host:port)");
  const [, scheme, userinfo, hostList, path, query] = match;
  if (path && path !== "/" && path !== "/0") {
    throw new Error("a Redis Cluster has only database 0: drop the path from the URL");
  }
  const nodes = (hostList ?? "")
    .split(",")
    .filter((s) => s.length > 0)
    .map(parseNode);
  if (nodes.length === 0) throw new Error("names no cluster node (redis+cluster://host:port,host:port)");
  const target: Extract<TRedisTarget, { mode: "cluster" }> = {
    mode: "cluster",
    nodes,
    tls: scheme!.toLowerCase() === "rediss",
    pubsub: "auto",
  };
  if (userinfo) {
    const colon = userinfo.indexOf(":");
    const user = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
    const password = colon === -1 ? "" : decodeURIComponent(userinfo.slice(colon + 1));
    if (user) target.username = user;
    if (password) target.password = password;
  }
  for (const [name, value] of new URLSearchParams(query ?? "")) {
    if (name !== "pubsub") throw new Error(`unknown option "${name}" (only pubsub=auto|sharded|classic)`);
    if (value !== "auto" && value !== "sharded" && value !== "classic") {
      throw new Error(`pubsub must be auto, sharded or classic, not "${value}"`);
    }
    target.pubsub = value;
  }
  return target;
}

/** `host:port`, `host` (port 6379) or `[ipv6]:port`. */
function parseNode(raw: string): TRedisNode {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(raw.trim());
  const port = m?.[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (!m || port < 1 || port > 65535) throw new Error(`"${raw}" is not host:port`);
  return { host: (m[1] ?? m[2])!, port };
}
