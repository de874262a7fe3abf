/** Small figure helpers for the bench's report lines (the histogram ones live in harness.ts). */
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
