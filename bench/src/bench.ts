/**
 * `npm run bench -- [options]`: an open-loop load test of the realtime gateway on this box.
 *
 * It builds its own world — a fresh database `parley_bench_<random>` (migrated, dropped at the
 * end), seeded users, conversations and personal access tokens, the gateway(s) as child
 * processes (and a private redis-server for `--engine redis`) — opens N authenticated sockets
 * with raw `ws` + protocol frames, sends at a fixed rate scheduled by the wall clock (never
 * waiting for acks), and measures send→ack at the sender and send→receive at every receiver
 * (the send time travels in the body). A bare `ws` echo server measured first gives the floor.
 *
 * Files by job: options.ts (flags), run.ts (time limit, cleanup), world.ts (seeding),
 * gateways.ts (gateway processes), load.ts (sockets, sender, bookkeeping), traffic.ts (one
 * measured window), report.ts (output), baseline.ts (ws echo floor).
 */
import { createDb } from "@parley/db";
import { baseline } from "./baseline.ts";
import { startFleet } from "./gateways.ts";
import { createMigratedDatabase, nowMs, rssOf, sleep, type TBenchDb } from "./harness.ts";
import { openConnections } from "./load.ts";
import { CHANNEL_SIZE, parseOptions } from "./options.ts";
import { reportTraffic } from "./report.ts";
import { onCleanup, runBounded } from "./run.ts";
import { mb, settledRss, sum } from "./stats.ts";
import { runTraffic } from "./traffic.ts";
import { buildWorld } from "./world.ts";

const o = parseOptions();
const log = (line: string) => console.log(line);

async function main(): Promise<number> {
  const startedAt = Date.now();
  const CONNECTIONS = o.connections;
  log(
    `bench: scenario=${o.scenario} connections=${CONNECTIONS} rate=${o.rate}/s duration=${o.durationS}s gateways=${o.gateways} engine=${o.engine} messages=${Math.floor(o.rate * o.durationS)}`,
  );

  const base = o.noBaseline ? null : await baseline(CONNECTIONS, o.rate, o.durationS);
  if (base) log(`baseline: ${base.text}`);

  const benchDb: TBenchDb = await createMigratedDatabase(o.serverUrl, "parley_bench");
  if (!o.keepDb) onCleanup(() => benchDb.drop());
  else log(`database kept: ${benchDb.url}`);
  log(`database: ${benchDb.name} (migrated)`);

  const db = createDb(benchDb.url, { max: 8 });
  onCleanup(() => db.$disconnect());
  const seedStart = Date.now();
  const world = await buildWorld(db, CONNECTIONS, o.scenario);
  log(
    `seeded: ${CONNECTIONS} users + tokens, ${world.members.size} ${o.scenario === "dm" ? "DMs" : `channels of ${CHANNEL_SIZE}`} in ${((Date.now() - seedStart) / 1000).toFixed(1)}s`,
  );

  const { gateways, pids } = await startFleet({
    count: o.gateways,
    engine: o.engine,
    databaseUrl: benchDb.url,
    redisUrl: o.redisUrl,
    log,
  });
  await sleep(500);
  const rssIdle = pids.map(rssOf);
  log(`gateways: ${gateways.map((g) => `:${g.port} pid ${g.child.pid}`).join(", ")}`);

  // The first sockets pay for JIT warm-up, pools and heap growth: open a tenth first, then
  // count RSS per socket over the rest only.
  const warm = Math.max(1, Math.floor(CONNECTIONS / 10));
  const warmConns = await openConnections(world, gateways, 0, warm);
  const rssWarm = await settledRss(pids);
  const connectStart = nowMs();
  const conns = [...warmConns, ...(await openConnections(world, gateways, warm, CONNECTIONS))];
  const connectSeconds = (nowMs() - connectStart) / 1000;
  onCleanup(() => {
    for (const c of conns) c.ws.terminate();
  });
  const rssConnected = await settledRss(pids);
  const rssPerConn = (sum(rssConnected) - sum(rssWarm)) / (CONNECTIONS - warm);
  log(
    `connected: ${CONNECTIONS} sockets, the last ${CONNECTIONS - warm} in ${connectSeconds.toFixed(1)}s (${Math.round((CONNECTIONS - warm) / connectSeconds)}/s); gateway RSS ${mb(sum(rssIdle))} idle, ${mb(sum(rssWarm))} with ${warm} sockets, ${mb(sum(rssConnected))} with all (${(rssPerConn / 1024).toFixed(1)} KB/connection)`,
  );

  const perConnRate = o.rate / CONNECTIONS;
  if (perConnRate > 15)
    console.error(
      `bench: warning: ${perConnRate.toFixed(1)} sends/s per connection nears the gateway's per-connection limit (20/s)`,
    );

  const traffic = await runTraffic({
    world,
    conns,
    pids,
    rate: o.rate,
    durationS: o.durationS,
    drainS: o.drainS,
  });
  reportTraffic(traffic, {
    scenario: o.scenario,
    connections: CONNECTIONS,
    gateways: o.gateways,
    engine: o.engine,
    base,
    rssPerConn,
    startedAt,
    log,
  });
  // Figures, not assertions: a run that completed exits 0 whatever it measured.
  return 0;
}

runBounded(main, (o.durationS + o.drainS + 300) * 1000);
