import { randomUUID } from "node:crypto";
import net from "node:net";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisEngine } from "../../src/engine/redis.ts";
import type { TBusMessage } from "../../src/engine/types.ts";
import { runEngineContract } from "./contract.ts";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// Redis is shared with other test runs: everything of this file lives under its own prefix.
const keyPrefix = `parley-test:${randomUUID()}:`;

/** Deletes every key under `prefix` (tests only: SCAN is fine here, never on a hot path). */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

runEngineContract(
  "redis",
  async () => new RedisEngine({ url, keyPrefix }),
  () => deleteKeys(keyPrefix),
);

describe("RedisEngine keys", () => {
  afterAll(() => deleteKeys(keyPrefix));

  it("gives route and presence keys a TTL, so dead users' keys vanish", async () => {
    const engine = new RedisEngine({ url, keyPrefix });
    const redis = new Redis(url);
    try {
      const user = randomUUID();
      await engine.addRoute(user, "gw-1", 5_000);
      await engine.addRoute(user, "gw-2", 60_000);
      await engine.addRoute(user, "gw-1", 5_000); // a shorter TTL never shortens the key's
      await engine.setPresence(user, "c1", { status: "online", statusText: "" }, 5_000);
      // The `{userId}` hash tag (one slot per user on a cluster) is part of the name everywhere.
      expect(engine.routeKey(user)).toBe(`${keyPrefix}route:{${user}}`);
      expect(engine.presenceKey(user)).toBe(`${keyPrefix}presence:{${user}}`);
      expect(await redis.pttl(engine.routeKey(user))).toBeGreaterThan(50_000);
      const presenceTtl = await redis.pttl(engine.presenceKey(user));
      expect(presenceTtl).toBeGreaterThan(0);
      expect(presenceTtl).toBeLessThanOrEqual(5_000);
    } finally {
      await engine.close();
      redis.disconnect();
    }
  });

  /** Counts the socket writes a client makes (corked writes leave together in one _writev). */
  const countWrites = (client: Redis) => {
    const socket = client.stream as net.Socket & { _write: unknown; _writev: unknown };
    const counted = { writes: 0 };
    for (const name of ["_write", "_writev"] as const) {
      const original = socket[name] as (...args: unknown[]) => unknown;
      socket[name] = (...args: unknown[]) => {
        counted.writes += 1;
        return original.apply(socket, args);
      };
    }
    return counted;
  };
  const commandsOf = (engine: RedisEngine) => (engine as unknown as { cmd: Redis }).cmd;

  it("sends the commands issued in one event-loop turn in one socket write, in order", async () => {
    const engine = new RedisEngine({ url, keyPrefix });
    const receiver = new RedisEngine({ url, keyPrefix }); // another process's gateway
    const plain = new Redis(url);
    const gateway = `gw-${randomUUID()}`;
    const got: string[] = [];
    try {
      await receiver.subscribeGateway(gateway, (message) => got.push(message.frame));
      await engine.gatewaysOf([randomUUID()]); // connected
      await plain.ping();
      const engineWrites = countWrites(commandsOf(engine));
      const plainWrites = countWrites(plain);
      const frames = Array.from({ length: 50 }, (_, i) => `{"n":${i}}`);
      await Promise.all(frames.map((frame) => engine.publishToGateway(gateway, { frame })));
      await Promise.all(frames.map((frame) => plain.publish(`${keyPrefix}unused`, frame)));
      expect(engineWrites.writes).toBe(1);
      // The control: the same 50 commands from a client without the cork are 50 writes.
      expect(plainWrites.writes).toBeGreaterThan(10);
      await expect.poll(() => got.length).toBe(50);
      expect(got).toEqual(frames);
    } finally {
      await Promise.all([engine.close(), receiver.close()]);
      plain.disconnect();
    }
  });
});

/** A TCP proxy in front of Redis that a test can cut and restore, to simulate an outage. */
async function startProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve) =>
      server.listen(port, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
    );
  const port = await listen(0);
  return {
    port,
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: () => listen(port),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("RedisEngine while Redis is unreachable", () => {
  afterAll(() => deleteKeys(keyPrefix));

  it("rejects (never crashes) during an outage, then resubscribes and delivers again", async () => {
    const proxy = await startProxy(new URL(url));
    const logged: unknown[] = [];
    const logger = { warn: (...a: unknown[]) => logged.push(a), error: (...a: unknown[]) => logged.push(a) };
    const flaky = new RedisEngine({
      url: `redis://127.0.0.1:${proxy.port}`,
      keyPrefix,
      logger,
      redisOptions: { maxRetriesPerRequest: 1, retryStrategy: () => 50 },
    });
    const direct = new RedisEngine({ url, keyPrefix });
    const topic = `conv:${randomUUID()}`;
    const received: TBusMessage[] = [];
    try {
      await flaky.subscribeTopic(topic, (m) => received.push(m));
      await proxy.cut();
      await expect(flaky.publishToTopic(topic, { frame: "during outage" })).rejects.toThrow();
      await expect(flaky.gatewaysOf(["u1"])).rejects.toThrow();
      expect(logged.length).toBeGreaterThan(0);

      await proxy.restore();
      // ioredis re-subscribes the channel on reconnect (autoResubscribe): delivery resumes.
      const deadline = Date.now() + 5_000;
      while (received.length === 0 && Date.now() < deadline) {
        await direct.publishToTopic(topic, { frame: "after restore" });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(received[0]).toEqual({ frame: "after restore" });
      await flaky.publishToTopic(topic, { frame: "flaky works again" });
    } finally {
      await Promise.all([flaky.close(), direct.close()]);
      await proxy.close().catch(() => {});
    }
  });
});
