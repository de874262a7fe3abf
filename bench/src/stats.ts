/** Small figure helpers for the bench's report lines (the histogram ones live in harness.ts). */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { rssOf, sleep } from "./harness.ts";

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const pct = (a: number, b: number) => (b === 0 ? "-" : `${((a / b) * 100).toFixed(1)}%`);
export const ratio = (a: string, b: string) =>
  a === "-" || b === "-" ? "-" : `${(Number(a) / Number(b)).toFixed(1)}×`;

/** RSS per pid, the lowest of a few samples over ~1.5 s (a GC between samples only lowers it). */
export async function settledRss(pids: (number | undefined)[]): Promise<number[]> {
  let best = pids.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < 6; i += 1) {
    await sleep(250);
    best = pids.map((pid, k) => Math.min(best[k]!, rssOf(pid)));
  }
  return best;
}

/** Watches this process (the generator): CPU % of one core and event-loop lag p99 (ms) until stop(). */
export function watchGenerator(): () => { cpuPct: number; lagP99: number } {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - t0) / 1000;
    loop.disable();
    return {
      cpuPct: ((cpu.user + cpu.system) / 1e6 / Math.max(wall, 0.001)) * 100,
      lagP99: Math.max(0, loop.percentile(99) / 1e6 - 5),
    };
  };
}
