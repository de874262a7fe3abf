/**
 * Command-line options of `npm run bench`: parsing, defaults and validation (a bad option exits 2
 * with the usage). Everything else reads the frozen `TOptions` this returns.
 */
import { parseArgs } from "node:util";

export const USAGE = `usage: npm run bench -- [--connections 200] [--rate 100] [--duration 10]
       [--scenario dm|channel50] [--gateways 1] [--engine memory|redis]
       [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--redis-url redis://…]
       [--drain 10] [--no-baseline] [--keep-db]`;

export type TScenario = "dm" | "channel50";

export type TOptions = {
  scenario: TScenario;
  connections: number;
  rate: number;
  durationS: number;
  gateways: number;
  engine: "memory" | "redis";
  drainS: number;
  serverUrl: string;
  redisUrl: string | undefined;
  noBaseline: boolean;
  keepDb: boolean;
};

export const CHANNEL_SIZE = 50;

export function fail(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

export function parseOptions(args: string[] = process.argv.slice(2)): TOptions {
  const { values: opts } = parseArgs({
    args,
    options: {
      connections: { type: "string", default: "200" },
      rate: { type: "string", default: "100" },
      duration: { type: "string", default: "10" },
      scenario: { type: "string", default: "dm" },
      gateways: { type: "string", default: "1" },
      engine: { type: "string" },
      "database-url": { type: "string" },
      "redis-url": { type: "string" },
      drain: { type: "string", default: "10" },
      "no-baseline": { type: "boolean", default: false },
      "keep-db": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (opts.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const o: TOptions = {
    scenario: opts.scenario as TScenario,
    connections: Number(opts.connections),
    rate: Number(opts.rate),
    durationS: Number(opts.duration),
    gateways: Number(opts.gateways),
    engine: (opts.engine ?? (Number(opts.gateways) > 1 ? "redis" : "memory")) as "memory" | "redis",
    drainS: Number(opts.drain),
    serverUrl: opts["database-url"] ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    redisUrl: opts["redis-url"],
    noBaseline: opts["no-baseline"] ?? false,
    keepDb: opts["keep-db"] ?? false,
  };
  if (!Number.isInteger(o.connections) || o.connections < 2) fail("--connections must be an integer ≥ 2");
  if (!(o.rate > 0) || o.rate > 100_000) fail("--rate must be in (0, 100000]");
  if (!(o.durationS > 0) || o.durationS > 600) fail("--duration must be in (0, 600] seconds");
  if (o.scenario !== "dm" && o.scenario !== "channel50") fail("--scenario must be dm or channel50");
  if (o.scenario === "dm" && o.connections % 2 !== 0) fail("--scenario dm needs an even --connections");
  if (o.scenario === "channel50" && o.connections % CHANNEL_SIZE !== 0) {
    fail(`--scenario channel50 needs --connections to be a multiple of ${CHANNEL_SIZE}`);
  }
  if (!Number.isInteger(o.gateways) || o.gateways < 1 || o.gateways > 8) fail("--gateways must be 1…8");
  if (o.engine !== "memory" && o.engine !== "redis") fail("--engine must be memory or redis");
  if (o.gateways > 1 && o.engine === "memory") {
    console.error("bench: warning: several gateways with the memory engine cannot deliver across gateways");
  }
  if (o.connections > 19_000) fail("one generator process holds at most ~19,000 sockets (20k open files)");
  return Object.freeze(o);
}
