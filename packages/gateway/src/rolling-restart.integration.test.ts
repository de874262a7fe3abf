/**
 * Issue 13's rolling restart, with real processes: two gateways (apps/realtime) on one Redis
 * behind a round-robin "load balancer" (each SDK client's URL function takes the next gateway).
 * Three members of one channel send continuously through the SDK while each gateway in turn gets
 * SIGTERM (it drains: refuses new sockets, finishes and acks what it took in, closes with 4000),
 * exits 0 and is started again. Afterwards every acked message is in the database exactly once,
 * each sender's messages in the order they were sent, and every member received every message
 * once, in seq order. The admin Health page, read through Redis as the web process would, then
 * shows both new gateways and the three sockets.
 */
import { randomUUID } from "node:crypto";
import { ParleyClient } from "@parley/client";
import {
  createAccessToken,
  RedisEngine,
  readOperationsHealth,
  setOpsStatsReader,
  type TActor,
} from "@parley/core";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { freePort, GatewayProcesses, receivedBodies } from "./gateway-processes.ts";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const keyPrefix = `parley-test-${randomUUID().slice(0, 8)}:`;
const admin: TActor = { userId: randomUUID(), role: "admin" };

let t: TTestDb;
let gateways: GatewayProcesses;
// What the web process of this topology reads the Health page's figures from: the same Redis.
const engine = new RedisEngine({ url: redisUrl, keyPrefix });

beforeAll(async () => {
  t = await createTestDb();
  gateways = new GatewayProcesses({ databaseUrl: t.url, redisUrl, keyPrefix });
  setOpsStatsReader(() => engine.listProcessStats());
  await seedWorkspace(t.db);
});

afterAll(async () => {
  setOpsStatsReader(null);
  await engine.close();
  await gateways?.killAll();
  await t?.drop();
});

describe("rolling restart of two gateways", () => {
  it("loses nothing and duplicates nothing while each gateway in turn is SIGTERMed and restarted", async () => {
    const db = t.db;
    const users = await Promise.all(["A", "B", "C"].map((name) => seedUser(db, { name })));
    const channel = await seedChannel(db, {
      createdById: users[0]!.id,
      memberIds: users.slice(1).map((u) => u!.id),
    });
    const ports = [await freePort(), await freePort()];
    await Promise.all(ports.map((port) => gateways.start(port)));

    let turn = 0;
    const members = await Promise.all(
      users.map(async (user) => {
        const { token } = await createAccessToken(db, { userId: user!.id, role: "member" }, { name: "roll" });
        const client = new ParleyClient({
          // The load balancer: each connect attempt goes to the next gateway, up or not.
          url: () => `ws://127.0.0.1:${ports[turn++ % ports.length]}/ws?token=${token}`,
          WebSocket: WebSocket as never,
          backoff: { baseMs: 50, maxMs: 300 },
          connectTimeoutMs: 3_000,
        });
        const received = receivedBodies(client);
        client.track(channel.id, 0);
        client.connect();
        return { name: user!.name, client, received, sent: [] as string[], acks: [] as Promise<unknown>[] };
      }),
    );
    try {
      for (let waited = 0; !members.every((m) => m.client.state === "open"); waited += 20) {
        if (waited > 15_000) throw new Error("clients did not connect");
        await sleep(20);
      }

      let isSending = true;
      // 20 messages a second each: under the per-user send budget, so nothing waits on a refusal.
      const senders = members.map(async (m) => {
        for (let i = 0; isSending; i++) {
          const body = `${m.name}-${i}`;
          m.sent.push(body);
          m.acks.push(m.client.send(channel.id, body).promise);
          await sleep(50);
        }
      });
      await sleep(700);
      for (const port of ports) {
        // SIGTERM: a graceful drain, so the process ends on its own with 0.
        expect(await gateways.restart(port)).toEqual({ code: 0, signal: null });
        await sleep(700);
      }
      isSending = false;
      await Promise.all(senders);
      await Promise.all(members.flatMap((m) => m.acks));

      const stored = await db.message.findMany({
        where: { conversationId: channel.id },
        orderBy: { seq: "asc" },
        select: { body: true },
      });
      const bodies = stored.map((m) => m.body);
      const sent = members.flatMap((m) => m.sent);
      expect(sent.length).toBeGreaterThan(100);
      // Every acked message once: as many rows as sends, and every send among them.
      expect(bodies.length).toBe(sent.length);
      expect(new Set(bodies)).toEqual(new Set(sent));
      // Each sender's messages keep the order they were sent in.
      for (const m of members) expect(bodies.filter((b) => b.startsWith(`${m.name}-`))).toEqual(m.sent);
      // Every member got every message once, in seq order.
      const everythingReceived = async () => {
        for (const m of members) {
          for (let waited = 0; m.received.length < bodies.length; waited += 50) {
            if (waited > 10_000) throw new Error(`${m.name} has ${m.received.length} of ${bodies.length}`);
            await sleep(50);
          }
        }
        await sleep(300); // anything duplicated would have arrived by now
      };
      // Meanwhile, the Health page across processes: both new gateways report through Redis,
      // with the three sockets between them (each writes every 5 s). A drained gateway withdraws
      // its snapshot as it stops: within two writes, not after the 20 s TTL (an old snapshot
      // would still be listed then: the second one was written at most 5 s before its stop).
      const healthOfBoth = async () => {
        for (const deadline = Date.now() + 10_000; ; ) {
          const health = await readOperationsHealth(admin);
          if (health.processes.length === 2 && health.connections === 3) return health;
          if (Date.now() > deadline) throw new Error(`health page shows ${JSON.stringify(health.processes)}`);
          await sleep(200);
        }
      };
      const [, health] = await Promise.all([everythingReceived(), healthOfBoth()]);
      for (const m of members) expect(m.received).toEqual(bodies);
      expect(health.processes.map((p) => p.role)).toEqual(["gateway", "gateway"]);
    } finally {
      for (const m of members) m.client.disconnect();
    }
  }, 120_000);
});
