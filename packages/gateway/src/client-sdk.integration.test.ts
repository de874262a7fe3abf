/**
 * ParleyClient against the real gateway, core and Postgres: ordered exactly-once delivery to
 * another member, and an outbox that survives a killed socket without storing anything twice.
 *
 * The gateway is an app and packages never import apps; this test is the one exception, reaching
 * it by relative path because the system under test is the pair (client, gateway). Start it like
 * apps/realtime/src/main.ts does: memory engine, core's fan-out as the event sink, port 0.
 */

import { ParleyClient, ParleySendError, type TClientOptions, type TWebSocketLike } from "@parley/client";
import {
  addMembers,
  createFanout,
  MemoryEngine,
  mintTicket,
  runMessageRetention,
  sendMessage,
  setEventSink,
  type TFanout,
} from "@parley/core";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace, type TSeededUser } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { CloseCode, ErrorCode, EventKind, type TConversationEvent } from "@parley/protocol";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createAuthenticator } from "./auth.ts";
import { createCoreHandlers } from "./commands.ts";
import { createGateway, type TGateway } from "./gateway.ts";

const SECRET = "integration-test-secret-at-least-32-characters";
const logger = pino({ level: "silent" });

let testDb: TTestDb;
let db: TDb;
let engine: MemoryEngine;
let fanout: TFanout;
let gateway: TGateway;
let alice: TSeededUser;
let bob: TSeededUser;
const clients: ParleyClient[] = [];

/**
 * A `ws` socket behind the client's WebSocket slot, so the test can play the network: kill the
 * socket, or lose a frame and then die (an ack that never arrives).
 */
class TestSocket implements TWebSocketLike {
  static opened: TestSocket[] = [];
  /** Frames this returns true for are swallowed and the socket is killed. */
  static loseAndKill: ((owner: string, frame: string) => boolean) | null = null;
  readonly owner: string;
  readonly ws: WebSocket;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  #isDead = false;

  constructor(url: string) {
    this.owner = new URL(url).searchParams.get("as") ?? "";
    this.ws = new WebSocket(url);
    this.ws.on("open", () => this.onopen?.({}));
    this.ws.on("message", (data) => {
      const text = String(data);
      if (this.#isDead) return;
      if (TestSocket.loseAndKill?.(this.owner, text)) this.kill();
      else this.onmessage?.({ data: text });
    });
    this.ws.on("close", (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
    this.ws.on("error", () => {});
    TestSocket.opened.push(this);
  }
  get readyState(): number {
    return this.ws.readyState;
  }
  send(data: string): void {
    this.ws.send(data);
  }
  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
  /** Drops the TCP connection without a close frame, like a network failure. */
  kill(): void {
    this.#isDead = true;
    this.ws.terminate();
  }
  static of(user: TSeededUser): TestSocket[] {
    return TestSocket.opened.filter((s) => s.owner === user.id);
  }
}

async function sessionTicket(userId: string): Promise<string> {
  const session = await db.authSession.create({
    data: { userId, expiresAt: new Date(Date.now() + 3_600_000) },
    select: { id: true },
  });
  return mintTicket(SECRET, { userId, sessionId: session.id }, 60);
}

function clientFor(
  user: TSeededUser,
  options: Partial<TClientOptions> = {},
  on = () => gateway,
): ParleyClient {
  const client = new ParleyClient({
    // A fresh ticket per attempt, as in the browser; `as` only labels the socket for the test.
    url: async () => `ws://127.0.0.1:${on().port}/ws?as=${user.id}&ticket=${await sessionTicket(user.id)}`,
    WebSocket: TestSocket,
    backoff: { baseMs: 50, maxMs: 200 },
    ...options,
  });
  clients.push(client);
  return client;
}

function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error("condition not met in time"));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
  await seedWorkspace(db);
  alice = await seedUser(db, { name: "Alice" });
  bob = await seedUser(db, { name: "Bob" });
  engine = new MemoryEngine();
  fanout = createFanout({ db, engine, logger: { warn: () => {}, error: () => {} } });
  setEventSink(fanout);
  gateway = await createGateway({
    port: 0,
    host: "127.0.0.1",
    authenticate: createAuthenticator({ db, secret: SECRET }),
    handlers: createCoreHandlers(db),
    delivery: { engine, db },
    logger,
  });
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await gateway?.close({ timeoutMs: 500 });
  await fanout?.close();
  await testDb?.drop();
});

describe("ParleyClient with the real gateway", () => {
  it("stores 50 messages exactly once across a killed socket and delivers them to another member once, in seq order", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [bob.id] });
    const a = clientFor(alice);
    const b = clientFor(bob);
    a.track(channel.id, 0);
    b.track(channel.id, 0);
    // B's socket dies too, after 10 events: it must resume from its cursor (hello replay racing
    // the live fan-out) and still see each seq once, in order.
    const received: TConversationEvent[] = [];
    b.on("event", (e) => {
      received.push(e);
      if (received.length === 10) TestSocket.of(bob).at(-1)?.kill();
    });
    const opened = (c: ParleyClient) =>
      new Promise<void>((resolve) => c.on("state", (s) => s.to === "open" && resolve()));
    const bothOpen = Promise.all([opened(a), opened(b)]);
    a.connect();
    b.connect();
    await bothOpen;

    // A loses the ack of its 21st message and its socket dies: the message IS stored, A cannot
    // know it. The outbox must resend it with the same clientMsgId (the server dedups) and the rest.
    let lostAckOf: string | null = null;
    TestSocket.loseAndKill = (owner, frame) => {
      if (owner !== alice.id || lostAckOf !== null) return false;
      const parsed = JSON.parse(frame) as { type: string; clientMsgId?: string };
      if (parsed.type !== "ack" || parsed.clientMsgId !== sends[20]?.clientMsgId) return false;
      lostAckOf = parsed.clientMsgId ?? null;
      return true;
    };
    let resentAttempts = 0;
    a.on("outbox", (entry) => {
      if (entry.body === "m20" && entry.status === "sent") resentAttempts = entry.attempts;
    });
    const sends = Array.from({ length: 50 }, (_, i) => a.send(channel.id, `m${i}`));
    const acks = await Promise.all(sends.map((s) => s.promise));
    expect(lostAckOf).toBe(sends[20]?.clientMsgId);
    expect(resentAttempts).toBe(2);
    expect(TestSocket.of(alice).length).toBeGreaterThanOrEqual(2);

    // Typed order is seq order, and the database holds each message exactly once.
    const seqs = acks.map((ack) => ack.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(50);
    const stored = await db.message.findMany({
      where: { conversationId: channel.id },
      orderBy: { seq: "asc" },
    });
    expect(stored).toHaveLength(50);
    expect(stored.map((m) => m.body)).toEqual(sends.map((_, i) => `m${i}`));
    expect(stored.map((m) => m.clientMsgId)).toEqual(sends.map((s) => s.clientMsgId));

    // B sees every message once, in seq order; A catches up on its own log too (resume after the kill).
    const lastSeq = Math.max(...seqs);
    await until(() => b.cursor(channel.id) === lastSeq && a.cursor(channel.id) === lastSeq);
    const messages = received.filter((e) => e.kind === EventKind.MessageCreated);
    expect(messages.map((e) => e.seq)).toEqual(seqs);
    expect(received.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(TestSocket.of(bob).length).toBeGreaterThanOrEqual(2);
    expect(a.getOutbox()).toEqual([]);
  });

  it("fails a message the server refuses for good, and the next one is stored", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const a = clientFor(alice, { maxSendRetries: 2, sendBackoff: { baseMs: 20, maxMs: 100 } });
    a.connect();
    // Well-formed (the SDK refuses malformed sends itself, before queueing: send-rules.test.ts),
    // but only the server knows its thread root does not exist: it can never succeed.
    const poison = a.send(channel.id, "a reply to nothing", { threadRootId: crypto.randomUUID() });
    const next = a.send(channel.id, "after the poison");
    const refusal = await poison.promise.then(
      () => null,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ParleySendError);
    expect(refusal).toMatchObject({ code: ErrorCode.NotFound });
    expect(a.getOutbox().find((e) => e.clientMsgId === poison.clientMsgId)?.status).toBe("failed");
    const stored = await next.promise;
    const messages = await db.message.findMany({ where: { conversationId: channel.id } });
    expect(messages.map((m) => [m.body, m.seq])).toEqual([["after the poison", stored.seq]]);
  }, 20_000);

  it("fails a message over the gateway's frame limit (4413), reconnects and sends the next", async () => {
    const small = await createGateway({
      port: 0,
      host: "127.0.0.1",
      authenticate: createAuthenticator({ db, secret: SECRET }),
      handlers: createCoreHandlers(db),
      delivery: { engine, db },
      logger,
      maxFrameBytes: 4_096,
    });
    try {
      const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
      // The SDK's own limit is the protocol's (512 KiB): this gateway is configured lower.
      const a = clientFor(alice, {}, () => small);
      const closes: number[] = [];
      a.on("state", (s) => s.code !== undefined && closes.push(s.code));
      a.connect();
      const big = a.send(channel.id, "x".repeat(5_000));
      const next = a.send(channel.id, "small enough");
      await expect(big.promise).rejects.toMatchObject({ code: ErrorCode.FrameTooLarge });
      await expect(next.promise).resolves.toMatchObject({ seq: expect.any(Number) });
      expect(closes).toEqual([CloseCode.FrameTooLarge]);
      expect(a.state).toBe("open");
      const messages = await db.message.findMany({ where: { conversationId: channel.id } });
      expect(messages.map((m) => m.body)).toEqual(["small enough"]);
      a.disconnect();
    } finally {
      await small.close({ timeoutMs: 500 });
    }
  }, 20_000);

  it("follows a channel the user is added to: resync up to the join, then live events", async () => {
    const carol = await seedUser(db, { name: "Carol" });
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const asAlice = { userId: alice.id, role: alice.role };
    for (const body of ["before 1", "before 2"]) {
      await sendMessage(db, asAlice, { conversationId: channel.id, clientMsgId: crypto.randomUUID(), body });
    }
    const c = clientFor(carol);
    const resyncs: [string, number][] = [];
    c.on("resync", (id, lastSeq) => resyncs.push([id, lastSeq]));
    const received: TConversationEvent[] = [];
    c.on("event", (e) => received.push(e));
    const open = new Promise<void>((resolve) => c.on("state", (s) => s.to === "open" && resolve()));
    c.connect();
    await open;

    // No joinedSeq in conversation.added today: the client learns the start with a probe (resync).
    await addMembers(db, asAlice, { conversationId: channel.id, userIds: [carol.id] });
    await until(() => resyncs.length === 1);
    expect(resyncs).toEqual([[channel.id, 3]]); // 2 messages + carol's member.joined
    await sendMessage(db, asAlice, {
      conversationId: channel.id,
      clientMsgId: crypto.randomUUID(),
      body: "after",
    });
    await until(() => received.length === 1);
    expect(received[0]).toMatchObject({ seq: 4, kind: EventKind.MessageCreated });
    expect(c.cursor(channel.id)).toBe(4);
  });
  it("resumes from a cursor inside a range retention removed: the rest once, in order, without repair syncs", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [bob.id] });
    const asAlice = { userId: alice.id, role: alice.role };
    for (let i = 0; i < 30; i++) {
      await sendMessage(db, asAlice, {
        conversationId: channel.id,
        clientMsgId: crypto.randomUUID(),
        body: `m${i}`,
      });
    }
    const { lastSeq } = await db.conversation.findUniqueOrThrow({ where: { id: channel.id } });
    // The log's first 20 entries are 40 days old; the workspace keeps 30 days.
    const longAgo = new Date(Date.now() - 40 * 24 * 3_600_000);
    await db.$executeRaw`UPDATE "Event" SET "createdAt" = ${longAgo}::timestamp(3)
      WHERE "conversationId" = ${channel.id}::uuid AND seq <= 20`;
    await db.$executeRaw`UPDATE "Message" SET "createdAt" = ${longAgo}::timestamp(3)
      WHERE "conversationId" = ${channel.id}::uuid AND seq <= 20`;
    await db.workspace.update({ where: { id: 1 }, data: { messageRetentionDays: 30 } });
    try {
      expect(await runMessageRetention(db, undefined)).toMatchObject({ events: 20 });
    } finally {
      await db.workspace.update({ where: { id: 1 }, data: { messageRetentionDays: 0 } });
    }

    // Bob's device held seq 5 (inside the removed range) and comes back.
    const b = clientFor(bob);
    b.track(channel.id, 5);
    const received: TConversationEvent[] = [];
    const truncated: [string, number][] = [];
    b.on("event", (e) => received.push(e));
    b.on("truncated", (id, seq) => truncated.push([id, seq]));
    b.connect();
    await until(() => received.length === lastSeq - 20);
    // Long enough for the gap grace (100 ms) and a repair retry to show a loop, were there one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq - 20 }, (_, i) => 21 + i));
    expect(truncated).toEqual([[channel.id, 20]]);
    expect(b.stats.syncs).toBe(0);
    expect(b.cursor(channel.id)).toBe(lastSeq);

    // And live delivery goes on from there.
    await sendMessage(db, asAlice, {
      conversationId: channel.id,
      clientMsgId: crypto.randomUUID(),
      body: "after",
    });
    await until(() => received.length === lastSeq - 19);
    expect(received.at(-1)?.seq).toBe(lastSeq + 1);
    expect(b.stats.syncs).toBe(0);
  });
});
