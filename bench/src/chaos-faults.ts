/**
 * The chaos run's fault schedule: every kind spread evenly over the traffic window (each kind
 * with its own phase so they interleave), injected in the background so the schedule holds while
 * something takes seconds to come back. Faults of one kind never overlap; different kinds do.
 */
import type { TLocalPostgres } from "@parley/db/local-postgres";
import type { TProxy } from "./chaos-proxy.ts";
import { exited, nowMs, sleep, type TGatewayProcess } from "./harness.ts";

export type TFaultKind = "gateway" | "redis" | "pg" | "cut" | "halfOpen" | "delay" | "slow";

export type TFaultCounts = {
  kills: number;
  redisRestarts: number;
  pgRestarts: number;
  pgKills: number;
  netCuts: number;
  halfOpen: number;
  netDelays: number;
  slowConsumers: number;
  /** Faults injected while messages were still being generated. */
  duringTraffic: number;
};

export type TFaultWorld = {
  durationS: number;
  counts: Record<TFaultKind, number>;
  log: (line: string) => void;
  /** True while traffic is still being generated. */
  isTrafficFlowing: () => boolean;
  gateways: (TGatewayProcess | null)[];
  startGateway: (g: number) => Promise<TGatewayProcess>;
  restartRedis: () => Promise<void>;
  killRedis: () => Promise<void>;
  pg: TLocalPostgres;
  proxies: TProxy[];
  /** One slow-consumer episode (pause a receiver until the gateway drops it, then resume). */
  slowConsumer: (index: number) => Promise<void>;
  /** Share of the SDK clients connected now (0–1); gateway kills wait for it (see below). */
  openShare: () => number;
};

/**
 * A gateway is killed only once the clients are back (≥ this share connected), with the clock
 * as the upper bound: a rolling failure, not a second kill landing on reconnects that have not
 * finished. Without it, 100 kills in 540 s killed each gateway as soon as the other was up, and
 * once restarts took seconds under load almost no client stayed connected (the long matrix of
 * 2026-12-06 acked 0–106 of 291 clients' sends per 30 s for its last 200 s).
 */
const HEALTHY_SHARE = 0.9;
const HEALTH_WAIT_MS = 20_000;
/** …or once the share has stopped growing this long (clients paused or frozen by other faults). */
const SETTLED_MS = 5_000;

async function waitForReconnects(w: TFaultWorld): Promise<void> {
  const started = nowMs();
  let best = w.openShare();
  let grewAt = started;
  while (w.openShare() < HEALTHY_SHARE) {
    const now = nowMs();
    if (now - started > HEALTH_WAIT_MS || now - grewAt > SETTLED_MS) break;
    await sleep(200);
    if (w.openShare() > best) {
      best = w.openShare();
      grewAt = nowMs();
    }
  }
  const waited = nowMs() - started;
  if (waited > 1_000) {
    w.log(
      `gateway kill waited ${(waited / 1000).toFixed(1)}s for reconnects (${Math.round(w.openShare() * 100)}% open)`,
    );
  }
}

const PHASE: Record<TFaultKind, number> = {
  gateway: 0.5,
  redis: 0.75,
  pg: 0.3,
  cut: 0.6,
  halfOpen: 0.4,
  delay: 0.15,
  slow: 0.05,
};

const jitter = (min: number, max: number) => min + Math.random() * (max - min);

/** Runs the whole schedule from now; resolves when every fault has been injected and recovered. */
export async function runFaults(w: TFaultWorld): Promise<TFaultCounts> {
  const counts: TFaultCounts = {
    kills: 0,
    redisRestarts: 0,
    pgRestarts: 0,
    pgKills: 0,
    netCuts: 0,
    halfOpen: 0,
    netDelays: 0,
    slowConsumers: 0,
    duringTraffic: 0,
  };
  const windowMs = w.durationS * 1000 * 0.9;
  const schedule = (Object.keys(PHASE) as TFaultKind[])
    .flatMap((kind) =>
      Array.from({ length: w.counts[kind] }, (_, i) => ({
        kind,
        i,
        at: ((i + PHASE[kind]) / (w.counts[kind] + 0.5)) * windowMs,
      })),
    )
    .sort((a, b) => a.at - b.at);
  const chains = new Map<TFaultKind, Promise<void>>();
  const restarting: (Promise<void> | null)[] = [null, null];
  const start = nowMs();
  const note = () => {
    if (w.isTrafficFlowing()) counts.duringTraffic += 1;
  };

  const inject: Record<TFaultKind, (i: number) => Promise<void>> = {
    async gateway() {
      // A slow-consumer episode in progress first: a kill would reset the sockets it is filling.
      await chains.get("slow");
      let g = counts.kills % 2;
      if (!w.gateways[g]) g = 1 - g;
      // Never the last live gateway: wait for the other to be back first.
      if (!w.gateways[1 - g]) await restarting[1 - g];
      if (!w.gateways[g]) await restarting[g];
      await waitForReconnects(w);
      const victim = w.gateways[g]!;
      victim.child.kill("SIGKILL");
      await exited(victim.child);
      w.gateways[g] = null;
      counts.kills += 1;
      note();
      w.log(`SIGKILL gateway${g} (kill ${counts.kills}/${w.counts.gateway})`);
      restarting[g] = (async () => {
        await sleep(jitter(300, 1000));
        w.gateways[g] = await w.startGateway(g);
        w.log(`gateway${g} restarted`);
      })();
    },
    async redis() {
      await w.killRedis();
      counts.redisRestarts += 1;
      note();
      w.log(`SIGKILL redis (restart ${counts.redisRestarts}/${w.counts.redis})`);
      await sleep(jitter(200, 700));
      await w.restartRedis();
      w.log("redis restarted");
    },
    async pg(i) {
      const t = nowMs();
      if (i % 2 === 0) {
        await w.pg.stopFast();
        counts.pgRestarts += 1;
        w.log(`postgres stopped (-m fast) (${counts.pgRestarts + counts.pgKills}/${w.counts.pg})`);
      } else {
        await w.pg.kill();
        counts.pgKills += 1;
        w.log(`SIGKILL postmaster (${counts.pgRestarts + counts.pgKills}/${w.counts.pg})`);
      }
      note();
      await sleep(jitter(500, 1500));
      await w.pg.start();
      w.log(`postgres up again after ${((nowMs() - t) / 1000).toFixed(1)}s`);
    },
    async cut() {
      const n = w.proxies.reduce((a, p) => a + p.cut(0.5), 0);
      counts.netCuts += 1;
      note();
      w.log(`net cut: reset ${n} connections (cut ${counts.netCuts}/${w.counts.cut})`);
    },
    async halfOpen() {
      // The proxy holding the most sockets (a kill may just have moved them all to the other).
      const p = w.proxies.reduce(
        (best, x, k) => (x.connections() > w.proxies[best]!.connections() ? k : best),
        0,
      );
      const n = w.proxies[p]!.freeze(3000);
      counts.halfOpen += 1;
      note();
      w.log(`half-open: froze ${n} connections to gateway${p} (+ new ones for 3 s)`);
      await sleep(3000);
    },
    async delay() {
      const ms = Math.round(jitter(100, 300));
      for (const p of w.proxies) p.setLatency(ms);
      counts.netDelays += 1;
      note();
      w.log(`latency +${ms} ms each way for 4 s`);
      await sleep(4000);
      for (const p of w.proxies) p.setLatency(0);
    },
    async slow(i) {
      counts.slowConsumers += 1;
      note();
      await w.slowConsumer(i);
    },
  };

  for (const fault of schedule) {
    const wait = start + fault.at - nowMs();
    if (wait > 0) await sleep(wait);
    const previous = chains.get(fault.kind) ?? Promise.resolve();
    chains.set(
      fault.kind,
      previous.then(() => inject[fault.kind](fault.i)),
    );
  }
  await Promise.all([...chains.values()]);
  await Promise.all(restarting);
  return counts;
}
