/**
 * The gateway processes under test: G children of apps/realtime/src/main.ts on one database,
 * on a private redis-server (or `--redis-url`) for the redis engine, or a private 3-master Redis
 * Cluster for `--engine redis-cluster`; stopped on cleanup.
 */

import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  localRedisClusterUnavailable,
  startLocalRedisCluster,
} from "@parley/core/engine/redis-cluster-local";
import { exited, sleep, startGateway, startRedis, type TGatewayProcess } from "./harness.ts";
import { onCleanup } from "./run.ts";

export type TFleet = {
  gateways: TGatewayProcess[];
  pids: (number | undefined)[];
  redisUrl: string | undefined;
  /** The private redis-server's pid (undefined with `--redis-url` or a cluster). */
  redisPid: number | undefined;
  authSecret: string;
};

export type TFleetEngine = "memory" | "redis" | "redis-cluster";

export async function startFleet(options: {
  count: number;
  engine: TFleetEngine;
  databaseUrl: string;
  redisUrl?: string | undefined;
  log: (line: string) => void;
  /** Preload gateway-probe.ts (forced GC, memory, event-loop delay over IPC). */
  probe?: boolean;
}): Promise<TFleet> {
  let redisUrl: string | undefined;
  let redisPid: number | undefined;
  if (options.engine === "redis") {
    redisUrl = options.redisUrl;
    if (!redisUrl) {
      const redis = await startRedis();
      redisUrl = redis.url;
      redisPid = redis.child.pid;
      options.log(`redis: private redis-server on ${redis.port}`);
    }
  } else if (options.engine === "redis-cluster") {
    redisUrl = options.redisUrl;
    if (!redisUrl) {
      const why = localRedisClusterUnavailable();
      if (why) throw new Error(`--engine redis-cluster: ${why}`);
      const cluster = await startLocalRedisCluster({ masters: 3 });
      onCleanup(() => cluster.stop());
      redisUrl = cluster.url;
      options.log(`redis: private 3-master Redis Cluster ${cluster.url}`);
    }
  }
  const authSecret = randomBytes(32).toString("base64url");
  const gateways = await Promise.all(
    Array.from({ length: options.count }, (_, g) =>
      startGateway({
        databaseUrl: options.databaseUrl,
        authSecret,
        label: `gateway${g}`,
        probe: options.probe ?? false,
        ...(redisUrl ? { redisUrl } : {}),
      }),
    ),
  );
  onCleanup(async () => {
    for (const g of gateways) g.child.kill("SIGTERM");
    await Promise.race([Promise.all(gateways.map((g) => exited(g.child))), sleep(5000)]);
  });
  return { gateways, pids: gateways.map((g) => g.child.pid), redisUrl, redisPid, authSecret };
}

/** The fleet a scenario's options ask for (`--gateways`, `--engine`, `--redis-url`). */
export function startFleetFor(
  o: { gateways: number; engine: TFleetEngine; redisUrl?: string | undefined },
  databaseUrl: string,
  log: (line: string) => void,
  extra: { probe?: boolean } = {},
): Promise<TFleet> {
  return startFleet({
    count: o.gateways,
    engine: o.engine,
    databaseUrl,
    redisUrl: o.redisUrl,
    log,
    ...extra,
  });
}

let nextProbeId = 1;

/** One request to a gateway started with `probe: true` (see gateway-probe.ts). */
export function probe<T extends Record<string, unknown>>(
  child: ChildProcess,
  op: "memory" | "lagReset" | "lag",
  timeoutMs = 30_000,
): Promise<T> {
  const id = nextProbeId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      reject(new Error(`gateway probe ${op} timed out`));
    }, timeoutMs);
    const onMessage = (message: unknown) => {
      const m = message as { id?: number; error?: string };
      if (m.id !== id) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      if (m.error) reject(new Error(m.error));
      else resolve(m as unknown as T);
    };
    child.on("message", onMessage);
    child.send({ id, op });
  });
}

/** A gateway's memory after forced GC, and the TCP sockets it holds (clients, plus a few to Postgres/Redis). */
export type TMemory = {
  rss: number;
  heapUsed: number;
  /** V8 heap committed (used + free pages it keeps): in RSS whatever heapUsed is. */
  heapTotal: number;
  /** Buffers and other memory outside the V8 heap that V8 knows of. */
  external: number;
  gc: boolean;
  tcp: number;
};

/**
 * Memory of each gateway after forced GC: the median of `samples` readings spaced `everyMs`
 * apart (RSS moves with allocator timing even after GC; the median of many is stable).
 */
export async function settledMemory(
  children: ChildProcess[],
  samples = 15,
  everyMs = 200,
): Promise<TMemory[]> {
  const readings: TMemory[][] = children.map(() => []);
  for (let i = 0; i < samples; i += 1) {
    const all = await Promise.all(children.map((c) => probe<TMemory>(c, "memory")));
    all.forEach((m, k) => {
      readings[k]!.push(m);
    });
    await sleep(everyMs);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return readings.map((rs) => ({
    rss: median(rs.map((r) => r.rss)),
    heapUsed: median(rs.map((r) => r.heapUsed)),
    heapTotal: median(rs.map((r) => r.heapTotal)),
    external: median(rs.map((r) => r.external)),
    gc: rs.every((r) => r.gc),
    tcp: median(rs.map((r) => r.tcp)),
  }));
}
