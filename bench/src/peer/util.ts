/**
 * Small shared pieces of the peer benchmark: percentiles, the `bench:`/`peer:` line format
 * (parse and print), free ports, /proc RSS, bounded concurrency.
 */
import { readFileSync } from "node:fs";

export { freePort } from "../harness.ts";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** p50/p99/max (ms, 1 decimal) of a list of samples; zeros when empty. */
export function percentiles(samples: number[]): { p50: number; p99: number; max: number; count: number } {
  if (samples.length === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  const r = (v: number) => Math.round(v * 10) / 10;
  return { p50: r(at(0.5)), p99: r(at(0.99)), max: r(sorted[sorted.length - 1] ?? 0), count: sorted.length };
}

export type TFigures = Record<string, string | number | boolean>;

/** `prefix: scenario=name k=v …` — the contract line (see bench/README.md). */
export function contractLine(prefix: "bench" | "peer", scenario: string, figures: TFigures): string {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${v}`);
  return `${prefix}: scenario=${scenario} ${parts.join(" ")}`;
}

/** Parses a `bench: scenario=… k=v` line into numbers (suffixes ms % s /s stripped) and strings. */
export function parseContractLine(
  line: string,
): { prefix: string; scenario: string; values: Record<string, number | string> } | null {
  const m = /^(bench|peer): scenario=(\S+)(.*)$/.exec(line.trim());
  if (!m) return null;
  const values: Record<string, number | string> = {};
  for (const pair of (m[3] ?? "").trim().split(/\s+/)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const raw = pair.slice(eq + 1);
    const num = Number(raw.replace(/(ms|%|\/s|s)$/, ""));
    values[pair.slice(0, eq)] = raw !== "" && Number.isFinite(num) ? num : raw;
  }
  return { prefix: m[1] as string, scenario: m[2] as string, values };
}

/** The last contract line of `output` for `scenario` (any prefix), or null. */
export function lastContractLine(output: string, prefix: "bench" | "peer", scenario: string) {
  const lines = output.split("\n").reverse();
  for (const line of lines) {
    const parsed = parseContractLine(line);
    if (parsed && parsed.prefix === prefix && parsed.scenario === scenario) return parsed;
  }
  return null;
}

/** Resident set size of a process in KB (0 when it is gone). */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Runs `fn` over 0…count-1 with at most `limit` in flight; results keep the order. */
export async function mapLimit<R>(
  count: number,
  limit: number,
  fn: (index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await fn(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
