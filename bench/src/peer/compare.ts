/**
 * `npm run bench:peer -- [options]`: Parley and a real chat server (ejabberd from Debian) on the
 * same shapes in one run, with Parley/peer ratios.
 *
 * First every selected Parley scenario runs as `npm run bench -- --scenario X …` (a child; its
 * last `bench:` line is parsed, `n/a` when the scenario does not exist or fails). Then a private
 * ejabberd starts (ejabberd.ts), users are registered inside the node, the same shapes run over
 * raw XMPP (load.ts, sessions.ts) printing `peer:` lines, ejabberd is stopped and its temp dir
 * removed. Last: a table (Parley, peer, ratio per figure) and one `bench:peer …` line.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { peerUnavailable, startEjabberd, stopAllSync, systemEjabberdPids } from "./ejabberd.ts";
import { runChannel, runDm, runSweep, type TPeerContext } from "./load.ts";
import { runBacklog, runConnect, runIdle } from "./sessions.ts";
import { contractLine, lastContractLine, sleep, type TFigures } from "./util.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ALL = ["dm", "sweep", "channel", "idle", "connect", "backlog"] as const;
type TShape = (typeof ALL)[number];

const USAGE = `usage: npm run bench:peer -- [--scenarios dm,channel,idle,connect,backlog] [--sweep]
       [--connections 1000] [--rate 2000] [--duration 10] [--drain 10] [--max-rate 20000] (dm, sweep)
       [--warmup 3] (dm, sweep, channel: seconds of unreported traffic first, on both sides)
       [--members 2000] [--channel-rate 10] [--muc-presence moderator|all] (channel)  [--idle-connections 19000] [--trickle 20] (idle)
       [--connects 2000] [--in-flight 200] (connect)  [--messages 500] [--conversations 3] [--repeat 5] (backlog)
       [--peer-only] [--parley-args "--gateways 2 --engine redis"] [--time-limit 3600]`;

const { values: a } = parseArgs({
  options: {
    scenarios: { type: "string", default: "dm,channel,idle,connect,backlog" },
    sweep: { type: "boolean", default: false },
    connections: { type: "string", default: "1000" },
    rate: { type: "string", default: "2000" },
    duration: { type: "string", default: "10" },
    drain: { type: "string", default: "10" },
    "max-rate": { type: "string", default: "20000" },
    warmup: { type: "string", default: "3" },
    members: { type: "string", default: "2000" },
    "channel-rate": { type: "string", default: "10" },
    "muc-presence": { type: "string", default: "moderator" },
    "idle-connections": { type: "string", default: "19000" },
    trickle: { type: "string", default: "20" },
    connects: { type: "string", default: "2000" },
    "in-flight": { type: "string", default: "200" },
    messages: { type: "string", default: "500" },
    conversations: { type: "string", default: "3" },
    repeat: { type: "string", default: "5" },
    "peer-only": { type: "boolean", default: false },
    "parley-args": { type: "string", default: "" },
    "time-limit": { type: "string", default: "3600" },
    help: { type: "boolean", default: false },
  },
});
if (a.help) {
  console.log(USAGE);
  process.exit(0);
}

function fail(message: string): never {
  console.error(`bench:peer: ${message}\n${USAGE}`);
  process.exit(2);
}
const int = (name: keyof typeof a, min: number, max: number): number => {
  const v = Number(a[name]);
  if (!Number.isInteger(v) || v < min || v > max) fail(`--${name} must be an integer in [${min}, ${max}]`);
  return v;
};
const o = {
  connections: int("connections", 2, 19_000),
  rate: int("rate", 1, 100_000),
  durationS: int("duration", 1, 600),
  drainS: int("drain", 0, 600),
  maxRate: int("max-rate", 500, 100_000),
  warmupS: int("warmup", 0, 600),
  members: int("members", 2, 10_000),
  channelRate: int("channel-rate", 1, 1000),
  idle: int("idle-connections", 2, 19_000),
  trickleS: int("trickle", 1, 600),
  connects: int("connects", 1, 19_000),
  inFlight: int("in-flight", 1, 5000),
  messages: int("messages", 1, 100_000),
  conversations: int("conversations", 1, 1000),
  repeat: int("repeat", 1, 100),
  timeLimitS: int("time-limit", 60, 86_400),
};
if (o.connections % 2 !== 0) fail("--connections must be even (clients in pairs)");
if (o.messages < o.conversations) fail("--messages must be ≥ --conversations");
const mucPresence = a["muc-presence"] as "moderator" | "all";
if (mucPresence !== "moderator" && mucPresence !== "all") fail("--muc-presence must be moderator or all");
const shapes = (a.scenarios ?? "").split(",").filter(Boolean) as TShape[];
if (a.sweep && !shapes.includes("sweep")) shapes.push("sweep");
for (const s of shapes) if (!ALL.includes(s)) fail(`unknown scenario ${s} (one of ${ALL.join(", ")})`);
const parleyExtra = (a["parley-args"] ?? "").split(/\s+/).filter(Boolean);

/** The Parley bench's arguments for a shape (bench/README.md), and the scenario name its line carries. */
function parleyArgs(shape: TShape): [string[], string] {
  const common = ["--no-baseline", ...parleyExtra];
  switch (shape) {
    case "dm":
      return [
        [
          "--scenario",
          "dm",
          "--connections",
          `${o.connections}`,
          "--rate",
          `${o.rate}`,
          "--duration",
          `${o.durationS}`,
          "--drain",
          `${o.drainS}`,
          "--warmup",
          `${o.warmupS}`,
          ...common,
        ],
        "dm",
      ];
    case "sweep":
      return [
        [
          "--sweep",
          "--connections",
          `${o.connections}`,
          "--duration",
          `${o.durationS}`,
          "--max-rate",
          `${o.maxRate}`,
          "--warmup",
          `${o.warmupS}`,
          ...common,
        ],
        "sweep",
      ];
    case "channel":
      return [
        [
          "--scenario",
          "channel",
          "--members",
          `${o.members}`,
          "--rate",
          `${o.channelRate}`,
          "--duration",
          `${o.durationS}`,
          "--drain",
          `${o.drainS}`,
          "--warmup",
          `${o.warmupS}`,
          ...common,
        ],
        "channel",
      ];
    case "idle":
      return [
        ["--scenario", "idle", "--connections", `${o.idle}`, "--trickle", `${o.trickleS}`, ...common],
        "idle",
      ];
    case "connect":
      return [
        [
          "--scenario",
          "connect",
          "--connections",
          `${o.connects}`,
          "--in-flight",
          `${o.inFlight}`,
          ...common,
        ],
        "connect",
      ];
    case "backlog":
      return [
        [
          "--scenario",
          "backlog",
          "--messages",
          `${o.messages}`,
          "--conversations",
          `${o.conversations}`,
          "--repeat",
          `${o.repeat}`,
          ...common,
        ],
        "backlog",
      ];
  }
}

/** Figures compared per shape: key, unit, and whether higher is better. */
const COMPARED: Record<TShape, [string, string, "higher" | "lower"][]> = {
  dm: [
    ["p50", "ms", "lower"],
    ["p99", "ms", "lower"],
    ["throughput", "msg/s", "higher"],
  ],
  sweep: [
    ["best_rate", "msg/s", "higher"],
    ["best_p99", "ms", "lower"],
  ],
  channel: [
    ["last_p50", "ms", "lower"],
    ["last_p99", "ms", "lower"],
    ["last_max", "ms", "lower"],
  ],
  idle: [
    ["kb_per_conn", "KB", "lower"],
    ["ping_p99", "ms", "lower"],
  ],
  connect: [
    ["connects_per_s", "/s", "higher"],
    ["p99", "ms", "lower"],
  ],
  backlog: [
    ["median_ms", "ms", "lower"],
    ["max_ms", "ms", "lower"],
  ],
};

const log = (line: string) => console.log(line);
let parleyChild: ReturnType<typeof spawn> | undefined;
const cleanupSync = () => {
  stopAllSync();
  if (parleyChild && parleyChild.exitCode === null) parleyChild.kill("SIGINT");
};
process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    console.error(`bench:peer: ${signal}: stopping`);
    cleanupSync();
    process.exit(130);
  });
}
const hardTimer = setTimeout(() => {
  console.error(`bench:peer: hard time limit (${o.timeLimitS} s) reached; stopping`);
  cleanupSync();
  process.exit(2);
}, o.timeLimitS * 1000);
hardTimer.unref();

/** Runs one Parley scenario; its output passes through indented; returns its contract line's values. */
function runParley(shape: TShape): Promise<Record<string, number | string> | null> {
  const [args, scenario] = parleyArgs(shape);
  log(`\n== Parley ${shape}: npm run bench -- ${args.join(" ")}`);
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "--silent", "bench", "--", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    parleyChild = child;
    let out = "";
    const pass = (d: Buffer) => {
      const text = d.toString();
      out += text;
      process.stdout.write(text.replace(/^(?=.)/gm, "  | "));
    };
    child.stdout?.on("data", pass);
    child.stderr?.on("data", pass);
    child.on("exit", (code) => {
      parleyChild = undefined;
      const line = lastContractLine(out, "bench", scenario);
      if (!line)
        log(
          `  (no \`bench: scenario=${scenario}\` line${code ? `, exit ${code}` : ""}: Parley's figure is n/a)`,
        );
      resolve(line?.values ?? null);
    });
  });
}

async function runPeer(ctx: TPeerContext, shape: TShape): Promise<TFigures | null> {
  log(`\n== ejabberd ${shape}`);
  try {
    switch (shape) {
      case "dm":
        return await runDm(ctx, {
          connections: o.connections,
          rate: o.rate,
          durationS: o.durationS,
          drainS: o.drainS,
          warmupS: o.warmupS,
        });
      case "sweep":
        return await runSweep(
          ctx,
          {
            connections: o.connections,
            durationS: o.durationS,
            drainS: o.drainS,
            maxRate: o.maxRate,
            warmupS: o.warmupS,
          },
          (f) => log(contractLine("peer", "dm", f)),
        );
      case "channel":
        return await runChannel(ctx, {
          members: o.members,
          rate: o.channelRate,
          durationS: o.durationS,
          drainS: o.drainS,
          warmupS: o.warmupS,
        });
      case "idle":
        return await runIdle(ctx, { connections: o.idle, trickleS: o.trickleS });
      case "connect":
        return await runConnect(ctx, { connections: o.connects, inFlight: o.inFlight });
      case "backlog":
        return await runBacklog(ctx, {
          messages: o.messages,
          conversations: o.conversations,
          repeat: o.repeat,
        });
    }
  } catch (err) {
    log(`peer: ${shape} failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

const num = (v: unknown): number | null => {
  const n = typeof v === "number" ? v : Number.parseFloat(String(v ?? ""));
  return Number.isFinite(n) ? n : null;
};

async function main(): Promise<void> {
  const startedAt = Date.now();
  const parley: Partial<Record<TShape, Record<string, number | string> | null>> = {};
  const peer: Partial<Record<TShape, TFigures | null>> = {};
  const unavailable = peerUnavailable();
  if (unavailable) {
    // Nothing to compare with: say so before spending minutes on Parley's side.
    log(`bench:peer: ${unavailable}; nothing to compare (exit 0)`);
    log(`bench:peer peer=n/a reason=${JSON.stringify(unavailable)}`);
    return;
  }
  if (!a["peer-only"]) for (const s of shapes) parley[s] = await runParley(s);
  const others = systemEjabberdPids();
  if (others.length)
    log(
      `bench:peer: warning: another ejabberd is running (pid ${others.join(", ")}); it is not measured but shares the CPU`,
    );
  log("\n== starting a private ejabberd");
  const ej = await startEjabberd(log, mucPresence);
  const users = Math.max(
    shapes.includes("dm") || shapes.includes("sweep") ? o.connections : 0,
    shapes.includes("channel") ? o.members : 0,
    shapes.includes("idle") ? o.idle : 0,
    shapes.includes("connect") ? o.connects : 0,
    o.conversations + 1,
  );
  const regMs = ej.register("u", users);
  log(
    `peer: registered ${users} users in ${regMs} ms (inside the node; \`ejabberdctl register\` takes ≈ 1.2 s per user)`,
  );
  const ctx: TPeerContext = { ej, log };
  for (const s of shapes) {
    const f = await runPeer(ctx, s);
    peer[s] = f;
    if (f) log(contractLine("peer", s, f));
    await sleep(1500); // sessions of the previous shape are gone
  }
  await ej.stop();

  // The table and the summary line.
  log(`\n== Parley / ejabberd (ratio > 1: Parley's figure is larger; "better" says which side wins)`);
  const rows: string[][] = [["figure", "Parley", "ejabberd", "ratio", "better"]];
  const summary: string[] = [];
  for (const s of shapes) {
    for (const [key, unit, good] of COMPARED[s]) {
      const p = num(parley[s]?.[key]);
      const q = num(peer[s]?.[key]);
      const ratio = p !== null && q !== null && q !== 0 ? p / q : null;
      const better =
        ratio === null ? "" : ratio === 1 ? "=" : ratio > 1 === (good === "higher") ? "Parley" : "ejabberd";
      rows.push([
        `${s} ${key} (${unit})`,
        p === null ? "n/a" : String(p),
        q === null ? "n/a" : String(q),
        ratio === null ? "n/a" : String(Number(ratio.toPrecision(3))),
        better,
      ]);
      summary.push(`${s}_${key}=${ratio === null ? "n/a" : String(Number(ratio.toPrecision(3)))}`);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const r of rows)
    log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  "));
  log(
    `bench:peer ${summary.join(" ")} peer=ejabberd elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:peer: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    cleanupSync();
    process.exit(2);
  },
);
