/**
 * Issue 3's crash acceptance, with real processes: two gateway processes (apps/realtime) on one
 * Redis; A (SDK, on gateway 1) streams 1,000 messages into a channel while gateway 2 (holding B)
 * and then gateway 1 (holding A) are SIGKILLed and restarted mid-stream. B must end with exactly
 * those 1,000 messages, in seq order, each once; A's outbox resends what was unacked, and the
 * database holds exactly 1,000 (a resend never creates a second message). And a user whose
 * gateway is SIGKILLed shows offline to a watcher on another gateway once its presence TTL lapses.
 */
import { randomUUID } from "node:crypto";
import { ParleyClient } from "@parley/client";
import { createAccessToken } from "@parley/core";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { EventKind, type TConversationEvent } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { freePort, GatewayProcesses } from "./gateway-processes.ts";
import { sessionTicket, TestClient } from "./test-helpers.ts";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `parley-test-${randomUUID().slice(0, 8)}:`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let t: TTestDb;
let db: TTestDb["db"];
let gateways: GatewayProcesses;
// A streams 1,000 messages: at the default rate limits (30 messages per second) its outbox would
// drain them in ≈ 40 s, most of this file's time, testing nothing more about the kills.
const UNLIMITED = { RATE_LIMIT_COMMANDS_PER_SECOND: "10000", RATE_LIMIT_MESSAGES_PER_SECOND: "10000" };
const startGateway = (port: number) => gateways.start(port, UNLIMITED);
const killGateway = async (port: number) => void (await gateways.stop(port, "SIGKILL"));

beforeAll(async () => {
  t = await createTestDb();
  db = t.db;
  gateways = new GatewayProcesses({ databaseUrl: t.url, redisUrl, keyPrefix });
  await seedWorkspace(db);
});

afterAll(async () => {
  await gateways?.killAll();
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
      /** A's messages not yet stored while its own gateway is down: what the outbox must resend. */
      let unstoredDuringOutage = 0;
      for (let i = 0; i < 1_000; i++) {
        acks.push(a.send(channel.id, `m${i}`).promise);
        if (i === 250) restarts = killGateway(port2).then(() => startGateway(port2)); // B's gateway
        if (i === 600) {
          await restarts; // then A's own gateway, while A is still streaming
          restarts = killGateway(port1).then(() => startGateway(port1));
        }
        if (i === 700) unstoredDuringOutage = a.getOutbox().filter((e) => e.status !== "sent").length;
        await sleep(4);
      }
      await restarts;
      await Promise.all(acks);
      for (let waited = 0; received.length < 1_000; waited += 50) {
        if (waited > 60_000) throw new Error(`B has ${received.length} of 1000 messages`);
        await sleep(50);
      }
      await sleep(300); // anything duplicated would have arrived by now

      expect(unstoredDuringOutage).toBeGreaterThan(50); // the kill was mid-stream, not after it
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

  it("shows a user offline within 3 × the refresh interval after their gateway is SIGKILLed", async () => {
    const [watcher, watched] = await Promise.all([seedUser(db, { name: "W" }), seedUser(db, { name: "X" })]);
    const [port1, port2] = [await freePort(), await freePort()];
    // PRESENCE_REFRESH_SECONDS=2: entries live 6 s, so the TTL path is tested without waiting 30 s.
    const fast = { PRESENCE_REFRESH_SECONDS: "2" };
    await Promise.all([gateways.start(port1, fast), gateways.start(port2, fast)]);
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
        30_000,
      );
      // 3 × 2 s for the entry to lapse, plus the watcher gateway's next sweep and a loaded box.
      expect(Date.now() - killedAt).toBeLessThan(20_000);
    } finally {
      await a.close();
      b.ws.terminate();
    }
  }, 120_000);
});
