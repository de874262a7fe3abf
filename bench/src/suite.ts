/**
 * `npm run bench:suite -- [--only a,b] [--with-100k] [--list]`: issue 10's acceptance set in one
 * command — every shape for one gateway on the memory engine and for two gateways on Redis, run
 * one after the other (never two at once: they share the box), then one markdown table of the
 * figures that matter, each row beside its target. The raw `bench:` lines are printed as they
 * come, so a run cut short still leaves its figures. Run it on a quiet box (load < 1) and put the
 * table in docs/performance.md with date and load; `npm run bench:peer -- --sweep` gives the
 * peer's side.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { parseArgs } from "node:util";
import { parseContractLine } from "./peer/util.ts";

type TValues = Record<string, number | string>;
type TStep = {
  id: string;
  label: string;
  target: string;
  /** Options for one gateway (memory), and for two gateways on Redis; null: not measured so. */
  one: string[] | null;
  two: string[] | null;
  /** The cell from the run's last `bench:` line. */
  show: (v: TValues) => string;
};

const ms = (v: TValues, key: string) => `${v[key]} ms`;
const traffic = (v: TValues) => `p50 ${ms(v, "p50")}, p99 ${ms(v, "p99")} (${v.throughput}/s acked)`;
const channel = (v: TValues) =>
  `last member p50 ${ms(v, "last_p50")}, p99 ${ms(v, "last_p99")}, max ${ms(v, "last_max")}; incomplete ${v.incomplete}`;
const TWO = ["--gateways", "2", "--engine", "redis"];
/** Channel and floor rows: 3 s at the run's rate first, not counted (as dm's `--warmup 3`). */
const WARM = ["--warmup", "3"];

const STEPS: TStep[] = [
  {
    id: "sweep",
    label: "`--sweep --warmup 3`: best dm rate at p99 ≤ 50 ms",
    target: "P2 ≥ 10,000 msg/s",
    one: ["--sweep", "--warmup", "3"],
    two: ["--sweep", "--warmup", "3", ...TWO],
    show: (v) => `${v.best_rate} msg/s (p99 ${ms(v, "best_p99")})`,
  },
  {
    id: "dm2000",
    label: "dm 2,000 msg/s, 1,000 sockets, `--warmup 3`",
    target: "P3 p50 ≤ 3, p99 ≤ 10 ms",
    one: ["--scenario", "dm", "--connections", "1000", "--rate", "2000", "--duration", "15", "--warmup", "3"],
    two: [
      "--scenario",
      "dm",
      "--connections",
      "1000",
      "--rate",
      "2000",
      "--duration",
      "15",
      "--warmup",
      "3",
      ...TWO,
    ],
    show: traffic,
  },
  {
    id: "channel2000",
    label: "channel, 2,000 members, 10 msg/s, `--warmup 3`",
    target: "P4 p99 ≤ 60 ms",
    one: ["--scenario", "channel", "--members", "2000", "--generators", "3", ...WARM],
    two: ["--scenario", "channel", "--members", "2000", "--generators", "3", ...WARM, ...TWO],
    show: channel,
  },
  {
    id: "channel10000",
    label: "channel, 10,000 members, 10 msg/s, `--warmup 3`",
    target: "P4 p99 ≤ 250 ms",
    one: ["--scenario", "channel", "--members", "10000", "--generators", "4", ...WARM],
    two: ["--scenario", "channel", "--members", "10000", "--generators", "4", ...WARM, ...TWO],
    show: channel,
  },
  {
    id: "floor2000",
    label: "floor: a bare ws server, 2,000 sockets, 10 frames/s each (`--scenario fanout --warmup 3`)",
    target: "what the box allows for P4",
    one: ["--scenario", "fanout", "--members", "2000", "--generators", "3", "--frame-bytes", "640", ...WARM],
    two: null,
    show: channel,
  },
  {
    id: "floor10000",
    label: "floor: a bare ws server, 10,000 sockets, 10 frames/s each",
    target: "what the box allows for P4",
    one: ["--scenario", "fanout", "--members", "10000", "--generators", "4", "--frame-bytes", "640", ...WARM],
    two: null,
    show: channel,
  },
  {
    id: "idle19000",
    label: "idle, 19,000 sockets (trickle 100 msg/s)",
    target: "P1 ≤ 10 KB/socket, lag p99 ≤ 20 ms",
    one: ["--scenario", "idle", "--connections", "19000"],
    two: ["--scenario", "idle", "--connections", "19000", ...TWO],
    show: (v) => `${v.kb_per_conn} KB RSS/socket; idle lag p99 ${ms(v, "idle_lag_p99")}`,
  },
  {
    id: "idle100k",
    label: "idle, 100,000 sockets over 6 gateways (`--with-100k`)",
    target: "P1 100,000 on the box",
    one: null,
    two: [
      "--scenario",
      "idle",
      "--connections",
      "100000",
      "--gateways",
      "6",
      "--generators",
      "6",
      "--engine",
      "redis",
    ],
    show: (v) => `${v.opened} opened; ${v.kb_per_conn} KB RSS/socket; idle lag p99 ${ms(v, "idle_lag_p99")}`,
  },
  {
    id: "connect",
    label: "connect, 5,000 (auth + hello → welcome, 200 in flight)",
    target: "P5 ≥ 2,000/s",
    one: ["--scenario", "connect", "--connections", "5000"],
    two: ["--scenario", "connect", "--connections", "5000", ...TWO],
    show: (v) => `${v.connects_per_s}/s, p99 ${ms(v, "p99")}, ${v.gw_cpu_ms_per_connect} ms CPU each`,
  },
  {
    id: "storm",
    label: "storm: 19,000 SDK clients, SIGKILL the gateway holding most",
    target: "P5 ≤ 30 s, nothing lost",
    one: null,
    two: ["--scenario", "storm", "--connections", "19000", ...TWO],
    show: (v) => `${v.recovered_s} s; lost ${v.lost}, duplicated ${v.duplicated}, reordered ${v.reordered}`,
  },
  {
    id: "backlog500",
    label: "backlog 500 over 3, welcome → last replayed",
    target: "P6 ≤ 10 ms",
    one: ["--scenario", "backlog", "--messages", "500", "--conversations", "3"],
    two: ["--scenario", "backlog", "--messages", "500", "--conversations", "3", ...TWO],
    show: (v) => `median ${ms(v, "median_ms")}, max ${ms(v, "max_ms")}, ordered ${v.ordered}`,
  },
  {
    id: "backlog10000",
    label: "backlog 10,000 over 50",
    target: "P6 ≤ 150 ms",
    one: ["--scenario", "backlog", "--messages", "10000", "--conversations", "50"],
    two: ["--scenario", "backlog", "--messages", "10000", "--conversations", "50", ...TWO],
    show: (v) => `median ${ms(v, "median_ms")}, max ${ms(v, "max_ms")}, ordered ${v.ordered}`,
  },
];

/** Runs `npm run bench -- args`, echoing its output; resolves with its last `bench:` line. */
function runBench(args: string[]): Promise<TValues | null> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "--silent", "bench", "--", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let last: TValues | null = null;
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const parsed = parseContractLine(line);
        if (parsed?.prefix === "bench") last = parsed.values;
      }
    });
    child.on("close", () => resolve(last));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: "string" }, "with-100k": { type: "boolean" }, list: { type: "boolean" } },
  });
  if (values.list) {
    for (const step of STEPS) console.log(`${step.id.padEnd(14)} ${step.label}`);
    return;
  }
  const only = values.only?.split(",");
  const unknown = only?.filter((id) => !STEPS.some((step) => step.id === id)) ?? [];
  if (unknown.length > 0) {
    console.error(`bench:suite: unknown step(s) ${unknown.join(", ")} (see --list)`);
    process.exit(2);
  }
  const steps = STEPS.filter((step) =>
    only ? only.includes(step.id) : step.id !== "idle100k" || values["with-100k"] === true,
  );
  const startedAt = new Date();
  const load = os.loadavg()[0]!.toFixed(1);
  const rows: string[] = [];
  for (const step of steps) {
    const cells: string[] = [];
    for (const args of [step.one, step.two]) {
      if (!args) {
        cells.push("—");
        continue;
      }
      console.log(`\n=== bench:suite ${step.id}: npm run bench -- ${args.join(" ")}`);
      const figures = await runBench(args);
      cells.push(figures ? step.show(figures) : "no figure (the run failed: see above)");
    }
    rows.push(`| ${step.label} | ${cells[0]} | ${cells[1]} | ${step.target} |`);
  }
  console.log(
    `\nbench:suite ${startedAt.toISOString()} → ${new Date().toISOString()}, ${os.cpus().length} cores, load at start ${load}\n`,
  );
  console.log("| shape | one gateway, memory engine | two gateways on Redis | target (issue 10) |");
  console.log("| --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
}

await main();
