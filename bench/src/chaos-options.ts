/**
 * `npm run chaos` options: the long matrix by default (issue 14's target: 100 gateway kills,
 * 10 Postgres restarts, 20 network cuts at 500 msg/s), `--short` a small matrix for CI (a few of
 * every fault, ≤ 90 s wall on a 2-core box); `--matrix` names the long one explicitly. Any option
 * given beats the preset.
 */
import { parseArgs } from "node:util";

export const USAGE = `usage: npm run chaos -- [--matrix | --short] [--duration S] [--rate R] [--kills K] [--redis-restarts N]
       [--pg-restarts N] [--net-cuts N] [--half-open N] [--net-delays N] [--slow-consumers N]
       [--channels C] [--senders-per-channel S] [--receivers-per-channel R] [--drain S]
       [--keep-logs] [--inject-checker-faults]`;

export type TChaosOptions = {
  short: boolean;
  durationS: number;
  rate: number;
  kills: number;
  redisRestarts: number;
  /** Postgres faults, alternating: fast shutdown + start, then SIGKILL of the postmaster + start. */
  pgRestarts: number;
  netCuts: number;
  halfOpen: number;
  netDelays: number;
  slowConsumers: number;
  channels: number;
  sendersPer: number;
  receiversPer: number;
  drainS: number;
  keepLogs: boolean;
  injectCheckerFaults: boolean;
};

const SHORT = {
  duration: 30,
  rate: 100,
  kills: 2,
  "redis-restarts": 1,
  "pg-restarts": 2,
  "net-cuts": 2,
  "half-open": 1,
  "net-delays": 1,
  "slow-consumers": 1,
  channels: 5,
  "senders-per-channel": 2,
  "receivers-per-channel": 3,
  drain: 40,
};
const LONG: typeof SHORT = {
  duration: 600,
  rate: 500,
  kills: 100,
  "redis-restarts": 10,
  "pg-restarts": 10,
  "net-cuts": 20,
  "half-open": 10,
  "net-delays": 10,
  "slow-consumers": 10,
  // 160 senders, ≈ 3 msg/s each (a chat server's load is many people each sending slowly; the
  // SDK keeps one send in flight per conversation): after an outage each works off its backlog
  // at up to its connection's 20 commands/s. 80 senders at 6 msg/s did not keep up (12-06).
  channels: 40,
  "senders-per-channel": 4,
  "receivers-per-channel": 3,
  // An upper bound: a run that keeps up drains in seconds; the backlog of ten Postgres outages
  // may take minutes to work off.
  drain: 300,
};

/** Parses argv; throws an Error with a one-line reason on bad input. */
export function parseChaosOptions(argv: string[]): TChaosOptions | "help" {
  const numeric = Object.keys(SHORT) as (keyof typeof SHORT)[];
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(numeric.map((k) => [k, { type: "string" as const }])),
      short: { type: "boolean", default: false },
      matrix: { type: "boolean", default: false },
      "keep-logs": { type: "boolean", default: false },
      "inject-checker-faults": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  if (values.short && values.matrix)
    throw new Error("--matrix (the long run) and --short exclude each other");
  const preset = values.short ? SHORT : LONG;
  const num = (k: keyof typeof SHORT) => {
    const raw = (values as Record<string, string | boolean | undefined>)[k] as string | undefined;
    const n = raw === undefined ? preset[k] : Number(raw);
    if (!Number.isFinite(n)) throw new Error(`--${k} must be a number`);
    return n;
  };
  const count = (k: keyof typeof SHORT, max: number) => {
    const n = num(k);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`--${k} must be 0…${max}`);
    return n;
  };
  const o: TChaosOptions = {
    short: values.short === true,
    durationS: num("duration"),
    rate: num("rate"),
    kills: count("kills", 300),
    redisRestarts: count("redis-restarts", 100),
    pgRestarts: count("pg-restarts", 100),
    netCuts: count("net-cuts", 200),
    halfOpen: count("half-open", 100),
    netDelays: count("net-delays", 100),
    slowConsumers: count("slow-consumers", 100),
    channels: count("channels", 50),
    sendersPer: count("senders-per-channel", 20),
    receiversPer: count("receivers-per-channel", 20),
    drainS: num("drain"),
    keepLogs: values["keep-logs"] === true,
    injectCheckerFaults: values["inject-checker-faults"] === true,
  };
  if (!(o.durationS > 0) || o.durationS > 900) throw new Error("--duration must be in (0, 900] seconds");
  if (!(o.rate > 0) || o.rate > 2000) throw new Error("--rate must be in (0, 2000]");
  if (!(o.drainS > 0)) throw new Error("--drain must be above 0");
  if (o.channels < 1 || o.sendersPer < 1 || o.receiversPer < 1) throw new Error("bad world size");
  const senders = o.channels * o.sendersPer;
  if (o.rate / senders > 15)
    throw new Error(
      `--rate ${o.rate} over ${senders} senders exceeds the gateway's 20 commands/s per connection; add senders`,
    );
  return o;
}
