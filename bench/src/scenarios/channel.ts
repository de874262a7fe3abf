/**
 * `channel --members N`: N users, all connected, all members of ONE public channel; the members
 * take turns sending at `--rate` (default 10 msg/s). Per message: send → the LAST member's socket
 * received it (p50/p99/max), and send → receive over all deliveries. `--warmup S` sends S seconds
 * at the same rate first, not counted (the suite uses 3, as for dm and the floor).
 *
 * With `--generators W` this process keeps only the first CHANNEL_SENDERS members (they take
 * turns sending, and receive too) and W channel-worker.ts processes hold the other members, each
 * on its own 127.0.0.(k+2): one process cannot read 100,000 frames/s (10,000 members × 10 msg/s)
 * and would measure itself. Without it every member sits here, as before.
 */
import { randomBytes } from "node:crypto";
import { createHistogram } from "node:perf_hooks";
import { channelPool, receiverSlices, type TReceiverStats } from "../channel-pool.ts";
import { startFleetFor } from "../gateways.ts";
import { describe, nowMs, percentiles, record } from "../harness.ts";
import { openConnections, type TLoad } from "../load.ts";
import type { TOptions } from "../options.ts";
import { describeReceivers, reportTraffic } from "../report.ts";
import { onCleanup } from "../run.ts";
import { seedChannelFast, seedUsersFast } from "../seed-fast.ts";
import { prepareDatabase } from "../setup.ts";
import { sum } from "../stats.ts";
import { runTraffic } from "../traffic.ts";
import type { TWorld } from "../world.ts";

/** Members that send (in turns) when receivers sit in other processes; they stay in this one. */
export const CHANNEL_SENDERS = 50;

export async function runChannel(
  o: TOptions,
  log: (line: string) => void,
  startedAt: number,
): Promise<number> {
  const n = o.members;
  const { db, url } = await prepareDatabase(o, log);
  const seedStart = Date.now();
  const { userIds, tokens } = await seedUsersFast(db, n);
  const channelId = await seedChannelFast(db, `bench-${randomBytes(4).toString("hex")}`, userIds);
  const world: TWorld = {
    userIds,
    tokens,
    conversationOf: userIds.map(() => channelId),
    members: new Map([[channelId, userIds.map((_, i) => i)]]),
  };
  log(`seeded: ${n} users + tokens, one channel of ${n} in ${((Date.now() - seedStart) / 1000).toFixed(1)}s`);

  const { gateways, pids } = await startFleetFor(o, url, log);
  const connectStart = nowMs();
  const w = o.generators;
  const senders = w > 0 ? Math.min(n, CHANNEL_SENDERS) : n;
  const conns = await openConnections(world, gateways, 0, senders);
  onCleanup(() => {
    for (const c of conns) c.ws.terminate();
  });
  const pool = w > 0 ? channelPool(w) : undefined;
  if (pool) {
    const slices = receiverSlices(senders, n, w);
    const opened = await pool.open((k) => {
      const [from, to] = slices[k]!;
      return Array.from({ length: to - from }, (_, j) => ({
        url: gateways[(from + j) % gateways.length]!.url,
        token: tokens[from + j]!,
      }));
    });
    const failed = sum(opened.map((r) => r.failed));
    if (failed > 0) throw new Error(`${failed} of ${n - senders} receiving sockets failed to open`);
  }
  log(
    `connected: ${n} members in ${((nowMs() - connectStart) / 1000).toFixed(1)}s${pool ? ` (${senders} senders here, ${n - senders} receivers over ${w} generator processes on 127.0.0.2…${w + 1})` : ""}`,
  );

  if (o.warmupS > 0) {
    // Unreported traffic first, at the run's rate (JIT, the fan-out's caches, the receivers): its
    // bodies say "w1", which no receiver counts, so a late warm-up frame cannot pass for a measured one.
    log(`warm-up: ${o.warmupS}s at ${o.rate} msg/s (not counted)`);
    // No pause after it, which would cool again what it warmed; its drain is short, since no receiver
    // counts a warm-up frame and the drain would only wait out its time.
    await runTraffic({ world, conns, pids, rate: o.rate, durationS: o.warmupS, drainS: 0.2, tag: "w1" });
  }

  const traffic = await runTraffic({
    world,
    conns,
    pids,
    rate: o.rate,
    durationS: o.durationS,
    drainS: o.drainS,
    ...(pool ? { onStart: (load: TLoad) => pool.start(load) } : {}),
  });
  const receivers: TReceiverStats[] = pool ? await pool.stop(traffic.load) : [];
  const { load } = traffic;
  const report = reportTraffic(traffic, {
    scenario: "channel",
    connections: n,
    gateways: o.gateways,
    engine: o.engine,
    base: null,
    rssPerConn: 0,
    startedAt,
    log,
  });
  // Send → last member, per message; a message some member never got counts as incomplete.
  const last = createHistogram();
  let incomplete = 0;
  for (let k = 0; k < load.total; k += 1) {
    if (!load.sentAt[k]) continue;
    if ((load.deliveredCount[k] ?? 0) >= n - 1) record(last, load.lastAt[k]! - load.sentAt[k]!);
    else incomplete += 1;
  }
  const l = percentiles(last);
  const d = percentiles(load.deliveryLatency);
  log(
    `last member: send→last member's socket ${describe(last)}; messages not reaching every member=${incomplete}`,
  );
  if (pool) log(describeReceivers(receivers, load.counters.delivered));
  const recv = pool
    ? ` frame_bytes=${Math.max(...receivers.map((r) => r.frameBytes))} generators=${w} recv_cpu=${receivers.map((r) => r.cpuPct.toFixed(0)).join("/")}% recv_lag_p99=${Math.max(...receivers.map((r) => r.lagP99)).toFixed(1)}ms`
    : "";
  log(
    `bench: scenario=channel members=${n} rate=${o.rate} last_p50=${l.p50}ms last_p99=${l.p99}ms last_max=${l.max}ms p50=${d.p50}ms p99=${d.p99}ms max=${d.max}ms sent=${load.counters.sent} acked=${load.counters.acked} incomplete=${incomplete} delivered=${load.counters.delivered} expected=${load.counters.expected} duplicates=${load.counters.duplicates} throughput=${report.throughput.toFixed(0)}/s gen_cpu=${traffic.genCpuPct.toFixed(0)}% gen_lag_p99=${traffic.lag.p99}ms gw_cpu=${traffic.gwCpuPct.toFixed(0)}% gateways=${o.gateways} engine=${o.engine} duration=${o.durationS}${recv}`,
  );
  return 0;
}
