/**
 * Issue 13's compose topology as plain processes: Debian's nginx, configured by the shipped
 * docker/nginx/ files (site.sh writes the site, as in the `proxy` container; only the upstreams
 * and the paths are this test's), in front of two gateway processes (apps/realtime) on one Redis.
 * Two SDK clients connected to the ONE proxy address land on different gateways and talk live
 * through it. The web side of the proxy is a stand-in built from what apps/web/server.ts puts in
 * front of Next (request id, /readyz on Postgres and Redis, the TRUST_PROXY client address), which
 * shows what the web app receives through the proxy: its readiness, the request id, the client
 * address (a client's forged X-Forwarded-For dropped) and upload-sized bodies.
 * Without /usr/sbin/nginx the file is skipped with a banner (an error on CI).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { ParleyClient } from "@parley/client";
import {
  clientAddress,
  compileTrust,
  createAccessToken,
  createReadiness,
  databaseCheck,
  engineCheck,
  RedisEngine,
} from "@parley/core";
import { seedChannel, seedUser, seedWorkspace, type TSeededUser } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { freePort, GatewayProcesses, receivedBodies } from "./gateway-processes.ts";
import { answerHealth } from "./http-replies.ts";
import { withRequestId } from "./logging.ts";

const NGINX = "/usr/sbin/nginx";
const nginxDir = path.resolve(import.meta.dirname, "../../../docker/nginx");
if (!existsSync(NGINX)) {
  const line = "!".repeat(78);
  const banner = [
    line,
    `!! SKIPPED: the proxy topology (nginx + two gateways): ${NGINX} is not installed (sudo apt-get install nginx).`,
    "!!   packages/gateway/src/proxy-topology.integration.test.ts",
    line,
  ].join("\n");
  if (process.env.CI === "true") throw new Error(`${banner}\nCI runs every test.`);
  console.warn(banner);
}

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `parley-test-${randomUUID().slice(0, 8)}:`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the web stand-in was sent, per request. */
type TSeen = { xff: string; address: string; requestId: string; proto: string; bytes: number };

let t: TTestDb;
let gateways: GatewayProcesses;
const engine = new RedisEngine({ url: redisUrl, keyPrefix });
let web: Server;
let nginx: ChildProcess | undefined;
let dir: string;
let gatewayPorts: number[];
let origin: string;

/** The web app's front as apps/web/server.ts has it, answering with what it saw. */
function startWebStandIn(db: TTestDb["db"]): Promise<number> {
  const health = {
    isClosing: () => false,
    readiness: createReadiness([databaseCheck(db), engineCheck(engine)]),
  };
  // The docs' setting for a proxy on the same host.
  const trust = compileTrust(["loopback"]);
  web = createServer((req, res) =>
    withRequestId(req, res, () => {
      if (answerHealth(req, res, health)) return;
      let bytes = 0;
      req.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.on("end", () => {
        const seen: TSeen = {
          xff: String(req.headers["x-forwarded-for"]),
          address: clientAddress(req, trust) ?? "",
          requestId: String(req.headers["x-request-id"]),
          proto: String(req.headers["x-forwarded-proto"]),
          bytes,
        };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
      });
    }),
  );
  return new Promise((resolve) =>
    web.listen(0, "127.0.0.1", () => resolve((web.address() as { port: number }).port)),
  );
}

/** nginx with the shipped config, the upstreams on loopback, everything else in `dir`. */
async function startNginx(webPort: number, proxyPort: number): Promise<void> {
  const upstreams = path.join(dir, "upstreams.conf");
  await writeFile(
    upstreams,
    `upstream parley_web { server 127.0.0.1:${webPort}; keepalive 4; }\n` +
      `upstream parley_gateways { least_conn; ${gatewayPorts.map((p) => `server 127.0.0.1:${p};`).join(" ")} }\n`,
  );
  const site = spawnSync("sh", [path.join(nginxDir, "site.sh")], {
    env: {
      PATH: process.env.PATH,
      PARLEY_NGINX_DIR: nginxDir,
      PARLEY_UPSTREAMS: upstreams,
      PARLEY_SITE: path.join(dir, "site.conf"),
      PARLEY_HTTP_LISTEN: `127.0.0.1:${proxyPort}`,
      PARLEY_ACCESS_LOG: path.join(dir, "access.log"),
    },
    encoding: "utf8",
  });
  if (site.status !== 0) throw new Error(`site.sh failed: ${site.stderr}`);
  // One process that stays the caller's user (no master/worker switch to another user), no root paths.
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `${kind}_temp_path ${path.join(dir, kind)};`)
    .join(" ");
  await writeFile(
    path.join(dir, "nginx.conf"),
    [
      "daemon off;",
      "master_process off;",
      `pid ${path.join(dir, "nginx.pid")};`,
      `error_log ${path.join(dir, "error.log")} warn;`,
      "events { worker_connections 256; }",
      `http { ${temp} include ${path.join(dir, "site.conf")}; }`,
    ].join("\n"),
  );
  const child = spawn(
    NGINX,
    ["-p", dir, "-e", path.join(dir, "error.log"), "-c", path.join(dir, "nginx.conf")],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  nginx = child;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
    if (child.exitCode !== null)
      throw new Error(`nginx exited with ${child.exitCode} (see ${dir}/error.log)`);
    try {
      if ((await fetch(`${origin}/healthz`)).ok) return;
    } catch {}
  }
  throw new Error("nginx did not come up");
}

beforeAll(async () => {
  if (!existsSync(NGINX)) return;
  t = await createTestDb();
  await seedWorkspace(t.db);
  dir = await mkdtemp(path.join(tmpdir(), "parley-nginx-"));
  gateways = new GatewayProcesses({ databaseUrl: t.url, redisUrl, keyPrefix });
  gatewayPorts = [await freePort(), await freePort()];
  const proxyPort = await freePort();
  origin = `http://127.0.0.1:${proxyPort}`;
  const [webPort] = await Promise.all([
    startWebStandIn(t.db),
    ...gatewayPorts.map((port) => gateways.start(port)),
  ]);
  await startNginx(webPort, proxyPort);
}, 60_000);

afterAll(async () => {
  nginx?.kill("SIGKILL");
  await gateways?.killAll();
  await new Promise((resolve) => (web ? web.close(resolve) : resolve(undefined)));
  await engine.close();
  await t?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(NGINX))("nginx in front of two gateways (the compose proxy)", () => {
  it("passes the web app its readiness, the request id, the real client address and upload-sized bodies", async () => {
    const ready = await fetch(`${origin}/readyz`, { headers: { "x-request-id": "edge-1" } });
    expect(ready.status).toBe(200);
    expect(ready.headers.get("x-request-id")).toBe("edge-1");
    const report = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(report.status).toBe("ready");
    expect(Object.keys(report.checks).sort()).toEqual(["postgres", "redis"]);

    // A forged X-Forwarded-For is dropped at the edge: the app sees the proxy's peer, the client.
    const forged = await fetch(`${origin}/api/anything`, { headers: { "x-forwarded-for": "203.0.113.7" } });
    const seen = (await forged.json()) as TSeen;
    expect(seen).toMatchObject({ xff: "127.0.0.1", address: "127.0.0.1", proto: "http", bytes: 0 });
    // No id from the client: nginx makes one, the app logs it and echoes it.
    expect(seen.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(forged.headers.get("x-request-id")).toBe(seen.requestId);

    // Past nginx's default 1 MiB body limit (a local-storage upload goes through the web app).
    const body = new Uint8Array(3 * 1024 * 1024);
    const upload = await fetch(`${origin}/api/upload`, { method: "PUT", body });
    expect(upload.status).toBe(200);
    expect(((await upload.json()) as TSeen).bytes).toBe(body.length);
  });

  it("spreads sockets over both gateways, and their users talk live through the one address", async () => {
    const db = t.db;
    const [alice, bob] = (await Promise.all(["Alice", "Bob"].map((name) => seedUser(db, { name })))) as [
      TSeededUser,
      TSeededUser,
    ];
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [bob.id] });
    const connect = async (user: TSeededUser) => {
      const { token } = await createAccessToken(db, { userId: user.id, role: "member" }, { name: "proxy" });
      const client = new ParleyClient({
        url: () => `${origin.replace("http", "ws")}/ws?token=${token}`,
        WebSocket: WebSocket as never,
      });
      const received = receivedBodies(client);
      client.track(channel.id, 0);
      client.connect();
      for (let waited = 0; client.state !== "open"; waited += 20) {
        if (waited > 5_000) throw new Error(`${user.name} did not connect through the proxy`);
        await sleep(20);
      }
      return { client, received };
    };
    // One after the other: least_conn sends the second socket to the gateway without one.
    const a = await connect(alice);
    const b = await connect(bob);
    try {
      const counts = await Promise.all(
        gatewayPorts.map(async (port) => {
          const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
            connections: number;
          };
          return health.connections;
        }),
      );
      expect(counts).toEqual([1, 1]);

      await a.client.send(channel.id, "hello from gateway one").promise;
      await b.client.send(channel.id, "hello back from gateway two").promise;
      const both = ["hello from gateway one", "hello back from gateway two"];
      for (const m of [a, b]) {
        for (let waited = 0; m.received.length < both.length; waited += 20) {
          if (waited > 5_000) throw new Error(`received only ${JSON.stringify(m.received)}`);
          await sleep(20);
        }
      }
      expect(a.received).toEqual(both);
      expect(b.received).toEqual(both);
    } finally {
      a.client.disconnect();
      b.client.disconnect();
    }
  });
});
