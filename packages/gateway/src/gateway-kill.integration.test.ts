/**
 * Issue 3's crash acceptance, with real processes: two gateway processes (apps/realtime) on one
 * Redis; A (SDK, on gateway 1) streams 1,000 messages into a channel while gateway 2 (holding B)
 * and then gateway 1 (holding A) are SIGKILLed and restarted mid-stream. B must end with exactly
 * those 1,000 messages, in seq order, each once; A's outbox resends what was unacked, and the
 * database holds exactly 1,000 (a resend never creates a second message). And a user whose
 * gateway is SIGKILLed shows offline to a watcher on another gateway within 60 s.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import path from "node:path";
import { ParleyClient } from "@parley/client";
import { createAccessToken } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { EventKind, type TConversationEvent } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { sessionTicket, TEST_SECRET, TestClient } from "./test-helpers.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `parley-test-${randomUUID().slice(0, 8)}:`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let t: TTestDb;
let db: TDb;
const gateways = new Map<number, ChildProcess>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Starts apps/realtime as its own process on `port` and waits until it answers /healthz. */
async function startGateway(port: number): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/realtime/src/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: t.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      AUTH_SECRET: TEST_SECRET,
      REALTIME_PORT: String(port),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  gateways.set(port, child);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway on ${port} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`gateway on ${port} did not come up`);
}

/** SIGKILL: no goodbye frames, no Redis cleanup — as when the machine dies. */
async function killGateway(port: number): Promise<void> {
  const child = gateways.get(port);
  // A process ended by a signal keeps exitCode null: check both, or we would wait for an exit that already happened.
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

beforeAll(async () => {
  t = await createTestDb();
  db = t.db;
  await seedWorkspace(db);
});

afterAll(async () => {
  for (const port of gateways.keys()) await killGateway(port);
  await t?.drop();
});

describe("gateways SIGKILLed mid-stream", () => {
  it("B gets exactly A's 1,000 messages in seq order, each once, and the database holds 1,000", async () => {
    const [alice, bob] = await Promise.all([seedUser(db, { name: "A" }), seedUser(db, { name: "B" })]);
    const channel = await seedChannel(db, { createdById: alice!.id, memberIds: [bob!.id] });
    const token = async (userId: string) =>
      (await createAccessToken(db, { userId, role: "member" }, { name: "kill-test" })).token;
    const [port1, port2] = [await freePort(), await freePort()];
    await Promise.all([startGateway(port1), startGateway(port2)]);

    const client = (port: number, secret: string) =>
      new ParleyClient({
        url: `ws://127.0.0.1:${port}/ws?token=${secret}`,
        WebSocket: WebSocket as never,
        backoff: { baseMs: 50, maxMs: 500 },
        connectTimeoutMs: 3_000,
      });
    const a = client(port1, await token(alice!.id));
    const b = client(port2, await token(bob!.id));
    const received: TConversationEvent[] = [];
    b.on("event", (event) => {
      if (event.kind === EventKind.MessageCreated) received.push(event);
    });
    b.track(channel.id, 0);
    a.connect();
    b.connect();
    try {
      const open = () => a.state === "open" && b.state === "open";
      for (let waited = 0; !open(); waited += 20) {
        if (waited > 15_000) throw new Error("clients did not connect");
        await sleep(20);
      }

      const acks: Promise<unknown>[] = [];
      let restarts: Promise<void> = Promise.resolve();
      for (let i = 0; i < 1_000; i++) {
        acks.push(a.send(channel.id, `m${i}`).promise);
        if (i === 250) restarts = killGateway(port2).then(() => startGateway(port2)); // B's gateway
        if (i === 600) {
          await restarts; // then A's own gateway, while A is still streaming
          restarts = killGateway(port1).then(() => startGateway(port1));
        }
        await sleep(4);
      }
      await restarts;
      await Promise.all(acks);
      for (let waited = 0; received.length < 1_000; waited += 50) {
        if (waited > 60_000) throw new Error(`B has ${received.length} of 1000 messages`);
        await sleep(50);
      }
      await sleep(300); // anything duplicated would have arrived by now

      const bodies = received.map((e) => (e.payload as { message: { body: string } }).message.body);
      expect(bodies).toEqual(Array.from({ length: 1_000 }, (_, i) => `m${i}`));
      const seqs = received.map((e) => e.seq);
      expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
      expect(await db.message.count({ where: { conversationId: channel.id } })).toBe(1_000);
      const stored = await db.message.findMany({
        where: { conversationId: channel.id },
        orderBy: { seq: "asc" },
        select: { body: true, seq: true },
      });
      expect(stored.map((m) => m.body)).toEqual(bodies);
      expect(stored.map((m) => m.seq)).toEqual(seqs);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  }, 180_000);

  it("shows a user offline within 60 s after their gateway is SIGKILLed", async () => {
    const [watcher, watched] = await Promise.all([seedUser(db, { name: "W" }), seedUser(db, { name: "X" })]);
    const [port1, port2] = [await freePort(), await freePort()];
    await Promise.all([startGateway(port1), startGateway(port2)]);
    const a = await TestClient.connect(port1, await sessionTicket(db, watcher!.id));
    const b = await TestClient.connect(port2, await sessionTicket(db, watched!.id));
    try {
      a.send({ type: "watchPresence", id: "w1", userIds: [watched!.id] });
      await a.waitFor((f) => f.type === "presence" && f.userId === watched!.id && f.status === "online");
      const killedAt = Date.now();
      await killGateway(port2); // no close frame, no presence cleanup: only the TTL can tell
      await a.waitFor(
        (f) => f.type === "presence" && f.userId === watched!.id && f.status === "offline",
        1,
        60_000,
      );
      expect(Date.now() - killedAt).toBeLessThan(60_000);
    } finally {
      await a.close();
      b.ws.terminate();
    }
  }, 120_000);
});
