/**
 * `idle --connections N`: N authenticated sockets (welcome received, `hello` sent) doing nothing,
 * spread round-robin over `--gateways G` processes and `--generators W` generator processes (each
 * from its own 250 loopback addresses 127.0.(k+2).1…250, `--in-flight` connects at a time each). They open in two waves (each
 * generator's first half, then the rest) with a progress line every 5 s (open-progress.ts).
 *
 * Memory per socket, per gateway and in total, each gateway's reading the median of many taken
 * right after a forced full GC inside it (gateway-probe.ts): against the same gateways empty, and
 * at the margin (wave 2 − wave 1 over the wave-2 sockets), which leaves out what a gateway grows
 * once whatever its socket count (compiled code, pools, V8 spaces sized by the connect burst).
 * Redis memory per socket from INFO memory `used_memory` (routes + presence). Then the gateways'
 * event-loop lag for up to 10 s without traffic, and under a trickle (default 100 msg/s, DM pairs
 * among the sockets) for `--trickle` seconds while a `ping` round trip is measured too.
 */
import { availableParallelism, loadavg } from "node:os";
import { createHistogram } from "node:perf_hooks";
import { probe, settledMemory, startFleetFor, type TMemory } from "../gateways.ts";
import { generatorPool } from "../generator-pool.ts";
import { boxCpu, nowMs, percentiles, record, redisInfo, sleep } from "../harness.ts";
import { watchOpening } from "../open-progress.ts";
import type { TOptions } from "../options.ts";
import { setPhase } from "../run.ts";
import { seedDmPairsFast, seedUsersFast } from "../seed-fast.ts";
import { prepareDatabase } from "../setup.ts";
import { mb, sum } from "../stats.ts";

type TTrickle = {
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
  closes: number;
  delivery: number[];
  ping: number[];
  cpuPct: number;
  lagP99: number;
};
type TLag = { p50: number; p99: number; max: number; count: number; cpuPct: number };
const describeLag = (l: TLag) =>
  `p50=${l.p50.toFixed(1)} p99=${l.p99.toFixed(1)} max=${l.max.toFixed(1)}ms (cpu ${l.cpuPct.toFixed(0)}%)`;
type TOpened = { opened: number; failed: number; seconds: number };

const kb = (bytes: number, sockets: number) => (sockets > 0 ? bytes / sockets / 1024 : 0);

export async function runIdle(o: TOptions, log: (line: string) => void, startedAt: number): Promise<number> {
  const n = o.connections;
  setPhase("seeding");
  const { db, url } = await prepareDatabase(o, log);
  const seedStart = Date.now();
  const { userIds, tokens } = await seedUsersFast(db, n);
  const dms = await seedDmPairsFast(db, userIds);
  log(`seeded: ${n} users + tokens, ${dms.length} DMs in ${((Date.now() - seedStart) / 1000).toFixed(1)}s`);

  setPhase("starting gateways");
  const fleet = await startFleetFor(o, url, log, { probe: true });
  const children = fleet.gateways.map((g) => g.child);
  const usedMemory = async () =>
    fleet.redisUrl ? Number((await redisInfo(fleet.redisUrl, "memory")).get("used_memory")) : Number.NaN;
  await sleep(1000);
  setPhase("measuring the empty gateways");
  const empty = await settledMemory(children);
  const redisEmpty = await usedMemory();
  if (!empty.every((m) => m.gc))
    log("warning: the gateways run without --expose-gc: memory is not measured after GC");
  log(
    `gateways empty: RSS ${mb(sum(empty.map((m) => m.rss)))}, heap ${mb(sum(empty.map((m) => m.heapUsed)))} (after GC, median of 15); redis used_memory ${mb(redisEmpty)}`,
  );

  // --- open, in two waves ------------------------------------------------------------------------
  setPhase(`starting ${o.generators} generator process(es)`);
  const pool = generatorPool(o.generators, n);
  // Their start (loading tsx and ws) is not connect time: the first answer says they are up.
  await pool.all(() => ({ op: "count" }), 60_000);
  const G = fleet.gateways.length;
  const spec = (i: number) => ({
    url: fleet.gateways[i % G]!.url,
    token: tokens[i]!,
    userId: userIds[i]!,
    conversationId: dms[Math.floor(i / 2)]!,
  });
  const waves = pool.slices.map(([from, to]) => {
    const mid = from + Math.floor((to - from) / 2);
    return [
      [from, mid],
      [mid, to],
    ] as const;
  });
  const onGateway = (g: number, ranges: (readonly [number, number])[]) =>
    sum(ranges.map(([from, to]) => Math.floor((to - 1 - g) / G) - Math.floor((from - 1 - g) / G)));
  const connectStart = nowMs();
  const waveSeconds: number[] = [];
  const rates: number[] = [];
  const afterWave: TMemory[][] = [];
  let opened = 0;
  let failedTotal = 0;
  for (const w of [0, 1] as const) {
    const waveStart = nowMs();
    const watch = watchOpening({
      pool,
      db,
      before: opened,
      total: n,
      gatewayPids: fleet.pids,
      redisPid: fleet.redisPid,
      log,
    });
    setPhase(`opening sockets, wave ${w + 1} of 2`);
    const results = await pool
      .all<TOpened>((k) => {
        const [from, to] = waves[k]![w];
        return {
          op: "open",
          inFlight: o.inFlight,
          sourcePrefix: `127.0.${k + 2}.`,
          conns: Array.from({ length: to - from }, (_, j) => spec(from + j)),
        };
      })
      .finally(() => rates.push(...watch.stop()));
    opened += sum(results.map((r) => r.opened));
    const failed = sum(results.map((r) => r.failed));
    waveSeconds.push((nowMs() - waveStart) / 1000);
    log(
      `wave ${w + 1}:    ${opened} of ${n} open after ${waveSeconds[w]!.toFixed(1)}s (${(sum(results.map((r) => r.opened)) / waveSeconds[w]!).toFixed(0)}/s)`,
    );
    failedTotal += failed;
    // A few connects timing out on a crowded box must not cost the whole run its figures.
    if (failedTotal > n / 100)
      throw new Error(`${failedTotal} of ${n} sockets failed to open (more than 1 %): no figures`);
    if (failed > 0)
      log(`warning:   ${failed} sockets failed to open in wave ${w + 1} (30 s timeout or refused)`);
    setPhase(`measuring memory after wave ${w + 1}`);
    await sleep(2000);
    afterWave.push(await settledMemory(children));
  }
  const connectSeconds = waveSeconds[0]! + waveSeconds[1]!;
  const redisFull = await usedMemory();
  const rate = opened / connectSeconds;
  log(
    `connected: ${opened} of ${n} sockets in ${connectSeconds.toFixed(1)}s of opening (${rate.toFixed(0)}/s; 5-s rates min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)}) over ${o.generators} generator process(es) (from 127.0.2.1–127.0.${o.generators + 1}.250, ${o.inFlight} in flight each) and ${G} gateway(s); ${((nowMs() - connectStart) / 1000).toFixed(1)}s with the memory readings`,
  );

  // --- memory ------------------------------------------------------------------------------------
  const [mid, full] = afterWave as [TMemory[], TMemory[]];
  const all = waves.flatMap((x) => [x[0], x[1]]);
  const second = waves.map((x) => x[1]);
  // Sockets per gateway: by the round-robin when all opened, else its TCP count with − empty
  // (that also counts any extra Postgres/Redis connection it opened: a few in thousands).
  const tcpDelta = (after: TMemory[], g: number) => Math.max(0, after[g]!.tcp - empty[g]!.tcp);
  const perGateway = fleet.gateways.map((_, g) => {
    const sockets = failedTotal === 0 ? onGateway(g, all) : tcpDelta(full, g);
    const margin = failedTotal === 0 ? onGateway(g, second) : tcpDelta(full, g) - tcpDelta(mid, g);
    return {
      sockets,
      margin,
      tcp: full[g]!.tcp - empty[g]!.tcp,
      rss: kb(full[g]!.rss - empty[g]!.rss, sockets),
      heap: kb(full[g]!.heapUsed - empty[g]!.heapUsed, sockets),
      rssMargin: kb(full[g]!.rss - mid[g]!.rss, margin),
      heapMargin: kb(full[g]!.heapUsed - mid[g]!.heapUsed, margin),
    };
  });
  const total = (ms: TMemory[], pick: (m: TMemory) => number) => sum(ms.map(pick));
  const rssKb = kb(total(full, (m) => m.rss) - total(empty, (m) => m.rss), opened);
  const heapKb = kb(total(full, (m) => m.heapUsed) - total(empty, (m) => m.heapUsed), opened);
  const marginN = sum(perGateway.map((m) => m.margin));
  const rssMarginKb = kb(total(full, (m) => m.rss) - total(mid, (m) => m.rss), marginN);
  const heapMarginKb = kb(total(full, (m) => m.heapUsed) - total(mid, (m) => m.heapUsed), marginN);
  const redisKb = kb(redisFull - redisEmpty, opened);
  for (const [g, m] of perGateway.entries()) {
    log(
      `gateway${g}:  ${m.sockets} sockets (+${m.tcp} TCP), RSS ${mb(full[g]!.rss)}: ${m.rss.toFixed(1)} KB/socket vs empty, ${m.rssMargin.toFixed(1)} at the margin; heap ${mb(full[g]!.heapUsed)}: ${m.heap.toFixed(1)} KB/socket vs empty, ${m.heapMargin.toFixed(1)} at the margin`,
    );
  }
  log(
    `memory:     ${G} gateway(s) RSS ${mb(total(full, (m) => m.rss))} with ${opened} sockets → ${rssKb.toFixed(1)} KB/socket vs empty, ${rssMarginKb.toFixed(1)} KB at the margin (wave 2: ${marginN} sockets); heap ${mb(total(full, (m) => m.heapUsed))} → ${heapKb.toFixed(1)} KB/socket, ${heapMarginKb.toFixed(1)} at the margin (forced GC, median of 15 readings per gateway)`,
  );
  const emptyRest = total(empty, (m) => m.rss - m.heapTotal);
  log(
    `memory:     where RSS went (all gateways, empty → with sockets): V8 heap committed ${mb(total(empty, (m) => m.heapTotal))} → ${mb(total(full, (m) => m.heapTotal))} (used ${mb(total(empty, (m) => m.heapUsed))} → ${mb(total(full, (m) => m.heapUsed))}), external ${mb(total(empty, (m) => m.external))} → ${mb(total(full, (m) => m.external))}, the rest (code, native, malloc) ${mb(emptyRest)} → ${mb(total(full, (m) => m.rss - m.heapTotal))}`,
  );
  log(
    `redis:      used_memory ${mb(redisEmpty)} empty → ${mb(redisFull)} with ${opened} sockets → ${redisKb.toFixed(2)} KB/socket (routes + presence)`,
  );

  // --- lag while idle: what the sockets cost the loop by themselves (heartbeats, refreshes) --------
  const quietS = Math.min(10, o.trickleS);
  setPhase(`measuring event-loop lag for ${quietS}s with ${opened} idle sockets`);
  await Promise.all(children.map((c) => probe(c, "lagReset")));
  await sleep(quietS * 1000);
  const quiet = await Promise.all(children.map((c) => probe<TLag>(c, "lag")));
  log(`idle lag:   ${quietS}s without traffic, per gateway ${quiet.map(describeLag).join("; ")}`);

  // --- trickle -------------------------------------------------------------------------------------
  setPhase(`trickle of ${o.rate} msg/s for ${o.trickleS}s over ${opened} sockets`);
  await Promise.all(children.map((c) => probe(c, "lagReset")));
  const box0 = boxCpu();
  const shares = pool.slices.map(([from, to]) => (to - from) / n);
  const trickles = await pool.all<TTrickle>(
    (k) => ({
      op: "trickle",
      rate: o.rate * shares[k]!,
      durationS: o.trickleS,
      pingEveryMs: 50 * o.generators,
    }),
    (o.trickleS + 60) * 1000,
  );
  const lags = await Promise.all(children.map((c) => probe<TLag>(c, "lag")));
  const box1 = boxCpu();
  const cores = availableParallelism();
  // Others share this box: how busy it was (all processes) says how much of the lag is waiting for a core.
  const boxPct = ((box1.busy - box0.busy) / Math.max(box1.total - box0.total, 1e-9)) * 100 * cores;
  const load1 = loadavg()[0]!;
  const delivery = createHistogram();
  const ping = createHistogram();
  for (const t of trickles) {
    for (const ms of t.delivery) record(delivery, ms);
    for (const ms of t.ping) record(ping, ms);
  }
  const d = percentiles(delivery);
  const p = percentiles(ping);
  const lagP99 = Math.max(...lags.map((l) => l.p99));
  const lagMax = Math.max(...lags.map((l) => l.max));
  const sumOf = (pick: (t: TTrickle) => number) => sum(trickles.map(pick));
  const late = sumOf((t) => t.acked) - sumOf((t) => t.delivered);
  log(
    `trickle:    ${o.rate} msg/s for ${o.trickleS}s: sent=${sumOf((t) => t.sent)} acked=${sumOf((t) => t.acked)} delivered=${sumOf((t) => t.delivered)} errors=${sumOf((t) => t.errors)} closes=${sumOf((t) => t.closes)}; send→receive p50=${d.p50}ms p99=${d.p99}ms max=${d.max}ms${late > 0 ? ` (${late} acked but not delivered within 5 s of the last send: not in the percentiles)` : ""}`,
  );
  log(
    `gateways:   event-loop lag under the trickle, per gateway ${lags.map(describeLag).join("; ")}; ping round trip n=${ping.count} p50=${p.p50}ms p99=${p.p99}ms max=${p.max}ms`,
  );
  log(
    `box:        ${boxPct.toFixed(0)} of ${cores * 100} % CPU busy during the trickle (every process on it, ours and others'); load average ${load1.toFixed(1)}`,
  );
  log(
    `generators: CPU ${trickles.map((t) => `${t.cpuPct.toFixed(0)}%`).join(" ")} of one core each, event-loop lag p99 ${trickles.map((t) => `${t.lagP99.toFixed(1)}ms`).join(" ")}`,
  );
  log(
    `bench: scenario=idle connections=${n} opened=${opened} kb_per_conn=${rssKb.toFixed(1)} kb_per_conn_margin=${rssMarginKb.toFixed(1)} heap_kb_per_conn=${heapKb.toFixed(1)} heap_kb_per_conn_margin=${heapMarginKb.toFixed(1)} redis_kb_per_conn=${redisKb.toFixed(2)} idle_lag_p99=${Math.max(...quiet.map((l) => l.p99)).toFixed(1)}ms lag_p50=${Math.max(...lags.map((l) => l.p50)).toFixed(1)}ms lag_p99=${lagP99.toFixed(1)}ms lag_max=${lagMax.toFixed(1)}ms ping_p99=${p.p99}ms ping_max=${p.max}ms trickle_rate=${o.rate} trickle_p99=${d.p99}ms gateways=${o.gateways} generators=${o.generators} in_flight=${o.inFlight} engine=${o.engine} connect_s=${connectSeconds.toFixed(1)} connect_rate=${rate.toFixed(0)} gen_lag_p99=${Math.max(...trickles.map((t) => t.lagP99)).toFixed(1)}ms box_busy_pct=${boxPct.toFixed(0)} load1=${load1.toFixed(1)} elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
  return 0;
}
