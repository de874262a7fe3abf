/**
 * Preloaded into a gateway child (`node --expose-gc --import tsx --import ./bench/src/gateway-probe.ts
 * apps/realtime/src/main.ts`, started by startGateway({ probe: true })) so the bench can look
 * inside it without touching the gateway's code. Answers IPC requests `{ id, op }`:
 * - `memory`: forced full GC (twice), then process.memoryUsage() → { rss, heapUsed, heapTotal, external,
 *   arrayBuffers }, and `tcp`: how many TCP sockets the process holds (its clients + a few)
 * - `lagReset`: clears the event-loop delay histogram and starts a CPU-time window
 * - `lag`: its p50/p99/max in ms (timer resolution subtracted), the sample count, and `cpuPct`:
 *   this process's CPU time since `lagReset` in % of one core (a gateway with a high lag but a low
 *   cpuPct waited for a core the rest of the box held, not for its own work)
 * The bench only; production never loads this.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

const RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();

type TRequest = { id: number; op: "memory" | "lagReset" | "lag" };
const gc = (globalThis as { gc?: () => void }).gc;
const lagMs = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
let cpuFrom = { usage: process.cpuUsage(), at: performance.now() };

process.on("message", (raw) => {
  const request = raw as TRequest;
  const reply = (body: Record<string, unknown>) => process.send?.({ id: request.id, ...body });
  switch (request.op) {
    case "memory": {
      gc?.();
      gc?.();
      const m = process.memoryUsage();
      reply({
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        gc: !!gc,
        tcp: process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length,
      });
      return;
    }
    case "lagReset":
      loop.reset();
      cpuFrom = { usage: process.cpuUsage(), at: performance.now() };
      reply({});
      return;
    case "lag": {
      const cpu = process.cpuUsage(cpuFrom.usage);
      const seconds = Math.max((performance.now() - cpuFrom.at) / 1000, 0.001);
      reply({
        cpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
        p50: lagMs(loop.percentile(50)),
        p99: lagMs(loop.percentile(99)),
        max: lagMs(loop.max),
        count: loop.count,
      });
      return;
    }
    default:
      reply({ error: `unknown op ${String((request as { op?: unknown }).op)}` });
  }
});
// The IPC channel must not keep a gateway alive that is told to stop.
process.channel?.unref();
