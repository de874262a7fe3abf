/**
 * The shipped docker/nginx/ config (site.sh writes the site, as in the compose `proxy` container;
 * only the upstreams and the paths are this test's) in Debian's nginx, in front of in-process
 * stand-ins, so what the proxy itself does is checked in about a second:
 * - the web side: a stand-in built from what apps/web/server.ts puts in front of Next (request id,
 *   /readyz on Postgres and Redis, the TRUST_PROXY client address) shows what the web app receives
 *   through the proxy — its readiness, the request id, the client address (a client's forged
 *   X-Forwarded-For dropped) and upload-sized bodies;
 * - the gateway side: two WebSocket stand-ins show that /ws upgrades reach the gateways' upstream
 *   (not the web app), one socket per replica by least_conn, with the same edge headers.
 * The real thing — the built web server and two apps/realtime processes behind this nginx, two
 * browsers on different gateways talking live and sharing a file — is e2e/proxy-topology.spec.ts.
 * Without /usr/sbin/nginx the file is skipped with a banner (an error on CI).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  clientAddress,
  compileTrust,
  createReadiness,
  databaseCheck,
  engineCheck,
  RedisEngine,
} from "@parley/core";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { freePort } from "./gateway-processes.ts";
import { answerHealth } from "./http-replies.ts";
import { withRequestId } from "./logging.ts";
import { hasNginx, NGINX, startNginx, type TNginx } from "./nginx-process.ts";

if (!hasNginx()) {
  const line = "!".repeat(78);
  const banner = [
    line,
    `!! SKIPPED: the proxy topology (nginx's config): ${NGINX} is not installed (sudo apt-get install nginx).`,
    "!!   packages/gateway/src/proxy-topology.integration.test.ts",
    line,
  ].join("\n");
  if (process.env.CI === "true") throw new Error(`${banner}\nCI runs every test.`);
  console.warn(banner);
}

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `parley-test-${randomUUID().slice(0, 8)}:`;

/** What a stand-in was sent, per request (the web one) or per socket (a gateway one). */
type TSeen = { xff: string; address: string; requestId: string; proto: string; bytes: number };
type TGatewaySeen = { gateway: number; path: string; xff: string; requestId: string; upgrade: string };

let t: TTestDb;
const engine = new RedisEngine({ url: redisUrl, keyPrefix });
const servers: Server[] = [];
let nginx: TNginx | undefined;
let origin: string;

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

/** The web app's front as apps/web/server.ts has it, answering with what it saw. */
function startWebStandIn(db: TTestDb["db"]): Promise<number> {
  const health = {
    isClosing: () => false,
    readiness: createReadiness([databaseCheck(db), engineCheck(engine)]),
  };
  // The docs' setting for a proxy on the same host.
  const trust = compileTrust(["loopback"]);
  const web = createServer((req, res) =>
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
  return listen(web);
}

/** A gateway stand-in: accepts any upgrade and sends the socket one frame, what it was sent. */
function startGatewayStandIn(gateway: number): Promise<number> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket, req: IncomingMessage) => {
    const seen: TGatewaySeen = {
      gateway,
      path: req.url ?? "",
      xff: String(req.headers["x-forwarded-for"]),
      requestId: String(req.headers["x-request-id"]),
      upgrade: String(req.headers.upgrade),
    };
    socket.send(JSON.stringify(seen));
  });
  return listen(server);
}

/** Opens a socket through the proxy; resolves with it and the stand-in's first frame. */
function openSocket(headers: Record<string, string>): Promise<{ socket: WebSocket; seen: TGatewaySeen }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${origin.replace("http", "ws")}/ws?ticket=x`, { headers });
    socket.once("message", (data) => resolve({ socket, seen: JSON.parse(String(data)) as TGatewaySeen }));
    socket.once("error", reject);
    socket.once("unexpected-response", (_req, res) =>
      reject(new Error(`upgrade answered ${res.statusCode}`)),
    );
  });
}

beforeAll(async () => {
  if (!hasNginx()) return;
  t = await createTestDb();
  const [webPort, ...gatewayPorts] = await Promise.all([
    startWebStandIn(t.db),
    startGatewayStandIn(0),
    startGatewayStandIn(1),
  ]);
  nginx = await startNginx({ port: await freePort(), webPorts: [webPort!], gatewayPorts });
  origin = nginx.origin;
});

afterAll(async () => {
  await nginx?.stop();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await engine.close();
  await t?.drop();
});

describe.skipIf(!hasNginx())("nginx with the shipped config (the compose proxy)", () => {
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

  it("sends /ws upgrades to the gateways, one socket per replica, with the same edge headers", async () => {
    // One after the other: least_conn sends the second socket to the replica without one.
    const a = await openSocket({ "x-forwarded-for": "203.0.113.7", "x-request-id": "ws-1" });
    const b = await openSocket({});
    try {
      expect([a.seen.gateway, b.seen.gateway].sort()).toEqual([0, 1]);
      expect(a.seen).toMatchObject({ path: "/ws?ticket=x", xff: "127.0.0.1", requestId: "ws-1" });
      expect(a.seen.upgrade.toLowerCase()).toBe("websocket");
      expect(b.seen.requestId).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      a.socket.close();
      b.socket.close();
    }
  });
});
