/**
 * Shared plumbing for bench.ts and chaos.ts: throwaway databases, seeding, gateway child
 * processes, /proc sampling (CPU, RSS) and figure formatting. Everything started here is tracked
 * so `stopAll()` can end it; nothing here touches processes it did not start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { RecordableHistogram } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createAccessToken } from "@parley/core";
import type { TDb } from "@parley/db";
import { freePort } from "@parley/db/local-postgres";

/** The repository root (bench/src/ → ../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Milliseconds on a clock shared by every process on the box (sub-ms resolution). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { freePort };

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
) {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Databases (created and migrated by @parley/db/local-postgres's createMigratedDatabase)

/** Creates one personal access token per user (through core, as the SDK would get one). */
export async function tokensFor(
  db: TDb,
  users: readonly { id: string; role: "admin" | "member" | string }[],
) {
  return mapLimit(users, 8, async (user) => {
    const { token } = await createAccessToken(
      db,
      { userId: user.id, role: user.role as "member" },
      { name: "bench" },
    );
    return token;
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();

/** Kills (SIGKILL) every child this process started that is still running. */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
}

/** Spawns a tracked child; its output goes to our stderr with a prefix when `label` is given. */
export function spawnTracked(
  command: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    label?: string;
    showOutput?: boolean;
    /** Also (or instead) append the child's output here, prefixed with its label. */
    logTo?: NodeJS.WritableStream;
    /** Open an IPC channel (child.send / process.on("message")). */
    ipc?: boolean;
  } = {},
): ChildProcess {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: options.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const forward = (data: Buffer) => {
    for (const line of String(data).split("\n")) {
      if (!line.trim()) continue;
      if (options.showOutput) process.stderr.write(`[${options.label ?? command}] ${line}\n`);
      options.logTo?.write(`[${options.label ?? command}] ${line}\n`);
    }
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", forward);
  return child;
}

/** Waits until `child` has exited (resolves at once if it already has). */
/** The port a child prints as `listening <port>` once ready (echo-server.ts, fanout-server.ts). */
export function listeningPort(child: ChildProcess, what: string, timeoutMs = 15_000): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), timeoutMs);
    child.stdout?.on("data", (data: Buffer) => {
      const match = /listening (\d+)/.exec(String(data));
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A gateway child process (apps/realtime/src/main.ts). */
export type TGatewayProcess = {
  port: number;
  url: string;
  /** Its Prometheus endpoint (METRICS_PORT on loopback): `GET` gives core's registry. */
  metricsUrl: string;
  child: ChildProcess;
};

/** Starts apps/realtime/src/main.ts as a child and waits for GET /healthz to answer 200. */
export async function startGateway(options: {
  port?: number;
  databaseUrl: string;
  redisUrl?: string;
  authSecret: string;
  label?: string;
  logLevel?: string;
  timeoutMs?: number;
  /** Where the gateway's log goes instead of our stderr. */
  logTo?: NodeJS.WritableStream;
  /**
   * Run it with --expose-gc and bench/src/gateway-probe.ts preloaded, which answers IPC requests
   * (forced GC + memoryUsage, event-loop delay): see gateway-probe.ts.
   */
  probe?: boolean;
}): Promise<TGatewayProcess> {
  const port = options.port ?? (await freePort());
  const metricsPort = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    AUTH_SECRET: options.authSecret,
    REALTIME_PORT: String(port),
    METRICS_PORT: String(metricsPort),
    METRICS_HOST: "127.0.0.1",
    LOG_LEVEL: options.logLevel ?? "warn",
    NODE_ENV: "production",
  };
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  // BENCH_GATEWAY_NODE_ARGS: extra node flags for every gateway child (e.g. "--cpu-prof
  // --cpu-prof-dir=/tmp/prof" to profile it; the profile is written when it drains on SIGTERM).
  const extraArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const nodeArgs = options.probe
    ? ["--expose-gc", "--import", "tsx", "--import", "./bench/src/gateway-probe.ts"]
    : ["--import", "tsx"];
  const child = spawnTracked(process.execPath, [...extraArgs, ...nodeArgs, "apps/realtime/src/main.ts"], {
    ipc: options.probe ?? false,
    env: options.redisUrl ? env : { ...env, REDIS_URL: "" },
    label: options.label ?? `gateway:${port}`,
    showOutput: !options.logTo,
    ...(options.logTo ? { logTo: options.logTo } : {}),
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gateway on port ${port} exited during start (code ${child.exitCode})`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) {
        return {
          port,
          url: `ws://127.0.0.1:${port}/ws`,
          metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
          child,
        };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`gateway on port ${port} did not become healthy in time`);
}

/** Starts `redis-server` on a spare loopback port with persistence off; waits until it answers. */
export async function startRedis(
  port?: number,
  waitMs = 10_000,
): Promise<{ port: number; url: string; child: ChildProcess }> {
  const p = port ?? (await freePort());
  const child = spawnTracked(
    "redis-server",
    [
      "--port",
      String(p),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "no",
    ],
    { label: `redis:${p}` },
  );
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error("redis-server exited during start");
    if (await redisPing(p)) return { port: p, url: `redis://127.0.0.1:${p}`, child };
    await sleep(50);
  }
  child.kill("SIGKILL");
  await exited(child);
  throw new Error(`redis-server on ${p} did not answer PING within ${waitMs} ms`);
}

/**
 * One `INFO <section>` of the Redis at `url` (plain redis://host:port, no auth) as a field → value
 * map, e.g. `used_memory` of section `memory`.
 */
export function redisInfo(url: string, section: string): Promise<Map<string, string>> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    import("node:net").then(({ connect }) => {
      const socket = connect(Number(port || 6379), hostname);
      let text = "";
      socket.setTimeout(5000, () => {
        socket.destroy();
        reject(new Error(`redis INFO ${section}: no answer in 5 s`));
      });
      socket.once("error", reject);
      socket.once("connect", () => socket.write(`INFO ${section}\r\n`));
      socket.on("data", (data) => {
        text += String(data);
        // A bulk string: `$<length>\r\n<body>\r\n`.
        const header = /^\$(\d+)\r\n/.exec(text);
        if (!header) {
          if (text.includes("\r\n")) {
            socket.destroy();
            reject(new Error(`redis INFO ${section}: ${text.trim()}`));
          }
          return;
        }
        const body = text.slice(header[0].length);
        if (Buffer.byteLength(body) < Number(header[1])) return;
        socket.destroy();
        const fields = new Map<string, string>();
        for (const line of body.split("\r\n")) {
          const at = line.indexOf(":");
          if (at > 0 && !line.startsWith("#")) fields.set(line.slice(0, at), line.slice(at + 1));
        }
        resolve(fields);
      });
    }, reject);
  });
}

/** Sends an inline PING; true when +PONG comes back. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    import("node:net").then(({ connect }) => {
      const socket = connect(port, "127.0.0.1");
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once("error", () => done(false));
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.once("data", (data) => done(String(data).startsWith("+PONG")));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// /proc sampling

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** RSS of a process in bytes (0 when it is gone). */
export function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/**
 * The postmaster of the cluster `db` talks to (from `postmaster.pid` in its data directory, which
 * the bench can read when it runs on the database's box as root or postgres), or undefined.
 */
export async function postmasterPidOf(db: TDb): Promise<number | undefined> {
  try {
    const [row] = await db.$queryRaw<{ data_directory: string }[]>`SHOW data_directory`;
    const pid = Number(readFileSync(`${row?.data_directory}/postmaster.pid`, "utf8").split("\n", 1)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) so far of a postmaster and each of its children (backends, WAL
 * writer, checkpointer, autovacuum…), by pid: `postgresCpuSince` turns two samples into the
 * cluster's CPU in between. Other clusters on the box (and other processes' tests) are not counted.
 */
export function postgresCpu(postmasterPid: number | undefined): Map<number, number> {
  const byPid = new Map<number, number>();
  if (!postmasterPid) return byPid;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(entry);
      if (pid !== postmasterPid && Number(fields[1]) !== postmasterPid) continue;
      byPid.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // It ended between the listing and the read.
    }
  }
  return byPid;
}

/** The cluster's CPU seconds between two `postgresCpu` samples (processes that ended meanwhile are not counted). */
export function postgresCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/** Whole-box CPU counters (all cores): busy and total seconds since boot. */
export function boxCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Histogram values are recorded in microseconds; this prints milliseconds. */
export function ms(us: number): string {
  return (us / 1000).toFixed(us >= 100_000 ? 0 : 2);
}

/** Records a latency in ms into a µs histogram (histograms need integers ≥ 1). */
export function record(h: RecordableHistogram, latencyMs: number): void {
  h.record(Math.max(1, Math.round(latencyMs * 1000)));
}

/** Share (0–1) of a µs histogram's samples above `thresholdMs` (by bisecting its percentiles). */
export function shareOver(h: RecordableHistogram, thresholdMs: number): number {
  if (h.count === 0 || h.max <= thresholdMs * 1000) return 0;
  let lo = 0; // percentile at or below the threshold
  let hi = 100; // percentile above it
  for (let i = 0; i < 30; i += 1) {
    const mid = (lo + hi) / 2;
    if (h.percentile(mid) > thresholdMs * 1000) hi = mid;
    else lo = mid;
  }
  return (100 - hi) / 100;
}

/** p50/p99/p99.9/max of a µs histogram in ms, or "-" when empty. */
export function percentiles(h: RecordableHistogram) {
  if (h.count === 0) return { p50: "-", p99: "-", p999: "-", max: "-", mean: "-" };
  return {
    p50: ms(h.percentile(50)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
    mean: ms(h.mean),
  };
}

/** The histogram's percentiles on one line. */
export function describe(h: RecordableHistogram): string {
  const p = percentiles(h);
  return `n=${h.count} p50=${p.p50}ms p99=${p.p99}ms p99.9=${p.p999}ms max=${p.max}ms`;
}

/**
 * Percentiles of an event-loop delay monitor (ns) in ms. The monitor records the whole interval
 * between its timer's runs, so `resolutionMs` is subtracted to leave the lag alone.
 */
export function describeLoop(
  h: {
    count?: number;
    percentile(p: number): number;
    max: number;
    mean: number;
  },
  resolutionMs: number,
) {
  const f = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs).toFixed(1);
  return {
    p50: f(h.percentile(50)),
    p99: f(h.percentile(99)),
    max: f(h.max),
    text: `p50=${f(h.percentile(50))}ms p99=${f(h.percentile(99))}ms max=${f(h.max)}ms`,
  };
}
