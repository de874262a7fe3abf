/**
 * `idle --connections N`: N authenticated sockets (welcome received, `hello` sent) doing nothing,
 * spread over `--gateways G` processes and `--generators W` generator processes (each on its own
 * 127.0.0.x). Memory per socket = (gateway memory with the sockets − the same gateways empty) / N,
 * each the median of many readings taken right after a forced full GC inside the gateway
 * (gateway-probe.ts). Then a trickle (default 100 msg/s, DM pairs among the sockets) for
 * `--trickle` seconds while the gateways' event-loop lag and a `ping` round trip are measured.
 */
import { createHistogram } from "node:perf_hooks";
import { probe, settledMemory, startFleetFor } from "../gateways.ts";
import { generatorPool } from "../generator-pool.ts";
import { nowMs, percentiles, record, sleep } from "../harness.ts";
import type { TOptions } from "../options.ts";
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
type TLag = { p50: number; p99: number; max: number; count: number };

export async function runIdle(o: TOptions, log: (line: string) => void, startedAt: number): Promise<number> {
  const n = o.connections;
  const { db, url } = await prepareDatabase(o, log);
  const seedStart = Date.now();
  const { userIds, tokens } = await seedUsersFast(db, n);
  const dms = await seedDmPairsFast(db, userIds);
  log(`seeded: ${n} users + tokens, ${dms.length} DMs in ${((Date.now() - seedStart) / 1000).toFixed(1)}s`);

  const fleet = await startFleetFor(o, url, log, { probe: true });
  const children = fleet.gateways.map((g) => g.child);
  await sleep(1000);
  const empty = await settledMemory(children);
  if (!empty.every((m) => m.gc))
    log("warning: the gateways run without --expose-gc: memory is not measured after GC");
  log(
    `gateways empty: RSS ${mb(sum(empty.map((m) => m.rss)))}, heap ${mb(sum(empty.map((m) => m.heapUsed)))} (after GC, median of 15)`,
  );

  const pool = generatorPool(o.generators, n);
  const connectStart = nowMs();
  const opened = await pool.all<{ opened: number; failed: number; seconds: number }>((k) => {
    const [from, to] = pool.slices[k]!;
    return {
      op: "open",
      inFlight: 100,
      localAddress: `127.0.0.${k + 2}`,
      conns: Array.from({ length: to - from }, (_, j) => {
        const i = from + j;
        return {
          url: fleet.gateways[i % fleet.gateways.length]!.url,
          token: tokens[i]!,
          userId: userIds[i]!,
          conversationId: dms[Math.floor(i / 2)]!,
        };
      }),
    };
  });
  const failed = sum(opened.map((r) => r.failed));
  const connectSeconds = (nowMs() - connectStart) / 1000;
  log(
    `connected: ${sum(opened.map((r) => r.opened))} of ${n} sockets in ${connectSeconds.toFixed(1)}s over ${o.generators} generator process(es) (127.0.0.2…${o.generators + 1}) and ${o.gateways} gateway(s)`,
  );
  if (failed > 0) throw new Error(`${failed} of ${n} sockets failed to open`);

  await sleep(2000);
  const full = await settledMemory(children);
  const perConn = (pick: (m: { rss: number; heapUsed: number }) => number) =>
    (sum(full.map(pick)) - sum(empty.map(pick))) / n / 1024;
  const kbPerConn = perConn((m) => m.rss);
  const heapKbPerConn = perConn((m) => m.heapUsed);
  log(
    `memory:     RSS ${mb(sum(full.map((m) => m.rss)))} with ${n} sockets → ${kbPerConn.toFixed(1)} KB/socket; heap ${mb(sum(full.map((m) => m.heapUsed)))} → ${heapKbPerConn.toFixed(1)} KB/socket (empty-gateway baseline subtracted; forced GC, median of 15 readings per gateway)`,
  );

  // --- trickle ---------------------------------------------------------------------------------
  await Promise.all(children.map((c) => probe(c, "lagReset")));
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
  const total = (pick: (t: TTrickle) => number) => sum(trickles.map(pick));
  log(
    `trickle:    ${o.rate} msg/s for ${o.trickleS}s: sent=${total((t) => t.sent)} acked=${total((t) => t.acked)} delivered=${total((t) => t.delivered)} errors=${total((t) => t.errors)} closes=${total((t) => t.closes)}; send→receive p50=${d.p50}ms p99=${d.p99}ms max=${d.max}ms`,
  );
  log(
    `gateways:   event-loop lag per gateway ${lags.map((l) => `p50=${l.p50.toFixed(1)} p99=${l.p99.toFixed(1)} max=${l.max.toFixed(1)}ms`).join("; ")}; ping round trip n=${ping.count} p50=${p.p50}ms p99=${p.p99}ms max=${p.max}ms`,
  );
  log(
    `generators: CPU ${trickles.map((t) => `${t.cpuPct.toFixed(0)}%`).join(" ")} of one core each, event-loop lag p99 ${trickles.map((t) => `${t.lagP99.toFixed(1)}ms`).join(" ")}`,
  );
  log(
    `bench: scenario=idle connections=${n} kb_per_conn=${kbPerConn.toFixed(1)} heap_kb_per_conn=${heapKbPerConn.toFixed(1)} lag_p99=${lagP99.toFixed(1)}ms lag_max=${lagMax.toFixed(1)}ms ping_p99=${p.p99}ms ping_max=${p.max}ms trickle_rate=${o.rate} trickle_p99=${d.p99}ms gateways=${o.gateways} generators=${o.generators} engine=${o.engine} connect_s=${connectSeconds.toFixed(1)} gen_lag_p99=${Math.max(...trickles.map((t) => t.lagP99)).toFixed(1)}ms elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
  return 0;
}
