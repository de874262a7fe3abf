/**
 * `npm run bench -- [options]`: an open-loop load test of the realtime gateway on this box.
 *
 * It builds its own world — a fresh database `parley_bench_<random>` (migrated, dropped at the
 * end), seeded users, conversations and personal access tokens, the gateway(s) as child
 * processes (and a private redis-server for `--engine redis`) — opens N authenticated sockets
 * with raw `ws` + protocol frames, sends at a fixed rate scheduled by the wall clock (never
 * waiting for acks), and measures send→ack at the sender and send→receive at every receiver
 * (the send time travels in the body). A bare `ws` echo server measured first gives the floor.
 *
 * To add a scenario: extend `buildWorld` (who is in which conversation) and `expectedReceivers`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { ConversationKind, createDb, type Db } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { PROTOCOL_VERSION } from "@parley/protocol";
import WebSocket from "ws";
import {
  boxCpu,
  cpuSecondsOf,
  createMigratedDatabase,
  describe,
  describeLoop,
  exited,
  killAllChildren,
  mapLimit,
  nowMs,
  percentiles,
  record,
  rssOf,
  sleep,
  spawnTracked,
  startGateway,
  startRedis,
  type TBenchDb,
  type TGatewayProcess,
  tokensFor,
} from "./harness.ts";

const USAGE = `usage: npm run bench -- [--connections 200] [--rate 100] [--duration 10]
       [--scenario dm|channel50] [--gateways 1] [--engine memory|redis]
       [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--redis-url redis://…]
       [--drain 10] [--no-baseline] [--keep-db]`;

const { values: opts } = parseArgs({
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

const CONNECTIONS = Number(opts.connections);
const RATE = Number(opts.rate);
const DURATION_S = Number(opts.duration);
const SCENARIO = opts.scenario as "dm" | "channel50";
const GATEWAYS = Number(opts.gateways);
const ENGINE = (opts.engine ?? (GATEWAYS > 1 ? "redis" : "memory")) as "memory" | "redis";
const DRAIN_S = Number(opts.drain);
const SERVER_URL = opts["database-url"] ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const CHANNEL_SIZE = 50;
const LOOP_RESOLUTION_MS = 5;

function fail(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}
if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 2) fail("--connections must be an integer ≥ 2");
if (!(RATE > 0) || RATE > 100_000) fail("--rate must be in (0, 100000]");
if (!(DURATION_S > 0) || DURATION_S > 600) fail("--duration must be in (0, 600] seconds");
if (SCENARIO !== "dm" && SCENARIO !== "channel50") fail("--scenario must be dm or channel50");
if (SCENARIO === "dm" && CONNECTIONS % 2 !== 0) fail("--scenario dm needs an even --connections");
if (SCENARIO === "channel50" && CONNECTIONS % CHANNEL_SIZE !== 0) {
  fail(`--scenario channel50 needs --connections to be a multiple of ${CHANNEL_SIZE}`);
}
if (!Number.isInteger(GATEWAYS) || GATEWAYS < 1 || GATEWAYS > 8) fail("--gateways must be 1…8");
if (ENGINE !== "memory" && ENGINE !== "redis") fail("--engine must be memory or redis");
if (GATEWAYS > 1 && ENGINE === "memory") {
  console.error("bench: warning: several gateways with the memory engine cannot deliver across gateways");
}
if (CONNECTIONS > 19_000) fail("one generator process holds at most ~19,000 sockets (20k open files)");

const TOTAL = Math.floor(RATE * DURATION_S);
const log = (line: string) => console.log(line);

// ---------------------------------------------------------------------------------------------
// Bounded run: whatever happens, the process ends by itself and cleans up.

const cleanups: (() => Promise<void> | void)[] = [];
let isCleaning = false;
async function cleanup(): Promise<void> {
  if (isCleaning) return;
  isCleaning = true;
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(`bench: cleanup step failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  killAllChildren();
}
const hardLimitMs = (DURATION_S + DRAIN_S + 300) * 1000;
const hardTimer = setTimeout(() => {
  console.error(`bench: hard time limit (${hardLimitMs / 1000}s) reached; stopping`);
  void cleanup().finally(() => process.exit(2));
}, hardLimitMs);
// A crash must not orphan the gateways or leave the database behind.
process.on("uncaughtException", (err) => {
  console.error(`bench: uncaught: ${err.stack ?? err.message}`);
  void cleanup().finally(() => process.exit(2));
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    console.error(`bench: ${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Baseline: raw ws echo round trip at the same rate over the same number of sockets.

async function baseline(): Promise<{ p50: string; p99: string; p999: string; text: string }> {
  const child = spawnTracked(process.execPath, ["--import", "tsx", "bench/src/echo-server.ts"]);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("echo server did not start")), 15_000);
    child.stdout?.on("data", (data: Buffer) => {
      const match = /listening (\d+)/.exec(String(data));
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  const sockets = await mapLimit(Array.from({ length: CONNECTIONS }), 200, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return ws;
  });
  const rtt = createHistogram();
  for (const ws of sockets) {
    ws.on("message", (data) => {
      const sentAt = Number(String(data).split(" ", 2)[1]);
      record(rtt, nowMs() - sentAt);
    });
  }
  const seconds = Math.min(3, DURATION_S);
  const total = Math.floor(RATE * seconds);
  const t0 = nowMs();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((nowMs() - t0) * RATE) / 1000));
      while (sent < due) {
        sockets[sent % sockets.length]?.send(`echo ${nowMs()} ${"x".repeat(40)}`);
        sent += 1;
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const until = nowMs() + 3000;
  while (rtt.count < total && nowMs() < until) await sleep(20);
  for (const ws of sockets) ws.terminate();
  child.kill("SIGTERM");
  await exited(child);
  const p = percentiles(rtt);
  return {
    ...p,
    text: `raw ws echo RTT (${sockets.length} sockets, ${RATE}/s, ${seconds}s): ${describe(rtt)}`,
  };
}

// ---------------------------------------------------------------------------------------------
// World: users, conversations, tokens.

type TWorld = {
  userIds: string[];
  tokens: string[];
  /** Conversation of each connection (one user = one connection = one conversation). */
  conversationOf: string[];
  /** Members (connection indexes) per conversation. */
  members: Map<string, number[]>;
};

async function buildWorld(db: Db): Promise<TWorld> {
  await seedWorkspace(db, { name: "Bench" });
  const users = await mapLimit(Array.from({ length: CONNECTIONS }), 8, (_, i) =>
    seedUser(db, { name: `Bench ${i}`, email: `bench-${i}-${randomBytes(3).toString("hex")}@parley.test` }),
  );
  const tokens = await tokensFor(db, users);
  const conversationOf = new Array<string>(CONNECTIONS);
  const members = new Map<string, number[]>();
  const groupSize = SCENARIO === "dm" ? 2 : CHANNEL_SIZE;
  const groups = Array.from({ length: CONNECTIONS / groupSize }, (_, g) =>
    Array.from({ length: groupSize }, (_, k) => g * groupSize + k),
  );
  await mapLimit(groups, 8, async (group, g) => {
    const ids = group.map((i) => users[i]!.id);
    const conversation = await seedChannel(db, {
      kind: SCENARIO === "dm" ? ConversationKind.dm : ConversationKind.public_channel,
      ...(SCENARIO === "dm" ? {} : { name: `bench-${g}-${randomBytes(3).toString("hex")}` }),
      createdById: ids[0]!,
      memberIds: ids,
    });
    for (const i of group) conversationOf[i] = conversation.id;
    members.set(conversation.id, group);
  });
  return { userIds: users.map((u) => u.id), tokens, conversationOf, members };
}

// ---------------------------------------------------------------------------------------------
// Load generator state. Arrays indexed by message number k keep the hot path allocation-free.

const sentAt = new Float64Array(TOTAL);
const ackedAt = new Float64Array(TOTAL);
const failed = new Uint8Array(TOTAL);
const deliveredCount = new Uint16Array(TOTAL);
const ackLatency = createHistogram();
const deliveryLatency = createHistogram();
const scheduleLag = createHistogram();
const errorsByCode = new Map<string, number>();
const counters = {
  sent: 0,
  notSent: 0,
  acked: 0,
  failed: 0,
  delivered: 0,
  selfEcho: 0,
  duplicates: 0,
  outOfOrder: 0,
  unexpectedCloses: 0,
  foreignFrames: 0,
  expected: 0,
  lastDeliveryAt: 0,
};

type TConn = {
  index: number;
  ws: WebSocket;
  userId: string;
  /** Highest seq received and every seq received (one conversation per connection). */
  lastSeq: number;
  seen: Set<number>;
  isOpen: boolean;
};

function onFrame(conn: TConn, raw: string): void {
  let frame: {
    type?: string;
    id?: string;
    kind?: string;
    seq?: number;
    code?: string;
    payload?: { message?: { body?: string; senderId?: string } };
  };
  try {
    frame = JSON.parse(raw);
  } catch {
    counters.foreignFrames += 1;
    return;
  }
  const now = nowMs();
  switch (frame.type) {
    case "ack": {
      const k = Number(frame.id);
      if (!(k >= 0 && k < TOTAL) || ackedAt[k]) return;
      ackedAt[k] = now;
      counters.acked += 1;
      record(ackLatency, now - sentAt[k]!);
      return;
    }
    case "error": {
      const code = frame.code ?? "?";
      errorsByCode.set(code, (errorsByCode.get(code) ?? 0) + 1);
      const k = Number(frame.id);
      if (frame.id !== undefined && k >= 0 && k < TOTAL && !failed[k] && !ackedAt[k]) {
        failed[k] = 1;
        counters.failed += 1;
      }
      return;
    }
    case "event": {
      if (frame.kind !== "message.created") return;
      // Raw frames, no SDK: count what a client would have to repair (the SDK buffers and dedups).
      const seq = frame.seq ?? 0;
      if (conn.seen.has(seq)) counters.duplicates += 1;
      else if (seq < conn.lastSeq) counters.outOfOrder += 1;
      conn.seen.add(seq);
      if (seq > conn.lastSeq) conn.lastSeq = seq;
      const body = frame.payload?.message?.body ?? "";
      const parts = body.split(" ");
      if (parts[0] !== "b1") return;
      const k = Number(parts[1]);
      if (!(k >= 0 && k < TOTAL)) return;
      if (frame.payload?.message?.senderId === conn.userId) {
        counters.selfEcho += 1;
        return;
      }
      deliveredCount[k] = (deliveredCount[k] ?? 0) + 1;
      counters.delivered += 1;
      counters.lastDeliveryAt = now;
      record(deliveryLatency, now - Number(parts[2]));
      return;
    }
    default:
      return;
  }
}

/** Opens sockets for connection indexes [from, to), each as its own user, after its welcome. */
async function openConnections(
  world: TWorld,
  gateways: TGatewayProcess[],
  from: number,
  to: number,
): Promise<TConn[]> {
  // Each loopback source address gives its own ~28k ephemeral ports; spread when that matters.
  const sourceAddresses = Math.max(1, Math.ceil(CONNECTIONS / 20_000));
  let refused = 0;
  const indexes = Array.from({ length: to - from }, (_, i) => from + i);
  const conns = await mapLimit(indexes, 100, async (index) => {
    const gateway = gateways[index % gateways.length]!;
    const ws = new WebSocket(gateway.url, {
      headers: { Authorization: `Bearer ${world.tokens[index]}` },
      perMessageDeflate: false,
      ...(sourceAddresses > 1 ? { localAddress: `127.0.0.${1 + (index % sourceAddresses)}` } : {}),
    });
    const conn: TConn = {
      index,
      ws,
      userId: world.userIds[index]!,
      lastSeq: 0,
      seen: new Set(),
      isOpen: false,
    };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        refused += 1;
        ws.terminate();
        resolve();
      }, 20_000);
      ws.once("unexpected-response", (_req, res) => {
        refused += 1;
        clearTimeout(timer);
        console.error(`bench: connection ${index} refused with HTTP ${res.statusCode}`);
        resolve();
      });
      ws.once("error", () => {});
      ws.on("message", (data) => {
        const text = String(data);
        if (!conn.isOpen && text.includes('"welcome"')) {
          conn.isOpen = true;
          clearTimeout(timer);
          ws.send(JSON.stringify({ type: "hello", protocolVersion: PROTOCOL_VERSION }));
          resolve();
          return;
        }
        onFrame(conn, text);
      });
      ws.on("close", () => {
        if (conn.isOpen && !isCleaning && !trafficDone) counters.unexpectedCloses += 1;
        conn.isOpen = false;
      });
    });
    return conn;
  });
  if (refused > 0) throw new Error(`${refused} of ${to - from} connections failed to open`);
  return conns;
}

let trafficDone = false;

async function main(): Promise<number> {
  const startedAt = Date.now();
  log(
    `bench: scenario=${SCENARIO} connections=${CONNECTIONS} rate=${RATE}/s duration=${DURATION_S}s gateways=${GATEWAYS} engine=${ENGINE} messages=${TOTAL}`,
  );

  const base = opts["no-baseline"] ? null : await baseline();
  if (base) log(`baseline: ${base.text}`);

  const benchDb: TBenchDb = await createMigratedDatabase(SERVER_URL, "parley_bench");
  if (!opts["keep-db"]) cleanups.push(() => benchDb.drop());
  else log(`database kept: ${benchDb.url}`);
  log(`database: ${benchDb.name} (migrated)`);

  const db = createDb(benchDb.url, { max: 8 });
  cleanups.push(() => db.$disconnect());
  const seedStart = Date.now();
  const world = await buildWorld(db);
  log(
    `seeded: ${CONNECTIONS} users + tokens, ${world.members.size} ${SCENARIO === "dm" ? "DMs" : `channels of ${CHANNEL_SIZE}`} in ${((Date.now() - seedStart) / 1000).toFixed(1)}s`,
  );

  let redisUrl: string | undefined;
  if (ENGINE === "redis") {
    redisUrl = opts["redis-url"];
    if (!redisUrl) {
      const redis = await startRedis();
      redisUrl = redis.url;
      log(`redis: private redis-server on ${redis.port}`);
    }
  }
  const authSecret = randomBytes(32).toString("base64url");
  const gateways = await Promise.all(
    Array.from({ length: GATEWAYS }, (_, g) =>
      startGateway({
        databaseUrl: benchDb.url,
        authSecret,
        label: `gateway${g}`,
        ...(redisUrl ? { redisUrl } : {}),
      }),
    ),
  );
  cleanups.push(async () => {
    for (const g of gateways) g.child.kill("SIGTERM");
    await Promise.race([Promise.all(gateways.map((g) => exited(g.child))), sleep(5000)]);
  });
  const pids = gateways.map((g) => g.child.pid);
  await sleep(500);
  const rssIdle = pids.map(rssOf);
  log(`gateways: ${gateways.map((g) => `:${g.port} pid ${g.child.pid}`).join(", ")}`);

  // The first sockets pay for JIT warm-up, pools and heap growth: open a tenth first, then
  // count RSS per socket over the rest only.
  const warm = Math.max(1, Math.floor(CONNECTIONS / 10));
  const warmConns = await openConnections(world, gateways, 0, warm);
  const rssWarm = await settledRss(pids);
  const connectStart = nowMs();
  const conns = [...warmConns, ...(await openConnections(world, gateways, warm, CONNECTIONS))];
  const connectSeconds = (nowMs() - connectStart) / 1000;
  cleanups.push(() => {
    for (const c of conns) c.ws.terminate();
  });
  const rssConnected = await settledRss(pids);
  const rssPerConn = (sum(rssConnected) - sum(rssWarm)) / (CONNECTIONS - warm);
  log(
    `connected: ${CONNECTIONS} sockets, the last ${CONNECTIONS - warm} in ${connectSeconds.toFixed(1)}s (${Math.round((CONNECTIONS - warm) / connectSeconds)}/s); gateway RSS ${mb(sum(rssIdle))} idle, ${mb(sum(rssWarm))} with ${warm} sockets, ${mb(sum(rssConnected))} with all (${(rssPerConn / 1024).toFixed(1)} KB/connection)`,
  );

  const perConnRate = RATE / CONNECTIONS;
  if (perConnRate > 15)
    console.error(
      `bench: warning: ${perConnRate.toFixed(1)} sends/s per connection nears the gateway's per-connection limit (20/s)`,
    );

  // --- traffic ---------------------------------------------------------------------------------
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const gwCpu0 = pids.map(cpuSecondsOf);
  const box0 = boxCpu();
  const t0 = nowMs();
  const receivers = (k: number) => {
    const sender = k % CONNECTIONS;
    return (world.members.get(world.conversationOf[sender]!)?.length ?? 1) - 1;
  };

  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = nowMs();
      const due = Math.min(TOTAL, Math.floor(((now - t0) * RATE) / 1000) + 1);
      while (counters.sent + counters.notSent < due) {
        const k = counters.sent + counters.notSent;
        const conn = conns[k % CONNECTIONS]!;
        const intended = t0 + (k * 1000) / RATE;
        const at = nowMs();
        record(scheduleLag, at - intended);
        if (!conn.isOpen) {
          counters.notSent += 1;
          continue;
        }
        sentAt[k] = at;
        conn.ws.send(
          `{"type":"send","id":"${k}","conversationId":"${world.conversationOf[conn.index]}","clientMsgId":"${randomUUID()}","body":"b1 ${k} ${at.toFixed(3)} ${"x".repeat(24)}"}`,
        );
        counters.sent += 1;
        counters.expected += receivers(k);
      }
      if (counters.sent + counters.notSent >= TOTAL) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const sendSeconds = (nowMs() - t0) / 1000;

  // --- drain -----------------------------------------------------------------------------------
  const drainUntil = nowMs() + DRAIN_S * 1000;
  while (nowMs() < drainUntil) {
    if (counters.acked + counters.failed >= counters.sent && counters.delivered >= counters.expected) break;
    await sleep(20);
  }
  trafficDone = true;
  const wallSeconds = (nowMs() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const gwCpu = pids.map((pid, i) => cpuSecondsOf(pid) - gwCpu0[i]!);
  const box1 = boxCpu();
  loop.disable();
  const rssEnd = pids.map(rssOf);

  // --- report ----------------------------------------------------------------------------------
  let neverDelivered = 0;
  let partlyDelivered = 0;
  for (let k = 0; k < TOTAL; k += 1) {
    if (!sentAt[k]) continue;
    const want = receivers(k);
    if (deliveredCount[k] === 0) neverDelivered += 1;
    else if ((deliveredCount[k] ?? 0) < want) partlyDelivered += 1;
  }
  const genCpuPct = ((cpu.user + cpu.system) / 1e6 / wallSeconds) * 100;
  const gwCpuPct = (sum(gwCpu) / wallSeconds) * 100;
  const boxPct = ((box1.busy - box0.busy) / (box1.total - box0.total)) * 100;
  const lag = describeLoop(loop, LOOP_RESOLUTION_MS);
  const d = percentiles(deliveryLatency);
  const a = percentiles(ackLatency);
  const deliveryWindow = counters.lastDeliveryAt > 0 ? (counters.lastDeliveryAt - t0) / 1000 : 0;

  log("");
  log(
    `messages:   sent=${counters.sent} not_sent(socket closed)=${counters.notSent} in ${sendSeconds.toFixed(1)}s (${(counters.sent / sendSeconds).toFixed(0)}/s offered)`,
  );
  log(
    `acks:       acked=${counters.acked} errors=${counters.failed}${errorsByCode.size ? ` (${[...errorsByCode].map(([c, n]) => `${c}×${n}`).join(", ")})` : ""} unanswered=${counters.sent - counters.acked - counters.failed}`,
  );
  log(`            send→ack ${describe(ackLatency)}`);
  log(
    `deliveries: delivered=${counters.delivered} expected=${counters.expected} (${pct(counters.delivered, counters.expected)}) self_echo=${counters.selfEcho} duplicates=${counters.duplicates} out_of_seq_order=${counters.outOfOrder} (raw frames; the SDK buffers/dedups these)`,
  );
  log(`            messages never delivered=${neverDelivered} partly delivered=${partlyDelivered}`);
  log(`            send→receive ${describe(deliveryLatency)}`);
  log(
    `throughput: ${(counters.acked / wallSeconds).toFixed(0)} acks/s, ${deliveryWindow > 0 ? (counters.delivered / deliveryWindow).toFixed(0) : 0} deliveries/s`,
  );
  if (base)
    log(
      `baseline:   raw ws echo RTT p50=${base.p50}ms p99=${base.p99}ms p99.9=${base.p999}ms → delivery p99 is ${ratio(d.p99, base.p99)} the echo p99`,
    );
  log(
    `generator:  CPU ${genCpuPct.toFixed(0)}% of one core, event-loop lag ${lag.text}, schedule lag ${describe(scheduleLag)}`,
  );
  log(
    `gateways:   CPU ${gwCpuPct.toFixed(0)}% of one core (all gateways), RSS ${mb(sum(rssEnd))} at end, ${(rssPerConn / 1024).toFixed(1)} KB/connection (idle sockets)`,
  );
  log(
    `box:        ${boxPct.toFixed(0)}% of the box (all cores) busy during traffic (everything on the machine, incl. Postgres)`,
  );
  if (counters.unexpectedCloses > 0)
    log(`warning:    ${counters.unexpectedCloses} sockets closed during traffic`);
  if (counters.delivered === 0 && counters.expected > 0) {
    log(
      "note:       no deliveries at all: fan-out is not wired in this gateway yet (acks still measure the send path)",
    );
  }
  log(
    `bench: scenario=${SCENARIO} connections=${CONNECTIONS} rate=${RATE} duration=${DURATION_S} gateways=${GATEWAYS} engine=${ENGINE} sent=${counters.sent} acked=${counters.acked} errors=${counters.failed} delivered=${counters.delivered} expected=${counters.expected} duplicates=${counters.duplicates} out_of_order=${counters.outOfOrder} p50=${d.p50}ms p99=${d.p99}ms p999=${d.p999}ms max=${d.max}ms ack_p50=${a.p50}ms ack_p99=${a.p99}ms ack_p999=${a.p999}ms echo_p99=${base?.p99 ?? "-"}ms gen_cpu=${genCpuPct.toFixed(0)}% gen_lag_p99=${lag.p99}ms gw_cpu=${gwCpuPct.toFixed(0)}% gw_kb_per_conn=${(rssPerConn / 1024).toFixed(1)} elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
  // Figures, not assertions: a run that completed exits 0 whatever it measured.
  return 0;
}

/** RSS per pid, the lowest of a few samples over ~1.5 s (a GC between samples only lowers it). */
async function settledRss(pids: (number | undefined)[]): Promise<number[]> {
  let best = pids.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < 6; i += 1) {
    await sleep(250);
    best = pids.map((pid, k) => Math.min(best[k]!, rssOf(pid)));
  }
  return best;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const pct = (a: number, b: number) => (b === 0 ? "-" : `${((a / b) * 100).toFixed(1)}%`);
const ratio = (a: string, b: string) =>
  a === "-" || b === "-" ? "-" : `${(Number(a) / Number(b)).toFixed(1)}×`;

let exitCode = 1;
main()
  .then(
    (code) => {
      exitCode = code;
    },
    (err: unknown) => {
      console.error(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      exitCode = 2;
    },
  )
  .finally(async () => {
    await cleanup();
    clearTimeout(hardTimer);
    process.exit(exitCode);
  });
