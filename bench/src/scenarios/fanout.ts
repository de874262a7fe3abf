/**
 * `fanout --members N`: the floor under `channel --members N` (P4). The same receiving processes
 * (channel-worker.ts, one per 127.0.0.(k+2)) hold N sockets to a bare `ws` server
 * (fanout-server.ts) that writes one pre-framed frame per socket per message, in the gateway's
 * slices, with nothing else: no database, no auth, no membership, no encoding. Send → last member
 * here is what this box can do at all; `channel`'s figure divided by it is Parley's overhead.
 * The frame is as large as the gateway's message frame (`--frame-bytes`, default 600; the
 * channel scenario prints the size it saw).
 */
import { createHistogram } from "node:perf_hooks";
import { channelPool } from "../channel-pool.ts";
import {
  cpuSecondsOf,
  describe,
  listeningPort,
  nowMs,
  percentiles,
  record,
  sleep,
  spawnTracked,
} from "../harness.ts";
import { createLoad } from "../load.ts";
import type { TOptions } from "../options.ts";
import { onCleanup } from "../run.ts";

/** The gateway's slice (packages/gateway/src/slices.ts DEFAULT_SLICE_SIZE): sockets per turn. */
const DEFAULT_SLICE = 256;

export async function runFanout(o: TOptions, log: (line: string) => void): Promise<number> {
  const n = o.members;
  const w = Math.max(1, o.generators);
  const server = spawnTracked(
    process.execPath,
    ["--import", "tsx", "bench/src/fanout-server.ts", String(o.frameBytes), String(DEFAULT_SLICE)],
    { ipc: true, label: "fanout-server" },
  );
  onCleanup(() => {
    if (server.exitCode === null) server.kill("SIGKILL");
  });
  const port = await listeningPort(server, "fanout server");
  const pool = channelPool(w);
  const connectStart = nowMs();
  const opened = await pool.open((k) => {
    const from = Math.floor((n * k) / w);
    const to = Math.floor((n * (k + 1)) / w);
    return Array.from({ length: to - from }, () => ({ url: `ws://127.0.0.1:${port}/`, token: "floor" }));
  });
  const failed = opened.reduce((a, r) => a + r.failed, 0);
  if (failed > 0) throw new Error(`${failed} of ${n} receiving sockets failed to open`);
  log(
    `connected: ${n} sockets to the bare fan-out server in ${((nowMs() - connectStart) / 1000).toFixed(1)}s over ${w} receiving processes`,
  );
  await sleep(1000);

  /** The next frame's seq: warm-up and measured frames share one sequence, as a channel's would. */
  let nextSeq = 1;
  /** Sends `count` frames at the run's rate; `onSent(k, sentAt)` for each. */
  const sendAtRate = (count: number, warm: boolean, onSent: (k: number, sentAt: number) => void) =>
    new Promise<void>((resolve) => {
      const start = nowMs();
      let sent = 0;
      const tick = setInterval(() => {
        const due = Math.min(count, Math.floor(((nowMs() - start) * o.rate) / 1000) + 1);
        while (sent < due) {
          const sentAt = nowMs();
          server.send({ k: sent, sentAt, seq: nextSeq++, ...(warm ? { warm: true } : {}) });
          onSent(sent, sentAt);
          sent += 1;
        }
        if (sent >= count) {
          clearInterval(tick);
          resolve();
        }
      }, 1);
    });

  if (o.warmupS > 0) {
    // As `channel --warmup`: frames at the run's rate whose bodies ("w1") no receiver counts.
    log(`warm-up: ${o.warmupS}s at ${o.rate} frames/s (not counted)`);
    await sendAtRate(Math.max(1, Math.floor(o.rate * o.warmupS)), true, () => {});
    await sleep(200); // as channel's: no longer pause, which would cool again what it warmed
  }

  const total = Math.max(1, Math.floor(o.rate * o.durationS));
  const load = createLoad(total);
  load.counters.expected = total * n;
  await pool.start(load);
  const cpu0 = cpuSecondsOf(server.pid);
  const t0 = nowMs();
  await sendAtRate(total, false, (k, sentAt) => {
    load.sentAt[k] = sentAt;
    load.counters.sent += 1;
  });
  const drainUntil = nowMs() + o.drainS * 1000;
  while (load.counters.delivered < load.counters.expected && nowMs() < drainUntil) await sleep(20);
  const wall = (nowMs() - t0) / 1000;
  const serverCpu = ((cpuSecondsOf(server.pid) - cpu0) / wall) * 100;
  const receivers = await pool.stop(load);

  const last = createHistogram();
  let incomplete = 0;
  for (let k = 0; k < total; k += 1) {
    if ((load.deliveredCount[k] ?? 0) >= n) record(last, load.lastAt[k]! - load.sentAt[k]!);
    else incomplete += 1;
  }
  const l = percentiles(last);
  const d = percentiles(load.deliveryLatency);
  log(
    `last member: send→last member's socket ${describe(last)}; messages not reaching every member=${incomplete}`,
  );
  log(
    `deliveries: ${describe(load.deliveryLatency)} delivered=${load.counters.delivered} expected=${load.counters.expected}`,
  );
  log(
    `bench: scenario=fanout members=${n} rate=${o.rate} frame_bytes=${o.frameBytes} last_p50=${l.p50}ms last_p99=${l.p99}ms last_max=${l.max}ms p50=${d.p50}ms p99=${d.p99}ms max=${d.max}ms incomplete=${incomplete} delivered=${load.counters.delivered} expected=${load.counters.expected} server_cpu=${serverCpu.toFixed(0)}% generators=${w} recv_cpu=${receivers.map((r) => r.cpuPct.toFixed(0)).join("/")}% duration=${o.durationS}`,
  );
  return 0;
}
