import { describe, expect, it } from "vitest";
import { parseEnv } from "./index.ts";
import { isRedisClusterUrl, parseRedisUrl } from "./redis-url.ts";

describe("parseRedisUrl", () => {
  it("passes a single-server URL through for ioredis", () => {
    expect(parseRedisUrl("redis://:pw@127.0.0.1:6379/2")).toEqual({
      mode: "single",
      url: "redis://:pw@127.0.0.1:6379/2",
    });
    expect(isRedisClusterUrl("rediss://r.example.com:6380")).toBe(false);
  });

  it("reads a cluster URL: seed nodes, credentials, TLS and the pub/sub choice", () => {
    expect(parseRedisUrl("redis+cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3")).toEqual({
      mode: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
        { host: "redis-3", port: 6379 },
      ],
      tls: false,
      pubsub: "auto",
    });
    expect(parseRedisUrl("rediss+cluster://app:p%40ss@[::1]:7000/?pubsub=classic")).toEqual({
      mode: "cluster",
      nodes: [{ host: "::1", port: 7000 }],
      username: "app",
      password: "p@ss",
      tls: true,
      pubsub: "classic",
    });
    expect(isRedisClusterUrl("REDIS+CLUSTER://a:1")).toBe(true);
  });

  it("names what is wrong", () => {
    expect(() => parseRedisUrl("http://x")).toThrow(/must start with redis:\/\//);
    expect(() => parseRedisUrl("redis+cluster://")).toThrow(/names no cluster node/);
    expect(() => parseRedisUrl("redis+cluster://a:1,b:99999")).toThrow(/"b:99999" is not host:port/);
    expect(() => parseRedisUrl("redis+cluster://a:1/3")).toThrow(/only database 0/);
    expect(() => parseRedisUrl("redis+cluster://a:1?pubsub=fast")).toThrow(/auto, sharded or classic/);
    expect(() => parseRedisUrl("redis+cluster://a:1?db=1")).toThrow(/unknown option "db"/);
  });
});

describe("REDIS_URL and REDIS_KEY_PREFIX in parseEnv", () => {
  const base = { DATABASE_URL: "postgresql://p@127.0.0.1/p", AUTH_SECRET: "x".repeat(32) };

  it("accepts both forms and refuses others with the variable's name", () => {
    expect(parseEnv({ ...base, REDIS_URL: "redis+cluster://a:7000,b:7000" }).REDIS_URL).toBe(
      "redis+cluster://a:7000,b:7000",
    );
    expect(parseEnv({ ...base, REDIS_URL: "redis://127.0.0.1:6379" }).REDIS_URL).toBe(
      "redis://127.0.0.1:6379",
    );
    expect(() => parseEnv({ ...base, REDIS_URL: "memcached://x" })).toThrow(/REDIS_URL: must start with/);
  });

  it("refuses braces in the key prefix (they would replace Parley's hash tags)", () => {
    expect(() => parseEnv({ ...base, REDIS_KEY_PREFIX: "{parley}:" })).toThrow(
      /REDIS_KEY_PREFIX: must not contain/,
    );
  });
});
