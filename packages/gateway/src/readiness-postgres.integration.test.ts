/**
 * Issue 13's "/readyz flips when Postgres is stopped and back when it returns", under running
 * processes: a private PostgreSQL cluster (@parley/db/local-postgres, the chaos run's; never the
 * shared server on 5432), migrated as `npm run db:migrate` does, and on it, with the shared Redis:
 * - a gateway process (apps/realtime, as production runs it);
 * - the web server's arrangement in this process: apps/web/server.ts's readiness without Next —
 *   `startRealtime` with the storage check and `answerHealth` before the app, as server.ts calls
 *   them (REALTIME_EMBEDDED=false: the deployment with separate gateways).
 * /readyz is 200 on both; `pg_ctl stop -m fast` → both answer 503 with `postgres: failed` (the rest
 * ok; the gateway is the SAME process, same pid, /healthz still 200); the cluster starts again →
 * 200 on both, and the gateway serves again: a fresh socket authenticates (its token is read from
 * Postgres) and a send is acked and stored. Without PostgreSQL binaries (or as root without a
 * `postgres` user) the file is skipped with a banner (an error on CI).
 * server.ts itself is not started: in production mode it needs `next build`, and `next dev` took
 * ~20 s and ~0.5 GB before its first answer on a 2-core box; it reaches /readyz only through the
 * calls made here.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "@parley/config";
import { createAccessToken, storageCheck, type TReadinessReport } from "@parley/core";
import { createDb, type TDb } from "@parley/db";
import {
  createMigratedDatabase,
  localPostgresUnavailable,
  startLocalPostgres,
  type TLocalPostgres,
  type TMigratedDb,
} from "@parley/db/local-postgres";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { createLocalStorage } from "@parley/storage";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, GatewayProcesses } from "./gateway-processes.ts";
import { answerHealth } from "./http-replies.ts";
import { startRealtime, type TRealtime } from "./realtime.ts";
import { TEST_SECRET, TestClient } from "./test-helpers.ts";

const unavailable = localPostgresUnavailable();
if (unavailable) {
  const line = "!".repeat(78);
  const banner = [
    line,
    `!! SKIPPED: /readyz while Postgres stops and returns: ${unavailable}.`,
    "!!   packages/gateway/src/readiness-postgres.integration.test.ts",
    line,
  ].join("\n");
  if (process.env.CI === "true") throw new Error(`${banner}\nCI runs every test.`);
  console.warn(banner);
}

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `parley-test-${randomUUID().slice(0, 8)}:`;
/** Generous: on a loaded 2-core box what takes milliseconds when idle may take seconds. */
const POLL_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let workDir: string | undefined;
let cluster: TLocalPostgres | undefined;
let database: TMigratedDb | undefined;
let db: TDb | undefined;
let gateways: GatewayProcesses | undefined;
let gatewayPort: number;
let web: { server: Server; realtime: TRealtime; db: TDb; port: number } | undefined;
let token: string;
let channelId: string;
const removeClusterOnExit = () => cluster?.removeSync();

/** /readyz once; no answer (refused, reset, too slow) is status 0. */
async function readyz(port: number): Promise<{ status: number; body?: TReadinessReport }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: (await res.json()) as TReadinessReport };
  } catch {
    return { status: 0 };
  }
}

/** Polls /readyz on `port` until it answers `status`; returns that report. */
async function readyzUntil(port: number, status: number): Promise<TReadinessReport> {
  const deadline = Date.now() + POLL_MS;
  for (;;) {
    const last = await readyz(port);
    if (last.status === status && last.body) return last.body;
    if (Date.now() > deadline) {
      throw new Error(
        `/readyz on ${port} did not answer ${status} in ${POLL_MS} ms; last: ${JSON.stringify(last)}`,
      );
    }
    await sleep(100);
  }
}

/**
 * apps/web/server.ts's readiness, Next left out: its http server answers /healthz and /readyz
 * before the app (answerHealth), over the probe startRealtime builds with the storage check added.
 */
async function startWebArrangement(
  databaseUrl: string,
  storageDir: string,
): Promise<NonNullable<typeof web>> {
  const env = parseEnv({
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: TEST_SECRET,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    REALTIME_EMBEDDED: "false",
  });
  const webDb = createDb(env.DATABASE_URL, { max: 2, hotMax: 1 });
  const storage = createLocalStorage({
    dir: storageDir,
    publicBaseUrl: "http://localhost",
    secret: TEST_SECRET,
  });
  let readiness: () => Promise<TReadinessReport> = () => Promise.reject(new Error("starting"));
  const health = { isClosing: () => false, readiness: () => readiness() };
  const server = createHttpServer((req, res) => {
    if (answerHealth(req, res, health)) return;
    res.end("the web app");
  });
  const realtime = await startRealtime({
    env,
    db: webDb,
    logger: pino({ level: "silent" }),
    server,
    withGateway: env.REALTIME_EMBEDDED,
    readinessChecks: [storageCheck(async () => storage)],
  });
  readiness = realtime.readiness;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, realtime, db: webDb, port: (server.address() as AddressInfo).port };
}

describe.skipIf(unavailable !== null)("a gateway process and the web server, Postgres stopped", () => {
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), "parley-readiness-pg-"));
    process.once("exit", removeClusterOnExit);
    cluster = await startLocalPostgres(workDir);
    database = await createMigratedDatabase(cluster.url, "parley_readiness");
    db = createDb(database.url, { max: 2, hotMax: 1 });
    const seed = async (seedDb: TDb) => {
      await seedWorkspace(seedDb);
      const alice = await seedUser(seedDb, { name: "A" });
      channelId = (await seedChannel(seedDb, { createdById: alice.id, memberIds: [] })).id;
      token = (await createAccessToken(seedDb, { userId: alice.id, role: "member" }, { name: "readiness" }))
        .token;
    };
    gateways = new GatewayProcesses({ databaseUrl: database.url, redisUrl, keyPrefix });
    gatewayPort = await freePort();
    // Both boot while the data is seeded (the schema is there: the test's rows are not needed yet).
    // LOG_LEVEL error, not warn: every probe while Postgres is down logs a warning (why), by design.
    [, web] = await Promise.all([
      seed(db),
      startWebArrangement(database.url, path.join(workDir, "files")),
      gateways.start(gatewayPort, { LOG_LEVEL: "error" }),
    ]);
  }, 180_000); // initdb and prisma migrate deploy: ~5 s on a quiet box, several times that on a busy one

  afterAll(async () => {
    await gateways?.killAll();
    if (web) {
      await web.realtime.closeGateway();
      await new Promise<void>((resolve) => web!.server.close(() => resolve()));
      await web.realtime.close();
      await web.db.$disconnect();
    }
    await db?.$disconnect();
    await cluster?.remove(); // the database goes with the cluster
    process.off("exit", removeClusterOnExit);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("200 → 503 (postgres: failed) on pg_ctl stop -m fast → 200 on start; then the gateway takes a new socket and a send", {
    timeout: 120_000,
  }, async () => {
    const pid = gateways!.pid(gatewayPort);
    expect(pid).toBeGreaterThan(0);
    const ok = { status: "ok", ms: expect.any(Number) };
    const failed = { status: "failed", ms: expect.any(Number) };
    // What each checks besides Postgres: the engine (Redis) everywhere, storage on the web server.
    const processes = [
      { port: gatewayPort, others: { redis: ok } },
      { port: web!.port, others: { redis: ok, storage: ok } },
    ];
    for (const { port, others } of processes) {
      expect(await readyzUntil(port, 200)).toEqual({ status: "ready", checks: { postgres: ok, ...others } });
    }

    await cluster!.stopFast();
    expect(cluster!.pid()).toBeUndefined();
    for (const { port, others } of processes) {
      expect(await readyzUntil(port, 503)).toEqual({
        status: "unavailable",
        checks: { postgres: failed, ...others },
      });
      // Alive is not ready: the process runs on, a load balancer only stops routing to it.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }
    expect(gateways!.pid(gatewayPort)).toBe(pid);

    await cluster!.start();
    for (const { port, others } of processes) {
      expect(await readyzUntil(port, 200)).toEqual({ status: "ready", checks: { postgres: ok, ...others } });
    }
    expect(gateways!.pid(gatewayPort)).toBe(pid); // the same process came back; nothing restarted it
    expect(await (await fetch(`http://127.0.0.1:${web!.port}/`)).text()).toBe("the web app");

    // The gateway serves again: a new socket (token auth reads Postgres) and a send that commits.
    const socket = await TestClient.connectWithToken(gatewayPort, token);
    try {
      socket.send({
        type: "send",
        id: "after",
        clientMsgId: randomUUID(),
        conversationId: channelId,
        body: "back",
      });
      const [answer] = await socket.waitFor(
        (f) => (f.type === "ack" || f.type === "error") && "id" in f && f.id === "after",
        1,
        15_000,
      );
      expect(answer).toMatchObject({ type: "ack", id: "after", seq: expect.any(Number) });
      const stored = await db!.message.findMany({
        where: { conversationId: channelId },
        select: { body: true },
      });
      expect(stored).toEqual([{ body: "back" }]);
    } finally {
      await socket.close();
    }
  });
});
