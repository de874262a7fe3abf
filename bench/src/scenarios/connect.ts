/**
 * `connect --connections N --in-flight K`: how fast the gateway takes new clients. Each connect
 * is the whole handshake an SDK client does: WebSocket upgrade with its bearer token (auth), the
 * `welcome`, then `hello` (userCursor 0) until the `synced` that ends its replay — K of them in
 * flight at all times, every socket kept open. A warm-up of 100 connects is not counted.
 */
import { createHistogram } from "node:perf_hooks";
import { PROTOCOL_VERSION } from "@parley/protocol";
import WebSocket from "ws";
import { startFleetFor } from "../gateways.ts";
import { boxCpu, cpuSecondsOf, describe, mapLimit, nowMs, percentiles, record, sleep } from "../harness.ts";
import type { TOptions } from "../options.ts";
import { onCleanup } from "../run.ts";
import { seedUsersFast } from "../seed-fast.ts";
import { prepareDatabase } from "../setup.ts";
import { sum, watchGenerator } from "../stats.ts";

const WARM = 100;

export async function runConnect(
  o: TOptions,
  log: (line: string) => void,
  startedAt: number,
): Promise<number> {
  const n = o.connections;
  const { db, url } = await prepareDatabase(o, log);
  const { tokens } = await seedUsersFast(db, n + WARM);
  log(`seeded: ${n + WARM} users + tokens`);
  const { gateways, pids } = await startFleetFor(o, url, log);
  const sockets: WebSocket[] = [];
  onCleanup(() => {
    for (const ws of sockets) ws.terminate();
  });
  const total = createHistogram();
  const toWelcome = createHistogram();
  let failed = 0;
  const connectOne = (i: number, measure: boolean) =>
    new Promise<void>((resolve) => {
      const t0 = nowMs();
      const ws = new WebSocket(gateways[i % gateways.length]!.url, {
        headers: { Authorization: `Bearer ${tokens[i]}` },
        perMessageDeflate: false,
      });
      sockets.push(ws);
      const timer = setTimeout(() => {
        failed += 1;
        ws.terminate();
        resolve();
      }, 30_000);
      ws.on("error", () => {});
      ws.once("unexpected-response", (_req, res) => {
        failed += 1;
        clearTimeout(timer);
        if (failed <= 3) console.error(`bench: connect ${i} refused with HTTP ${res.statusCode}`);
        resolve();
      });
      ws.on("message", (data) => {
        const text = String(data);
        if (text.startsWith('{"type":"welcome"') || text.includes('"type":"welcome"')) {
          if (measure) record(toWelcome, nowMs() - t0);
          ws.send(JSON.stringify({ type: "hello", protocolVersion: PROTOCOL_VERSION, userCursor: 0 }));
        } else if (text.includes('"type":"synced"')) {
          clearTimeout(timer);
          if (measure) record(total, nowMs() - t0);
          resolve();
        }
      });
    });

  await mapLimit(Array.from({ length: WARM }), 50, (_, i) => connectOne(n + i, false));
  await sleep(500);
  const gw0 = pids.map(cpuSecondsOf);
  const box0 = boxCpu();
  const gen = watchGenerator();
  const t0 = nowMs();
  await mapLimit(Array.from({ length: n }), o.inFlight, (_, i) => connectOne(i, true));
  const seconds = (nowMs() - t0) / 1000;
  const g = gen();
  const gwCpu = sum(pids.map((pid, k) => cpuSecondsOf(pid) - gw0[k]!));
  const box1 = boxCpu();
  const done = total.count;
  const rate = done / seconds;
  const p = percentiles(total);
  const w = percentiles(toWelcome);
  log(
    `connects:   ${done} of ${n} in ${seconds.toFixed(1)}s with ${o.inFlight} in flight → ${rate.toFixed(0)}/s; failed=${failed}`,
  );
  log(`            start → synced ${describe(total)}`);
  log(`            start → welcome ${describe(toWelcome)}`);
  log(
    `gateways:   ${((gwCpu / Math.max(1, done)) * 1000).toFixed(2)} ms CPU per connect (all gateways); box ${(((box1.busy - box0.busy) / (box1.total - box0.total)) * 100).toFixed(0)}% busy`,
  );
  log(
    `bench: scenario=connect connects_per_s=${rate.toFixed(0)} in_flight=${o.inFlight} p99=${p.p99}ms p50=${p.p50}ms max=${p.max}ms welcome_p99=${w.p99}ms connections=${n} failed=${failed} gw_cpu_ms_per_connect=${((gwCpu / Math.max(1, done)) * 1000).toFixed(2)} gen_cpu=${g.cpuPct.toFixed(0)}% gen_lag_p99=${g.lagP99.toFixed(1)}ms gateways=${o.gateways} engine=${o.engine} elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
  return 0;
}
