/**
 * /healthz and /readyz, with real dependencies going away and coming back: a gateway (its own
 * server, as apps/realtime runs it) on a private redis-server this test starts, kills and restarts
 * (never the shared one on 6379); the web server's arrangement (answerHealth on its http server,
 * with storage among the checks); and Postgres or S3 where nothing listens. Postgres stopped and
 * started again under a running gateway process and the web server's arrangement:
 * readiness-postgres.integration.test.ts (a private cluster).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "@parley/config";
import { createReadiness, databaseCheck, storageCheck, type TReadinessReport } from "@parley/core";
import { createDb } from "@parley/db";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { createLocalStorage, createS3Storage } from "@parley/storage";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "./gateway.ts";
import { freePort } from "./gateway-processes.ts";
import { answerHealth } from "./http-replies.ts";
import { startRealtime, type TRealtime } from "./realtime.ts";
import { TEST_SECRET, until } from "./test-helpers.ts";

const logger = pino({ level: "silent" });
let t: TTestDb;
let redisPort: number;
let redis: ChildProcess | null = null;
let realtime: TRealtime | undefined;
let storageDir: string;

/** True when something answers PING on `port`. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500, () => socket.destroy());
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
    socket.once("data", (data) => {
      resolve(data.toString().startsWith("+PONG"));
      socket.destroy();
    });
    socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
  });
}

/** A private redis-server on `redisPort`: no persistence, gone with the test. */
async function startRedis(): Promise<void> {
  redis = spawn(
    "redis-server",
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  await until(() => pings(redisPort), 10_000);
}

async function stopRedis(): Promise<void> {
  const child = redis;
  redis = null;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

async function readyz(port: number): Promise<{ status: number; body: TReadinessReport }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as TReadinessReport };
}

/** Polls /readyz until it answers `status`. */
async function readyzUntil(port: number, status: number): Promise<TReadinessReport> {
  let last: { status: number; body: TReadinessReport } | undefined;
  await until(async () => {
    last = await readyz(port);
    return last.status === status;
  }, 20_000);
  return last!.body;
}

beforeAll(async () => {
  t = await createTestDb();
  redisPort = await freePort();
  storageDir = await mkdtemp(path.join(tmpdir(), "parley-readiness-"));
  await startRedis();
});

afterAll(async () => {
  await realtime?.close();
  await stopRedis();
  await t?.drop();
  await rm(storageDir, { recursive: true, force: true });
});

describe("a gateway's /healthz and /readyz", () => {
  it("turns unready while its Redis is down and ready again when it returns; /healthz stays up", async () => {
    const env = parseEnv({
      DATABASE_URL: t.url,
      AUTH_SECRET: TEST_SECRET,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REALTIME_PORT: "0",
    });
    realtime = await startRealtime({ env, db: t.db, logger });
    const port = realtime.gateway!.port;

    expect(await readyzUntil(port, 200)).toEqual({
      status: "ready",
      checks: {
        postgres: { status: "ok", ms: expect.any(Number) },
        redis: { status: "ok", ms: expect.any(Number) },
      },
    });

    await stopRedis();
    const down = await readyzUntil(port, 503);
    expect(down.status).toBe("unavailable");
    expect(down.checks.redis?.status).toBe("failed");
    expect(down.checks.postgres?.status).toBe("ok");
    // Alive is not ready: the process still runs, a load balancer only stops routing to it.
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", connections: 0 });

    await startRedis();
    expect((await readyzUntil(port, 200)).checks.redis?.status).toBe("ok");

    await realtime.close();
    realtime = undefined;
  });

  it("answers 503 naming postgres when the database does not answer, and 200 with one that does", async () => {
    const deadDb = createDb(`postgresql://parley@127.0.0.1:${await freePort()}/nothing`, {
      connectionTimeoutMillis: 1_000,
    });
    for (const [db, status] of [
      [deadDb, 503],
      [t.db, 200],
    ] as const) {
      const gateway = await createGateway({
        port: 0,
        host: "127.0.0.1",
        authenticate: async () => null,
        logger,
        readiness: createReadiness([databaseCheck(db)], { timeoutMs: 1_500 }),
      });
      const { status: got, body } = await readyz(gateway.port);
      expect(got).toBe(status);
      expect(body.checks.postgres?.status).toBe(status === 200 ? "ok" : "failed");
      await gateway.close();
    }
    await deadDb.$disconnect();
  });
});

describe("the web server's /readyz (answerHealth before the app, storage among the checks)", () => {
  async function webServer(
    storage: Parameters<typeof storageCheck>[0],
  ): Promise<{ server: Server; port: number }> {
    const readiness = createReadiness([databaseCheck(t.db), storageCheck(storage)], { timeoutMs: 1_500 });
    const server = createHttpServer((req, res) => {
      if (answerHealth(req, res, { isClosing: () => false, readiness })) return;
      res.end("the web app");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    return { server, port: typeof address === "object" && address ? address.port : 0 };
  }

  it("is ready with reachable storage and unready (storage: failed) when the S3 server is gone", async () => {
    const local = createLocalStorage({
      dir: storageDir,
      publicBaseUrl: "http://localhost",
      secret: TEST_SECRET,
    });
    const s3 = createS3Storage({
      endPoint: "127.0.0.1",
      port: await freePort(),
      useSSL: false,
      accessKey: "nobody",
      secretKey: "nothing-listens-here",
      bucket: "parley",
      region: "us-east-1",
      pathStyle: true,
    });
    const up = await webServer(async () => local);
    const down = await webServer(async () => s3);
    try {
      expect(await readyz(up.port)).toMatchObject({
        status: 200,
        body: { status: "ready", checks: { postgres: { status: "ok" }, storage: { status: "ok" } } },
      });
      expect(await readyz(down.port)).toMatchObject({
        status: 503,
        body: {
          status: "unavailable",
          checks: { postgres: { status: "ok" }, storage: { status: "failed" } },
        },
      });
      expect(await (await fetch(`http://127.0.0.1:${up.port}/`)).text()).toBe("the web app");
      expect((await fetch(`http://127.0.0.1:${down.port}/healthz`)).status).toBe(200);
    } finally {
      up.server.close();
      down.server.close();
    }
  });

  it("reports a check that hangs as a timeout within the limit", async () => {
    const readiness = createReadiness([{ name: "stuck", run: () => new Promise(() => {}) }], {
      timeoutMs: 200,
    });
    const started = Date.now();
    expect(await readiness()).toEqual({
      status: "unavailable",
      checks: { stuck: { status: "timeout", ms: expect.any(Number) } },
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
