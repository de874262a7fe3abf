/**
 * One measured traffic window over already open sockets: the open-loop send, the drain, and the
 * CPU / event-loop / RSS samples taken around them (generator, gateways, whole box).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { batchWindow, scrapeBatchTotals } from "./batch-metrics.ts";
import {
  boxCpu,
  cpuSecondsOf,
  describeLoop,
  nowMs,
  postgresCpu,
  postgresCpuSince,
  rssOf,
} from "./harness.ts";
import { createLoad, drain, sendOpenLoop, type TConn, type TLoad, useLoad } from "./load.ts";
import { sum } from "./stats.ts";
import type { TWorld } from "./world.ts";

export const LOOP_RESOLUTION_MS = 5;

export type TTraffic = {
  load: TLoad;
  rate: number;
  durationS: number;
  sendSeconds: number;
  wallSeconds: number;
  t0: number;
  genCpuPct: number;
  gwCpuPct: number;
  /** The database cluster (postmaster and children), % of one core; 0 when its postmaster is unknown. */
  pgCpuPct: number;
  boxPct: number;
  lag: ReturnType<typeof describeLoop>;
  /** The gateways' group commit over the window (null: no metrics URLs, or a scrape failed). */
  batches: ReturnType<typeof batchWindow>;
  rssEnd: number;
  receivers: (k: number) => number;
};

export async function runTraffic(options: {
  world: TWorld;
  conns: TConn[];
  pids: (number | undefined)[];
  rate: number;
  durationS: number;
  drainS: number;
  /** The database's postmaster (harness.ts postmasterPidOf): its cluster's CPU is measured. */
  postmasterPid?: number;
  /** The gateways' Prometheus endpoints: the group commit's batches are read from them. */
  metricsUrls?: readonly string[];
  /** Called with the run's bookkeeping before the first send (other processes join the run). */
  onStart?: (load: TLoad) => Promise<void>;
  /** The bodies' tag (load.ts sendOpenLoop): "w1" for a warm-up no receiver counts. */
  tag?: string;
}): Promise<TTraffic> {
  const { world, conns, pids, rate } = options;
  const n = conns.length;
  const load = createLoad(Math.floor(rate * options.durationS));
  useLoad(load);
  await options.onStart?.(load);
  const batches0 = options.metricsUrls ? await scrapeBatchTotals(options.metricsUrls) : null;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const gwCpu0 = pids.map(cpuSecondsOf);
  const box0 = boxCpu();
  const pg0 = postgresCpu(options.postmasterPid);
  const receivers = (k: number) => {
    const sender = k % n;
    return (world.members.get(world.conversationOf[sender]!)?.length ?? 1) - 1;
  };
  const { t0, sendSeconds } = await sendOpenLoop(load, {
    rate,
    senderOf: (k) => conns[k % n]!,
    conversationOf: (conn) => world.conversationOf[conn.index]!,
    receivers,
    ...(options.tag ? { tag: options.tag } : {}),
  });
  await drain(load, options.drainS);
  const wallSeconds = (nowMs() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const gwCpu = pids.map((pid, i) => cpuSecondsOf(pid) - gwCpu0[i]!);
  const box1 = boxCpu();
  const pgCpu = postgresCpuSince(pg0, postgresCpu(options.postmasterPid));
  loop.disable();
  const batches1 = options.metricsUrls ? await scrapeBatchTotals(options.metricsUrls) : null;
  return {
    load,
    rate,
    durationS: options.durationS,
    sendSeconds,
    wallSeconds,
    t0,
    genCpuPct: ((cpu.user + cpu.system) / 1e6 / wallSeconds) * 100,
    gwCpuPct: (sum(gwCpu) / wallSeconds) * 100,
    pgCpuPct: (pgCpu / wallSeconds) * 100,
    boxPct: ((box1.busy - box0.busy) / (box1.total - box0.total)) * 100,
    lag: describeLoop(loop, LOOP_RESOLUTION_MS),
    batches: batchWindow(batches0, batches1),
    rssEnd: sum(pids.map(rssOf)),
    receivers,
  };
}
