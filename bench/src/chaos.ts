/**
 * `npm run chaos -- [--short] [options]`: checks DESIGN.md's first two promises (nothing acked is
 * lost; every device sees each message once, in order) under a matrix of faults injected while
 * traffic flows: gateway SIGKILLs, Redis restarts with lost state, Postgres fast shutdowns and
 * postmaster SIGKILLs (crash recovery), network cuts (RST), half-open connections and added
 * latency between clients and gateways (chaos-proxy.ts), and slow consumers (chaos-slow.ts).
 *
 * Its world is private: its own PostgreSQL cluster (@parley/db/local-postgres) and a redis-server (no
 * persistence) on spare ports, two gateway child processes on the redis engine, each behind a
 * loopback TCP proxy; senders and receivers are the SDK's ParleyClient (outbox + resend with the
 * same clientMsgId, cursors, resume, gap repair). After the traffic it drains, then compares
 * every receiver's log with the database (delivery-check.ts). Bodies are `c1 <sender> <n>`.
 * The last line is machine-readable; exit 1 if anything was lost, duplicated or reordered, 2 if
 * the run itself failed (or a fault kind asked for was not injected).
 */
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ParleyClient } from "@parley/client";
import { createMigratedDatabase, startLocalPostgres, type TLocalPostgres } from "@parley/db/local-postgres";
import { CloseCode } from "@parley/protocol";
import pg from "pg";
import { runFaults, type TFaultCounts } from "./chaos-faults.ts";
import { parseChaosOptions, type TChaosOptions, USAGE } from "./chaos-options.ts";
import { startProxy, type TProxy } from "./chaos-proxy.ts";
import { injectCheckerFaults, summaryLine } from "./chaos-report.ts";
import { FLOOD_SENDERS, SLOW_RECEIVERS, slowConsumerEpisode, type TSlowReceiver } from "./chaos-slow.ts";
import { seedChaosWorld } from "./chaos-world.ts";
import { checkDelivery } from "./delivery-check.ts";
import {
  exited,
  freePort,
  killAllChildren,
  nowMs,
  startGateway,
  startRedis,
  type TGatewayProcess,
} from "./harness.ts";
import {
  attachReceiver,
  drainUntilCaughtUp,
  makeSdkClient,
  startSdkTraffic,
  storedMessages,
  type TReceiver,
  type TSdkSender,
  waitFor,
} from "./sdk-clients.ts";

let opts: TChaosOptions;
try {
  const parsed = parseChaosOptions(process.argv.slice(2));
  if (parsed === "help") {
    console.log(USAGE);
    process.exit(0);
  }
  opts = parsed;
} catch (err) {
  console.error(`chaos: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (line: string) => console.log(`chaos: [${elapsed()}] ${line}`);

// ---------------------------------------------------------------------------------------------
// Bounded run and cleanup (the postmaster is not our child: it is stopped explicitly).

const workDir = mkdtempSync(path.join(tmpdir(), "parley-chaos-"));
const gatewayLogFile = createWriteStream(path.join(workDir, "gateways.log"));
let gatewayLogLines = 0;
let gatewaySlowCloses = 0;
/** Counts the lines the gateways log at warn and above (and their slow-consumer closes). */
const gatewayLog = {
  write(chunk: string): boolean {
    gatewayLogLines += 1;
    if (chunk.includes("slow consumer: closing")) gatewaySlowCloses += 1;
    return gatewayLogFile.write(chunk);
  },
  end() {
    gatewayLogFile.end();
  },
} as unknown as NodeJS.WritableStream;
let postgres: TLocalPostgres | undefined;
const proxies: TProxy[] = [];
/** The slow receivers' own proxies, one per gateway. */
const slowProxies: TProxy[] = [];
const clients: ParleyClient[] = [];
let cleaning: Promise<void> | undefined;

/** Stops and removes everything; every caller (exit paths race) waits for the same run. */
function cleanup(): Promise<void> {
  cleaning ??= cleanupOnce();
  return cleaning;
}

async function cleanupOnce(): Promise<void> {
  for (const c of clients) c.disconnect("chaos over");
  await Promise.all([...proxies, ...slowProxies].map((p) => p.close())).catch(() => {});
  killAllChildren();
  await postgres?.remove().catch((err: unknown) => {
    console.error(`chaos: removing postgres failed: ${err instanceof Error ? err.message : String(err)}`);
  });
  gatewayLog.end();
  if (!opts.keepLogs) rmSync(workDir, { recursive: true, force: true });
  else console.error(`chaos: logs kept in ${workDir}`);
}
// Last resort (an exit that skipped cleanup): the cluster must not outlive us.
process.on("exit", () => {
  postgres?.removeSync();
  if (!opts.keepLogs) rmSync(workDir, { recursive: true, force: true });
});
// Gateway kills are paced by reconnects (chaos-faults.ts), which may stretch the fault window by
// a few seconds per kill beyond the traffic's duration.
const hardLimitMs = (opts.durationS + opts.drainS + 300 + opts.kills * 5) * 1000;
const hardTimer = setTimeout(() => {
  console.error(`chaos: hard time limit (${hardLimitMs / 1000}s) reached; stopping`);
  void cleanup().finally(() => process.exit(2));
}, hardLimitMs);
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

async function main(): Promise<number> {
  const o = opts;
  log(
    `${o.short ? "short" : "long"} matrix: duration=${o.durationS}s rate=${o.rate}/s kills=${o.kills} redis_restarts=${o.redisRestarts} pg_restarts=${o.pgRestarts} net_cuts=${o.netCuts} half_open=${o.halfOpen} net_delays=${o.netDelays} slow_consumers=${o.slowConsumers} channels=${o.channels} (work dir ${workDir})`,
  );
  const redisStarted = startRedis();
  postgres = await startLocalPostgres(workDir);
  const database = await createMigratedDatabase(postgres.url, "parley_chaos");
  log(`postgres (${postgres.binDir}) on :${postgres.port}, ${database.name} migrated`);

  // Redis and two gateways on fixed spare ports (restarts come back at the same address), each
  // behind a proxy; the gateways boot while the world is seeded.
  let redis = await redisStarted;
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
      timeoutMs: 60_000,
    });
  const gatewaysStarted = Promise.all([startOne(0), startOne(1)]);
  gatewaysStarted.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const world = await seedChaosWorld(database.url, {
    channels: o.channels,
    sendersPer: o.sendersPer,
    receiversPer: o.receiversPer,
    slowChannel: o.slowConsumers > 0 ? { flooders: FLOOD_SENDERS, slow: SLOW_RECEIVERS } : null,
  });
  log(`seeded ${world.summary}`);
  const gateways: (TGatewayProcess | null)[] = await gatewaysStarted;
  for (const port of ports) proxies.push(await startProxy(port));
  for (const port of ports) slowProxies.push(await startProxy(port));
  log(
    `redis :${redisPort}, gateways :${ports.join(" :")} behind proxies :${proxies.map((p) => p.port).join(" :")}`,
  );

  // Clients: each tries the two proxies in turn, starting with its own, so a fault moves it over.
  // A short heartbeat so half-open sockets are found in seconds; transient refusals (a send while
  // Postgres is down answers INTERNAL) are retried as long as a patient user would.
  const slowReceivers: TSlowReceiver[] = [];
  const makeClient = (index: number, slow: TSlowReceiver | null) => {
    let attempt = index;
    // Slow receivers go through proxies of their own (throttled during an episode).
    const portOf = (k: number) => (slow ? slowProxies : proxies)[k]!.port;
    const client = makeSdkClient(
      () => `ws://127.0.0.1:${portOf(attempt++ % 2)}/ws?token=${world.users[index]!.token}`,
      { pingIntervalMs: 2000, pongTimeoutMs: slow ? 120_000 : 4000, maxSendRetries: 1000 },
    );
    if (slow)
      client.connection.on("state", (change) => {
        if (change.code === CloseCode.SlowConsumer) slow.closed4002 += 1;
      });
    clients.push(client);
    return client;
  };
  const senders: TSdkSender[] = [];
  const flooders: TSdkSender[] = [];
  const receivers: TReceiver[] = [];
  world.users.forEach((user, i) => {
    const slow: TSlowReceiver | null =
      user.role === "slow" ? { label: `receiver ${user.id.slice(0, 8)}`, closed4002: 0 } : null;
    if (slow) slowReceivers.push(slow);
    const client = makeClient(i, slow);
    if (user.role === "sender" || user.role === "flooder") {
      const list = user.role === "sender" ? senders : flooders;
      list.push({
        index: senders.length + flooders.length,
        conversationId: user.conversationId,
        client,
        n: 0,
      });
    } else {
      receivers.push(attachReceiver(client, user.id, user.conversationId));
    }
    client.connect();
  });
  await waitFor(() => clients.every((c) => c.state === "open"), 30_000);
  log(`${clients.length} clients connected`);

  // --- traffic with faults --------------------------------------------------------------------
  const total = Math.floor(o.rate * o.durationS);
  const traffic = startSdkTraffic(senders, o.rate, o.durationS);
  const { sentIds, acked, refused } = traffic;
  let slowClosed = 0;
  // Every 30 s: how far acks trail the traffic and how many clients are connected, so a run that
  // falls behind shows when (and next to which faults in the log) it did.
  let lastAcked = 0;
  const progress = setInterval(() => {
    const settled = acked.size + refused.size;
    const open = clients.filter((c) => c.state === "open").length;
    log(
      `progress: generated=${traffic.generated()} acked=${acked.size} (+${acked.size - lastAcked} in 30s) refused=${refused.size} unsettled=${sentIds.size - settled} clients_open=${open}/${clients.length}`,
    );
    lastAcked = acked.size;
  }, 30_000);
  progress.unref();
  const counts: TFaultCounts = await runFaults({
    durationS: o.durationS,
    counts: {
      gateway: o.kills,
      redis: o.redisRestarts,
      pg: o.pgRestarts,
      cut: o.netCuts,
      halfOpen: o.halfOpen,
      delay: o.netDelays,
      slow: o.slowConsumers,
    },
    log,
    isTrafficFlowing: () => traffic.generated() < total,
    gateways,
    startGateway: startOne,
    async killRedis() {
      redis.child.kill("SIGKILL");
      await exited(redis.child);
    },
    async restartRedis() {
      // On the same port (the gateways reconnect to it). A loaded box once kept a restarted
      // redis-server from answering PING within 10 s in the long matrix: wait longer and retry.
      for (let attempt = 1; ; attempt++) {
        try {
          redis = await startRedis(redisPort, 30_000);
          return;
        } catch (err) {
          if (attempt === 3) throw err;
          log(`redis restart attempt ${attempt} failed (${(err as Error).message}); retrying`);
        }
      }
    },
    pg: postgres,
    proxies,
    openShare: () => clients.filter((c) => c.state === "open").length / Math.max(1, clients.length),
    async slowConsumer() {
      const isClosed = await slowConsumerEpisode({
        receivers: slowReceivers,
        proxies: slowProxies,
        flooders,
        books: traffic,
        gatewayCloses: () => gatewaySlowCloses,
        log,
      });
      if (isClosed) slowClosed += 1;
    },
  });
  await waitFor(() => traffic.generated() >= total, o.durationS * 1000 + 5000);
  log(
    `traffic over: ${traffic.generated()} messages generated, ${counts.duringTraffic} faults while it flowed; draining (up to ${o.drainS}s)`,
  );

  // --- drain -----------------------------------------------------------------------------------
  const check = new pg.Client({ connectionString: database.url });
  // Cleanup at the hard limit stops Postgres under it: a reported error, not an uncaught one.
  check.on("error", (err) => log(`checker connection: ${err.message}`));
  await check.connect();
  const drainStart = nowMs();
  const isDrained = await drainUntilCaughtUp({
    check,
    conversations: world.conversations,
    receivers,
    settled: () => acked.size + refused.size >= sentIds.size,
    timeoutMs: o.drainS * 1000,
  });
  clearInterval(progress);
  log(`${isDrained ? "drained" : "drain timed out"} in ${((nowMs() - drainStart) / 1000).toFixed(1)}s`);
  if (!isDrained) {
    const stuck = senders.filter((x) => x.client.getOutbox().some((e) => e.status !== "sent"));
    log(
      `drain: ${sentIds.size - acked.size - refused.size} sends unsettled across ${stuck.length} of ${senders.length} senders; clients open ${clients.filter((c) => c.state === "open").length}/${clients.length}`,
    );
  }
  for (const c of clients) c.disconnect("chaos over");

  if (o.injectCheckerFaults) for (const line of await injectCheckerFaults(check, receivers, acked)) log(line);

  // --- verify against the database ---------------------------------------------------------------
  const rows = await storedMessages(check, world.conversations);
  await check.end();
  // After a timed-out drain, receivers may still be behind their log: not a loss (the run exits 2).
  const delivery = checkDelivery(rows, acked, sentIds, receivers, { receiversMayLag: !isDrained });
  const sdk = clients.reduce(
    (acc, c) => ({ syncs: acc.syncs + c.stats.syncs, dropped: acc.dropped + c.stats.duplicates }),
    { syncs: 0, dropped: 0 },
  );
  for (const line of delivery.problems) log(`  ${line}`);
  log(
    `server: acked_not_stored=${delivery.lostInDb} stored_twice=${delivery.dbDuplicates} stored_out_of_order=${delivery.dbReordered} never_stored_or_acked=${delivery.notSentAtAll} refused=${refused.size}${refused.size ? ` (${[...new Set(refused.values())].slice(0, 3).join("; ")})` : ""}`,
  );
  log(
    `receivers: ${receivers.length} holding ${receivers.reduce((a, r) => a + r.log.length, 0)} messages; missing=${delivery.lostAtReceivers} (in ${delivery.laggingReceivers} receivers)${isDrained ? "" : ` not_yet_delivered=${delivery.behindAtReceivers}`} duplicated=${delivery.dupAtReceivers} reordered=${delivery.reorderedAtReceivers}; SDK syncs=${sdk.syncs} duplicate frames dropped by the SDK=${sdk.dropped}`,
  );
  log(
    `gateway/postgres warnings and errors: ${gatewayLogLines} lines${o.keepLogs ? ` in ${path.join(workDir, "gateways.log")}` : " (--keep-logs keeps them)"}; slow-consumer closes by the gateways: ${gatewaySlowCloses}`,
  );
  console.log(
    summaryLine(counts, { sent: sentIds.size, acked: acked.size, rows: rows.length, slowClosed }, delivery),
  );
  const shortOf = [
    ["kills", counts.kills, o.kills],
    ["redis_restarts", counts.redisRestarts, o.redisRestarts],
    ["pg faults", counts.pgRestarts + counts.pgKills, o.pgRestarts],
    ["net_cuts", counts.netCuts, o.netCuts],
    ["half_open", counts.halfOpen, o.halfOpen],
    ["net_delays", counts.netDelays, o.netDelays],
    ["slow consumers closed by a gateway", slowClosed, o.slowConsumers],
  ].filter(([, done, asked]) => Number(done) < Number(asked));
  if (delivery.lost + delivery.duplicated + delivery.reordered > 0) return 1;
  if (!isDrained || shortOf.length > 0) {
    console.error(
      `chaos: the run fell short: ${!isDrained ? "the drain timed out; " : ""}${shortOf.map(([k, d, a]) => `${k} ${d} of ${a}`).join(", ")}`,
    );
    return 2;
  }
  return 0;
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
