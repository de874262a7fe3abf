/**
 * `npm run bench -- [options]`: load tests of the realtime gateway on this box, one scenario per
 * run, each ending with one machine-readable `bench: scenario=… key=value …` line (README.md).
 *
 * Every scenario builds its own world — a fresh database `parley_bench_<random>` (migrated,
 * dropped at the end), seeded users, conversations and personal access tokens, the gateway(s)
 * as child processes (and a private redis-server for `--engine redis`) — and drives raw `ws`
 * sockets speaking protocol frames (storm uses the SDK's ParleyClient).
 *
 * Files by job: options.ts (flags), run.ts (time limit, cleanup), setup.ts / world.ts /
 * seed-fast.ts (database and seeding), gateways.ts + gateway-probe.ts (gateway processes),
 * load.ts (sockets, open-loop sender, bookkeeping), traffic.ts (one measured window),
 * report.ts (output), baseline.ts (ws echo floor), generator-*.ts (multi-process generator),
 * scenarios/*.ts (one file per scenario).
 */
import { parseOptions, type TOptions } from "./options.ts";
import { runBounded } from "./run.ts";
import { runBacklog } from "./scenarios/backlog.ts";
import { runChannel } from "./scenarios/channel.ts";
import { runConnect } from "./scenarios/connect.ts";
import { runDm } from "./scenarios/dm.ts";
import { runFanout } from "./scenarios/fanout.ts";
import { runIdle } from "./scenarios/idle.ts";
import { runSearch } from "./scenarios/search.ts";
import { runSendPath } from "./scenarios/sendpath.ts";
import { runStorm } from "./scenarios/storm.ts";

const o = parseOptions();
const log = (line: string) => console.log(line);

type TRun = (o: TOptions, log: (line: string) => void, startedAt: number) => Promise<number>;
const SCENARIOS: Record<TOptions["scenario"], TRun> = {
  dm: runDm,
  channel50: runDm,
  channel: runChannel,
  idle: runIdle,
  connect: runConnect,
  backlog: runBacklog,
  storm: runStorm,
  search: runSearch,
  fanout: runFanout,
  sendpath: runSendPath,
};

async function main(): Promise<number> {
  const startedAt = Date.now();
  log(
    `run: ${o.sweep ? "sweep of " : ""}scenario=${o.scenario} connections=${o.connections} rate=${o.rate}/s duration=${o.durationS}s gateways=${o.gateways} engine=${o.engine}`,
  );
  return SCENARIOS[o.scenario](o, log, startedAt);
}

runBounded(
  main,
  o.timeLimitS > 0 ? o.timeLimitS * 1000 : hardLimitMs(o),
  ` (${o.timeLimitS > 0 ? "--time-limit" : "the default limit; set --time-limit S"} to change it)`,
);

/** Generous bound per scenario: setup (seeding, connects), the measured windows, drains, plus 300 s. */
function hardLimitMs(o: TOptions): number {
  const window = o.durationS + o.drainS;
  const extra: Record<TOptions["scenario"], number> = {
    dm: o.sweep ? 14 * (window + 5) : window,
    channel50: window,
    channel: window + o.members / 50,
    idle: o.trickleS + 60 + o.connections / 100,
    connect: o.connections / 20,
    storm: window + 300 + o.connections / 20,
    backlog: o.messages / 100 + (o.repeat + 8) * 60,
    search: o.messages / 500 + o.repeat * 60,
    fanout: window + o.members / 50,
    sendpath: o.messages / 50,
  };
  return (extra[o.scenario] + 300) * 1000;
}
