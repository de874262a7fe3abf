/**
 * Progress of a long socket-opening phase (idle with 100,000 sockets takes minutes): every few
 * seconds one line with the sockets open so far, the connect rate since the last line, and where
 * the CPU went meanwhile — each gateway, each generator, the private redis-server, the bench
 * database's Postgres backends and the whole box (others share it) — in % of one core. Also keeps
 * the run's phase current, so a time limit says how far the opening got.
 */
import { availableParallelism } from "node:os";
import type { TDb } from "@parley/db";
import type { TPool } from "./generator-pool.ts";
import { boxCpu, cpuSecondsOf, nowMs } from "./harness.ts";
import { setPhase } from "./run.ts";
import { sum } from "./stats.ts";

export type TOpenWatch = {
  /** Stops the lines; returns the connect rate samples (sockets/s per interval). */
  stop(): number[];
};

/** Postgres backend pids serving the database `db` is connected to (for their CPU time). */
async function backendPids(db: TDb): Promise<number[]> {
  const rows = await db.$queryRaw<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`;
  return rows.map((r) => r.pid);
}

export function watchOpening(options: {
  pool: TPool;
  db: TDb;
  /** Sockets open before this wave (earlier waves) and the total the run will open. */
  before: number;
  total: number;
  gatewayPids: (number | undefined)[];
  redisPid: number | undefined;
  log: (line: string) => void;
  everyMs?: number;
}): TOpenWatch {
  const { pool, db, before, total, log } = options;
  const everyMs = options.everyMs ?? 5000;
  const generatorPids = pool.workers.map((w) => w.pid);
  const t0 = nowMs();
  let last = { at: t0, opened: before, box: boxCpu() };
  let cpu0 = snapshot([]);
  const rates: number[] = [];
  let isBusy = true;
  // The first interval must not count what the database's backends spent before this wave.
  void backendPids(db)
    .then((pids) => {
      cpu0 = snapshot(pids);
    })
    .catch(() => {})
    .finally(() => {
      isBusy = false;
    });

  function snapshot(pgPids: number[]) {
    return {
      gateways: options.gatewayPids.map(cpuSecondsOf),
      generators: generatorPids.map(cpuSecondsOf),
      redis: cpuSecondsOf(options.redisPid),
      postgres: new Map(pgPids.map((pid) => [pid, cpuSecondsOf(pid)])),
    };
  }

  const timer = setInterval(() => {
    if (isBusy) return;
    isBusy = true;
    void (async () => {
      const counts = await pool.all<{ opened: number; failed: number }>(() => ({ op: "count" }), 5000);
      const pgPids = await backendPids(db).catch(() => []);
      const now = nowMs();
      const box = boxCpu();
      const cpu = snapshot(pgPids);
      const opened = sum(counts.map((c) => c.opened));
      const failed = sum(counts.map((c) => c.failed));
      const seconds = (now - last.at) / 1000;
      const rate = (opened - last.opened) / seconds;
      rates.push(rate);
      const pct = (a: number, b: number) => `${Math.round(((a - b) / seconds) * 100)}`;
      // A backend that appeared since the last line counts from 0 (its whole life is this interval).
      const pgPct = sum([...cpu.postgres].map(([pid, s]) => s - (cpu0.postgres.get(pid) ?? 0))) / seconds;
      const cores = availableParallelism();
      const boxPct = ((box.busy - last.box.busy) / Math.max(box.total - last.box.total, 1e-9)) * 100 * cores;
      log(
        `opening:   ${((now - t0) / 1000).toFixed(0)}s ${opened.toLocaleString("en")} of ${total.toLocaleString("en")} open${failed ? ` (${failed} failed)` : ""}, ${rate.toFixed(0)}/s; CPU % of a core: gateways ${cpu.gateways.map((s, k) => pct(s, cpu0.gateways[k]!)).join(" ")}, generators ${cpu.generators.map((s, k) => pct(s, cpu0.generators[k]!)).join(" ")}, redis ${pct(cpu.redis, cpu0.redis)}, postgres ${Math.round(pgPct * 100)} (${pgPids.length} backends), box ${boxPct.toFixed(0)} of ${cores * 100}`,
      );
      setPhase(`opening sockets (${opened} of ${total} open, ${failed} failed)`);
      last = { at: now, opened, box };
      cpu0 = cpu;
    })()
      .catch((err: unknown) => log(`opening:   progress unavailable: ${String(err)}`))
      .finally(() => {
        isBusy = false;
      });
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return rates;
    },
  };
}
