/**
 * The Engine contract on a real Redis Cluster: three masters started by this file
 * (redis-cluster-local.ts), run once with sharded pub/sub (what `auto` picks on Redis ≥ 7) and
 * once with classic pub/sub; plus what only a cluster shows: one user's keys share a slot, users
 * spread over every master, the channels are shard channels, the rate limiter counts there too.
 * Without redis-server on PATH the file is skipped with a banner (an error on CI).
 */
import { randomUUID } from "node:crypto";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RedisEngine } from "../../src/engine/redis.ts";
import { createRedisClient } from "../../src/engine/redis-client.ts";
import {
  localRedisClusterUnavailable,
  startLocalRedisCluster,
  type TLocalRedisCluster,
} from "../../src/engine/redis-cluster-local.ts";
import type { TBusMessage } from "../../src/engine/types.ts";
import { AuthRateLimiter, isRateLimited } from "../../src/rate-limits.ts";
import { runEngineContract } from "./contract.ts";

const unavailable = localRedisClusterUnavailable();
if (unavailable) {
  const line = "!".repeat(78);
  const banner = [
    line,
    `!! SKIPPED: the Engine contract on a Redis Cluster: ${unavailable}.`,
    "!!   packages/core/test/engine/redis-cluster.integration.test.ts",
    line,
  ].join("\n");
  if (process.env.CI === "true") throw new Error(`${banner}\nCI runs every test.`);
  console.warn(banner);
}

const keyPrefix = `parley-test:${randomUUID()}:`;
let cluster: TLocalRedisCluster | undefined;
const clusterUrl = () => {
  if (!cluster) throw new Error("the local Redis Cluster did not start");
  return cluster.url;
};

describe.skipIf(unavailable !== null)("Redis Cluster (3 local masters)", () => {
  beforeAll(async () => {
    cluster = await startLocalRedisCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  runEngineContract(
    "redis cluster, sharded pub/sub",
    async () => new RedisEngine({ url: clusterUrl(), keyPrefix }),
  );
  runEngineContract(
    "redis cluster, classic pub/sub",
    async () => new RedisEngine({ url: clusterUrl(), keyPrefix, pubsub: "classic" }),
  );

  describe("a whole-cluster outage", () => {
    it("rejects (never hangs) while every node is down, then resubscribes and delivers again", async () => {
      const own = await startLocalRedisCluster();
      const logged: unknown[] = [];
      const logger = {
        warn: (...a: unknown[]) => logged.push(a),
        error: (...a: unknown[]) => logged.push(a),
      };
      const engine = new RedisEngine({ url: own.url, keyPrefix, logger });
      const other = new RedisEngine({ url: own.url, keyPrefix, logger });
      const topic = `conv:${randomUUID()}`;
      const received: TBusMessage[] = [];
      try {
        await engine.subscribeTopic(topic, (m) => received.push(m));
        await engine.addRoute("u1", "gw-1", 10_000);
        await own.kill();
        await expect(engine.publishToTopic(topic, { frame: "during outage" })).rejects.toThrow();
        await expect(engine.gatewaysOf(["u1"])).rejects.toThrow();
        // The connection errors are logged as ioredis reports them, which may trail the rejections.
        await vi.waitFor(() => expect(logged.length).toBeGreaterThan(0), { timeout: 5_000 });

        await own.restart();
        // The engine reconnects and re-subscribes the shard channel (a fresh subscriber: see
        // RedisEngine.createSubscriber); publishes fail until the cluster answers again.
        const deadline = Date.now() + 20_000;
        while (received.length === 0 && Date.now() < deadline) {
          await other.publishToTopic(topic, { frame: "after restart" }).catch(() => {});
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(received[0]).toEqual({ frame: "after restart" });
        await engine.addRoute("u1", "gw-1", 10_000);
        expect(normalise(await engine.gatewaysOf(["u1"]))).toEqual({ "gw-1": ["u1"] });
      } finally {
        await Promise.all([engine.close(), other.close()]);
        await own.stop();
      }
    });
  });

  describe("what only a cluster shows", () => {
    let admin: Cluster;
    beforeAll(() => {
      admin = createRedisClient(clusterUrl()) as Cluster;
    });
    afterAll(() => admin.disconnect());

    /** Per master: how many keys under `match` it holds. */
    async function keysPerMaster(match: string): Promise<number[]> {
      return Promise.all(
        admin.nodes("master").map(async (node) => {
          let [cursor, count] = ["0", 0];
          do {
            const [next, keys] = await node.scan(cursor, "MATCH", match, "COUNT", 1000);
            cursor = next;
            count += keys.length;
          } while (cursor !== "0");
          return count;
        }),
      );
    }

    it("keeps one user's keys in one slot and spreads users over every master", async () => {
      const engine = new RedisEngine({ url: clusterUrl(), keyPrefix });
      try {
        const users = Array.from({ length: 60 }, () => randomUUID());
        await engine.refreshRoutes("gw-1", users, 10_000);
        await Promise.all(
          users.map((u) => engine.setPresence(u, "c1", { status: "online", statusText: "" }, 10_000)),
        );
        const user = users[0]!;
        const [routeSlot, presenceSlot] = await Promise.all([
          admin.cluster("KEYSLOT", engine.routeKey(user)),
          admin.cluster("KEYSLOT", engine.presenceKey(user)),
        ]);
        expect(routeSlot).toBe(presenceSlot);
        // A transaction over both of a user's keys is legal (it would be CROSSSLOT otherwise).
        const replies = await admin
          .multi()
          .zcard(engine.routeKey(user))
          .hlen(engine.presenceKey(user))
          .exec();
        expect(replies).toEqual([
          [null, 1],
          [null, 1],
        ]);
        // 60 random users: every master holds some (the odds of one empty master are ~3·(2/3)^60).
        const routes = await keysPerMaster(`${keyPrefix}route:*`);
        expect(routes).toHaveLength(3);
        for (const n of routes) expect(n).toBeGreaterThan(0);
        expect(normalise(await engine.gatewaysOf(users))).toEqual({ "gw-1": [...users].sort() });
      } finally {
        await engine.close();
      }
    });

    it("auto picks sharded pub/sub on Redis 7: the channel is a shard channel, not a classic one", async () => {
      const sharded = new RedisEngine({ url: clusterUrl(), keyPrefix });
      const classic = new RedisEngine({ url: clusterUrl(), keyPrefix, pubsub: "classic" });
      try {
        const version = await admin.info("server");
        const major = Number(/redis_version:(\d+)/.exec(version)?.[1]);
        expect(await sharded.pubSubMode()).toBe(major >= 7 ? "sharded" : "classic");
        expect(await classic.pubSubMode()).toBe("classic");
        const [a, b] = [`conv:${randomUUID()}`, `conv:${randomUUID()}`];
        await sharded.subscribeTopic(a, () => {});
        await classic.subscribeTopic(b, () => {});
        const listed = async (sub: "SHARDCHANNELS" | "CHANNELS") =>
          (
            await Promise.all(
              admin
                .nodes("master")
                .map((node) => node.call("PUBSUB", sub, `${keyPrefix}*`) as Promise<string[]>),
            )
          ).flat();
        if (major >= 7) {
          expect(await listed("SHARDCHANNELS")).toEqual([`${keyPrefix}topic:${a}`]);
          expect(await listed("CHANNELS")).not.toContain(`${keyPrefix}topic:${a}`);
        }
        expect(await listed("CHANNELS")).toContain(`${keyPrefix}topic:${b}`);
      } finally {
        await Promise.all([sharded.close(), classic.close()]);
      }
    });

    it("the sign-in rate limits count in the cluster, shared by every process", async () => {
      const limits = {
        signInAccountFailures: 3,
        signInAccountMinutes: 15,
        signInIpFailures: 100,
        signInIpMinutes: 60,
        signUpPerHour: 20,
        tokenCreatePerHour: 20,
      };
      // Two "processes", each with the client authRateLimiter makes for a cluster REDIS_URL.
      const clients = [0, 1].map(() =>
        createRedisClient(clusterUrl(), {
          redisOptions: { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
        }),
      );
      try {
        // Until a client is ready the insurance (memory) limiter would count instead.
        await Promise.all(
          clients.map((c) =>
            c.status === "ready" ? null : new Promise((resolve) => c.once("ready", resolve)),
          ),
        );
        const [a, b] = clients.map(
          (redis) => new AuthRateLimiter({ limits, redis, keyPrefix: `${keyPrefix}rl:` }),
        ) as [AuthRateLimiter, AuthRateLimiter];
        const email = `${randomUUID()}@example.com`;
        for (let i = 0; i < 3; i++) await a.beginSignIn(null, { email });
        const refused = await b.beginSignIn(null, { email }).then(
          () => null,
          (err: unknown) => err,
        );
        expect(isRateLimited(refused)).toBe(true);
        const counted = await keysPerMaster(`${keyPrefix}rl:*`);
        expect(counted.reduce((x, y) => x + y)).toBeGreaterThan(0);
      } finally {
        for (const c of clients) c.disconnect();
      }
    });
  });
});

function normalise(map: Map<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [gatewayId, userIds] of map) out[gatewayId] = [...userIds].sort();
  return out;
}
