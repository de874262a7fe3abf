/**
 * The floor: a bare `ws` echo server (echo-server.ts, a child process like the gateway) measured
 * at the same rate over the same number of sockets, so gateway figures read as ratios to it.
 */
import { createHistogram } from "node:perf_hooks";
import WebSocket from "ws";
import {
  describe,
  exited,
  listeningPort,
  mapLimit,
  nowMs,
  percentiles,
  record,
  sleep,
  spawnTracked,
} from "./harness.ts";

export type TBaseline = { p50: string; p99: string; p999: string; text: string };

/** Raw ws echo round trip over `connections` sockets at `rate`/s for min(3, durationS) seconds. */
export async function baseline(connections: number, rate: number, durationS: number): Promise<TBaseline> {
  const child = spawnTracked(process.execPath, ["--import", "tsx", "bench/src/echo-server.ts"]);
  const port = await listeningPort(child, "echo server");
  const sockets = await mapLimit(Array.from({ length: connections }), 200, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return ws;
  });
  const rtt = createHistogram();
  for (const ws of sockets) {
    ws.on("message", (data) => {
      const sentAt = Number(String(data).split(" ", 2)[1]);
      record(rtt, nowMs() - sentAt);
    });
  }
  const seconds = Math.min(3, durationS);
  const total = Math.floor(rate * seconds);
  const t0 = nowMs();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((nowMs() - t0) * rate) / 1000));
      while (sent < due) {
        sockets[sent % sockets.length]?.send(`echo ${nowMs()} ${"x".repeat(40)}`);
        sent += 1;
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const until = nowMs() + 3000;
  while (rtt.count < total && nowMs() < until) await sleep(20);
  for (const ws of sockets) ws.terminate();
  child.kill("SIGTERM");
  await exited(child);
  const p = percentiles(rtt);
  return {
    ...p,
    text: `raw ws echo RTT (${sockets.length} sockets, ${rate}/s, ${seconds}s): ${describe(rtt)}`,
  };
}
