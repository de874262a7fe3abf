/**
 * Command-line options of `npm run bench`: parsing, per-scenario defaults and validation (a bad
 * option exits 2 with the usage). Everything else reads the frozen `TOptions` this returns.
 */
import { parseArgs } from "node:util";

export const USAGE = `usage: npm run bench -- [--scenario dm|channel50|channel|idle|connect|storm|backlog|search|fanout|sendpath] [--sweep]
       [--connections 200] [--rate R] [--duration 10] [--gateways 1] [--engine memory|redis|redis-cluster]
       [--members 2000] [--generators W] (channel, fanout) [--frame-bytes 600] (fanout)  [--generators W] [--trickle 20] [--in-flight 100 per generator] (idle)  [--in-flight 200] (connect)
       [--messages 500] [--conversations 3] [--repeat 5] (backlog)  [--max-rate 20000] (sweep)
       [--messages 1000000] [--conversations 200] [--repeat 5] (search)  [--messages 5000] (sendpath, per batch size)
       [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--redis-url redis://…]
       [--warmup S] (dm, channel, fanout: S seconds of traffic first, not counted)
       [--drain 10] [--no-baseline] [--keep-db] [--time-limit S]`;

/** A sweep step passes with a delivery p99 at most this (and every message acked or delivered). */
export const SWEEP_P99_MS = 50;
/**
 * Runs more of a step that failed before it counts as failed. A 10-second step's p99 is its
 * 100th-worst message of 10,000 or so: on a box where p99 sits near 50 ms across a wide range of
 * rates, one unlucky step (a checkpoint, a neighbour's burst) ended the search far below the rest
 * (750 msg/s in one run, 2,600 in the next, docs/performance.md fifteenth round).
 */
export const SWEEP_RETRIES = 1;

export const SCENARIOS = [
  "dm",
  "channel50",
  "channel",
  "idle",
  "connect",
  "storm",
  "backlog",
  "search",
  "fanout",
  "sendpath",
] as const;
export type TScenario = (typeof SCENARIOS)[number];

export type TOptions = {
  scenario: TScenario;
  sweep: boolean;
  connections: number;
  rate: number;
  durationS: number;
  gateways: number;
  engine: "memory" | "redis" | "redis-cluster";
  drainS: number;
  serverUrl: string;
  redisUrl: string | undefined;
  noBaseline: boolean;
  keepDb: boolean;
  members: number;
  /** idle: generator processes; channel: receiving processes, 0 = all members in this process. */
  generators: number;
  trickleS: number;
  inFlight: number;
  messages: number;
  conversations: number;
  repeat: number;
  maxRate: number;
  /** dm/channel50/sweep: seconds of unreported traffic first (JIT, pools, member caches). */
  warmupS: number;
  /** fanout: bytes of each frame the bare server writes (the gateway's message frame size). */
  frameBytes: number;
  /** The whole run's limit in seconds (0: the scenario's default, bench.ts hardLimitMs). */
  timeLimitS: number;
};

export const CHANNEL_SIZE = 50;
/** Sockets one process (gateway or generator) may hold: open files are capped at 20,000. */
export const SOCKETS_PER_PROCESS = 19_000;

export function fail(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

const DEFAULT_RATE: Record<TScenario, number> = {
  dm: 100,
  channel50: 100,
  channel: 10,
  idle: 100,
  connect: 0,
  storm: 20,
  backlog: 0,
  search: 0,
  fanout: 10,
  sendpath: 0,
};

export function parseOptions(args: string[] = process.argv.slice(2)): TOptions {
  const { values: opts } = parseArgs({
    args,
    options: {
      scenario: { type: "string", default: "dm" },
      sweep: { type: "boolean", default: false },
      connections: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string", default: "10" },
      gateways: { type: "string", default: "1" },
      engine: { type: "string" },
      "database-url": { type: "string" },
      "redis-url": { type: "string" },
      drain: { type: "string", default: "10" },
      "no-baseline": { type: "boolean", default: false },
      "keep-db": { type: "boolean", default: false },
      members: { type: "string", default: "2000" },
      generators: { type: "string" },
      trickle: { type: "string", default: "20" },
      "in-flight": { type: "string" },
      messages: { type: "string" },
      conversations: { type: "string" },
      repeat: { type: "string", default: "5" },
      "max-rate": { type: "string", default: "20000" },
      warmup: { type: "string" },
      "time-limit": { type: "string", default: "0" },
      "frame-bytes": { type: "string", default: "600" },
      help: { type: "boolean", default: false },
    },
  });
  if (opts.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const scenario = (opts.sweep ? "dm" : opts.scenario) as TScenario;
  if (!SCENARIOS.includes(scenario)) fail(`--scenario must be one of ${SCENARIOS.join(", ")}`);
  if (opts.sweep && opts.scenario !== "dm") fail("--sweep runs dm steps: leave --scenario out");
  const gateways = Number(opts.gateways);
  const defaultConnections = scenario === "storm" ? 1000 : scenario === "connect" ? 2000 : 200;
  const connections = Number(opts.connections ?? (opts.sweep ? 1000 : defaultConnections));
  const o: TOptions = {
    scenario,
    sweep: opts.sweep ?? false,
    connections,
    rate: Number(opts.rate ?? DEFAULT_RATE[scenario]),
    durationS: Number(opts.duration),
    gateways,
    engine: (opts.engine ?? (gateways > 1 ? "redis" : "memory")) as "memory" | "redis" | "redis-cluster",
    drainS: Number(opts.drain),
    serverUrl: opts["database-url"] ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    redisUrl: opts["redis-url"],
    noBaseline: opts["no-baseline"] ?? false,
    keepDb: opts["keep-db"] ?? false,
    members: Number(opts.members),
    // channel without --generators keeps every member in this process (figures stay comparable).
    generators: Number(
      opts.generators ??
        (scenario === "channel" ? 0 : scenario === "fanout" ? 4 : Math.ceil(connections / 18_000)),
    ),
    trickleS: Number(opts.trickle),
    inFlight: Number(opts["in-flight"] ?? (scenario === "idle" ? 100 : 200)),
    messages: Number(
      opts.messages ?? (scenario === "search" ? 1_000_000 : scenario === "sendpath" ? 5_000 : 500),
    ),
    conversations: Number(opts.conversations ?? (scenario === "search" ? 200 : 3)),
    repeat: Number(opts.repeat),
    maxRate: Number(opts["max-rate"]),
    warmupS: Number(opts.warmup ?? (opts.sweep ? 2 : 0)),
    timeLimitS: Number(opts["time-limit"]),
    frameBytes: Number(opts["frame-bytes"]),
  };
  validate(o);
  return Object.freeze(o);
}

function validate(o: TOptions): void {
  const isInt = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
  if (!isInt(o.connections, 2, 200_000)) fail("--connections must be an integer in [2, 200000]");
  if (
    o.scenario !== "connect" &&
    o.scenario !== "backlog" &&
    o.scenario !== "search" &&
    o.scenario !== "sendpath" &&
    (!(o.rate > 0) || o.rate > 100_000)
  )
    fail("--rate must be in (0, 100000]");
  if (!(o.durationS > 0) || o.durationS > 600) fail("--duration must be in (0, 600] seconds");
  if (!(o.drainS >= 0) || o.drainS > 600) fail("--drain must be in [0, 600] seconds");
  if (!isInt(o.gateways, 1, 16)) fail("--gateways must be 1…16");
  if (o.engine !== "memory" && o.engine !== "redis" && o.engine !== "redis-cluster") {
    fail("--engine must be memory, redis or redis-cluster");
  }
  if (o.gateways > 1 && o.engine === "memory") {
    console.error("bench: warning: several gateways with the memory engine cannot deliver across gateways");
  }
  if ((o.scenario === "dm" || o.scenario === "idle" || o.scenario === "storm") && o.connections % 2 !== 0)
    fail(`--scenario ${o.scenario} needs an even --connections (users in DM pairs)`);
  if (o.scenario === "channel50" && o.connections % CHANNEL_SIZE !== 0) {
    fail(`--scenario channel50 needs --connections to be a multiple of ${CHANNEL_SIZE}`);
  }
  if (o.scenario === "fanout") {
    if (!isInt(o.members, 2, 10_000)) fail("--members must be 2…10000");
    if (!isInt(o.generators, 1, 16)) fail("--generators must be 1…16 (fanout)");
    if (!isInt(o.frameBytes, 64, 60_000)) fail("--frame-bytes must be 64…60000");
  }
  if (o.scenario === "channel") {
    if (!isInt(o.members, 2, 10_000)) fail("--members must be 2…10000");
    if (!isInt(o.generators, 0, 16))
      fail("--generators must be 1…16 (channel; leave it out for one process)");
  }
  if (o.scenario === "idle") {
    if (!isInt(o.generators, 1, 64)) fail("--generators must be 1…64");
    if (o.connections / o.generators > SOCKETS_PER_PROCESS)
      fail(`--generators ${o.generators}: at most ${SOCKETS_PER_PROCESS} sockets per generator process`);
    if (o.connections / o.gateways > SOCKETS_PER_PROCESS)
      fail(`--gateways ${o.gateways}: at most ${SOCKETS_PER_PROCESS} sockets per gateway process`);
    if (!(o.trickleS > 0) || o.trickleS > 120) fail("--trickle must be in (0, 120] seconds");
  } else if (o.connections > SOCKETS_PER_PROCESS) {
    fail(
      `one generator process holds at most ~${SOCKETS_PER_PROCESS} sockets here (only idle spreads over several)`,
    );
  }
  if ((o.scenario === "connect" || o.scenario === "idle") && !isInt(o.inFlight, 1, 5000))
    fail("--in-flight must be 1…5000");
  if (o.scenario === "storm" && (o.gateways < 2 || o.engine === "memory"))
    fail("--scenario storm needs --gateways ≥ 2 on --engine redis (clients move to a survivor)");
  if (o.scenario === "search") {
    if (!isInt(o.conversations, 1, 10_000)) fail("--conversations must be 1…10000");
    if (!isInt(o.messages, o.conversations, 10_000_000)) fail("--messages must be ≥ --conversations (≤ 1e7)");
    if (!isInt(o.repeat, 1, 100)) fail("--repeat must be 1…100");
  }
  if (o.scenario === "backlog") {
    if (!isInt(o.conversations, 1, 1000)) fail("--conversations must be 1…1000");
    if (!isInt(o.messages, o.conversations, 1_000_000)) fail("--messages must be ≥ --conversations (≤ 1e6)");
    if (!isInt(o.repeat, 1, 100)) fail("--repeat must be 1…100");
  }
  if (o.sweep && !(o.maxRate > 0)) fail("--max-rate must be > 0");
  if (!(o.warmupS >= 0)) fail("--warmup must be ≥ 0 seconds");
  if (!(o.timeLimitS >= 0) || o.timeLimitS > 24 * 3600)
    fail("--time-limit must be in [0, 86400] seconds (0: default)");
}
