import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ParleyConnection, type TStateChange } from "@parley/client";
import { createAccessToken, mintTicket } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace, type TSeededUser } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import {
  CloseCode,
  ErrorCode,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  parseReconnectWindow,
  type TServerEvent,
} from "@parley/protocol";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createAuthenticator } from "./auth.ts";
import { createCoreHandlers } from "./commands.ts";
import { createGateway, type TGateway, type TGatewayOptions } from "./gateway.ts";

const SECRET = "integration-test-secret-at-least-32-characters";
const logger = pino({ level: "silent" });

let testDb: TTestDb;
let db: TDb;
let gateway: TGateway;
let alice: TSeededUser;
const extraGateways: TGateway[] = [];

async function startGateway(overrides: Partial<TGatewayOptions> = {}): Promise<TGateway> {
  const g = await createGateway({
    port: 0,
    host: "127.0.0.1",
    authenticate: createAuthenticator({ db, secret: SECRET }),
    handlers: createCoreHandlers(db),
    logger,
    ...overrides,
  });
  extraGateways.push(g);
  return g;
}

async function sessionTicket(userId: string, ttlSec = 60): Promise<string> {
  const session = await db.authSession.create({
    data: { userId, expiresAt: new Date(Date.now() + 3_600_000) },
    select: { id: true },
  });
  return mintTicket(SECRET, { userId, sessionId: session.id }, ttlSec);
}

async function accessToken(user: TSeededUser): Promise<string> {
  const { token } = await createAccessToken(db, { userId: user.id, role: user.role }, { name: "test" });
  return token;
}

/** A test client: collects frames in order and exposes the close. */
class TestSocket {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly frames: TServerEvent[] = [];
  private readonly waiters: ((f: TServerEvent) => void)[] = [];

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as TServerEvent;
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
    this.ws.on("error", () => {});
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  next(timeoutMs = 5_000): Promise<TServerEvent> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no frame within timeout")), timeoutMs);
      this.waiters.push((f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  send(value: unknown): void {
    this.ws.send(typeof value === "string" ? value : JSON.stringify(value));
  }
}

function url(g: TGateway, query = ""): string {
  return `ws://127.0.0.1:${g.port}/ws${query}`;
}

/** Opens a socket and returns it after its welcome frame. */
async function connected(g: TGateway, query: string, options?: WebSocket.ClientOptions) {
  const socket = new TestSocket(url(g, query), options);
  const welcome = await socket.next();
  expect(welcome.type).toBe("welcome");
  return { socket, welcome };
}

/** The HTTP status of a refused upgrade. */
async function upgradeStatus(target: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(target, { headers });
  ws.on("error", () => {});
  const [, res] = (await once(ws, "unexpected-response")) as [unknown, { statusCode: number }];
  ws.terminate();
  return res.statusCode;
}

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
  await seedWorkspace(db);
  alice = await seedUser(db, { name: "Alice" });
  gateway = await startGateway();
});

afterAll(async () => {
  for (const g of extraGateways) await g.close({ timeoutMs: 500 });
  await testDb?.drop();
});

describe("http", () => {
  it("answers /healthz with the connection count", async () => {
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    const res = await fetch(`http://127.0.0.1:${gateway.port}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; connections: number };
    expect(body.status).toBe("ok");
    expect(body.connections).toBeGreaterThanOrEqual(1);
    socket.ws.close();
  });

  it("answers 404 elsewhere, also for upgrades", async () => {
    expect((await fetch(`http://127.0.0.1:${gateway.port}/nope`)).status).toBe(404);
    const ticket = await sessionTicket(alice.id);
    expect(await upgradeStatus(`ws://127.0.0.1:${gateway.port}/other?ticket=${ticket}`)).toBe(404);
  });
});

describe("authentication on upgrade", () => {
  it("refuses a socket without credentials with HTTP 401", async () => {
    expect(await upgradeStatus(url(gateway))).toBe(401);
  });

  it("refuses forged, expired and wrongly signed tickets", async () => {
    expect(await upgradeStatus(url(gateway, "?ticket=not-a-jwt"))).toBe(401);
    expect(await upgradeStatus(url(gateway, `?ticket=${await sessionTicket(alice.id, -10)}`))).toBe(401);
    const foreign = await mintTicket("another-secret-that-is-32-characters-long", { userId: alice.id });
    expect(await upgradeStatus(url(gateway, `?ticket=${foreign}`))).toBe(401);
  });

  it("welcomes a valid ticket", async () => {
    const { socket, welcome } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    expect(welcome).toMatchObject({ type: "welcome", protocolVersion: PROTOCOL_VERSION, userId: alice.id });
    if (welcome.type !== "welcome") throw new Error("unreachable");
    expect(welcome.connectionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(welcome.heartbeatMs).toBeGreaterThan(0);
    socket.ws.close();
  });

  it("refuses a ticket whose session was revoked", async () => {
    const session = await db.authSession.create({
      data: { userId: alice.id, expiresAt: new Date(Date.now() + 3_600_000), revokedAt: new Date() },
    });
    const ticket = await mintTicket(SECRET, { userId: alice.id, sessionId: session.id });
    expect(await upgradeStatus(url(gateway, `?ticket=${ticket}`))).toBe(401);
  });

  it("welcomes a personal access token in the Authorization header or the query", async () => {
    const token = await accessToken(alice);
    const viaHeader = new TestSocket(url(gateway), { headers: { Authorization: `Bearer ${token}` } });
    expect(await viaHeader.next()).toMatchObject({ type: "welcome", userId: alice.id });
    const { socket: viaQuery } = await connected(gateway, `?token=${token}`);
    viaHeader.ws.close();
    viaQuery.ws.close();
  });

  it("refuses unknown and revoked tokens", async () => {
    expect(await upgradeStatus(url(gateway, "?token=plt_doesnotexist"))).toBe(401);
    const token = await accessToken(alice);
    await db.personalAccessToken.updateMany({ where: { userId: alice.id }, data: { revokedAt: new Date() } });
    expect(await upgradeStatus(url(gateway), { Authorization: `Bearer ${token}` })).toBe(401);
  });

  it("refuses connections beyond the per-user limit with HTTP 429", async () => {
    const g = await startGateway({ maxConnectionsPerUser: 1 });
    const token = await accessToken(alice);
    const { socket } = await connected(g, `?token=${token}`);
    expect(await upgradeStatus(url(g, `?token=${token}`))).toBe(429);
    socket.ws.close();
    await socket.closed;
    while (g.connectionCount > 0) await new Promise((r) => setTimeout(r, 5));
    const { socket: again } = await connected(g, `?token=${token}`);
    again.ws.close();
  });

  it("refuses a deactivated user's token and ticket", async () => {
    const bob = await seedUser(db);
    const token = await accessToken(bob);
    const ticket = await sessionTicket(bob.id);
    await db.user.update({ where: { id: bob.id }, data: { deactivatedAt: new Date() } });
    expect(await upgradeStatus(url(gateway, `?token=${token}`))).toBe(401);
    expect(await upgradeStatus(url(gateway, `?ticket=${ticket}`))).toBe(401);
    const tokenTicket = await mintTicket(SECRET, { userId: bob.id });
    expect(await upgradeStatus(url(gateway, `?ticket=${tokenTicket}`))).toBe(401);
  });
});

describe("frames", () => {
  it("answers bad JSON, unknown types and missing fields with error frames and keeps the socket", async () => {
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);

    socket.send("{oops");
    expect(await socket.next()).toMatchObject({ type: "error", code: ErrorCode.BadJson });

    socket.send({ type: "teleport", id: "t1" });
    const unknown = await socket.next();
    expect(unknown).toMatchObject({ type: "error", code: ErrorCode.UnknownType, id: "t1" });

    socket.send({ type: "markRead", id: "m1", seq: 1 });
    const invalid = await socket.next();
    expect(invalid).toMatchObject({ type: "error", code: ErrorCode.InvalidFields, id: "m1" });
    if (invalid.type !== "error") throw new Error("unreachable");
    expect(invalid.issues?.map((i) => i.path)).toEqual(["conversationId"]);

    socket.ws.send(Buffer.from("{}"), { binary: true });
    expect(await socket.next()).toMatchObject({ type: "error", code: ErrorCode.BadFrame });

    socket.send({ type: "ping", id: "p1" });
    expect(await socket.next()).toEqual({ type: "pong", id: "p1", reconnectWindowMs: expect.any(Number) });
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    socket.ws.close();
  });

  it("closes with 4400 after too many malformed frames", async () => {
    const g = await startGateway({ badFrameLimit: 3 });
    const { socket } = await connected(g, `?ticket=${await sessionTicket(alice.id)}`);
    for (let i = 0; i < 4; i++) socket.send("nope");
    expect((await socket.closed).code).toBe(CloseCode.BadFrames);
  });

  it("closes with 4413 on a frame over MAX_FRAME_BYTES", async () => {
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    socket.send({ type: "ping", id: "x", pad: "x".repeat(MAX_FRAME_BYTES) });
    expect((await socket.closed).code).toBe(CloseCode.FrameTooLarge);
  });

  it("runs none of the commands still queued once a close has started (nobody would get their acks)", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    const ids = Array.from({ length: 20 }, () => crypto.randomUUID());
    // One write: twenty sends queue behind the first, then ws refuses the oversize frame (4413).
    const frames = ids.map((clientMsgId, i) =>
      JSON.stringify({ type: "send", id: `q${i}`, conversationId: channel.id, clientMsgId, body: `q${i}` }),
    );
    for (const frame of frames) socket.ws.send(frame);
    socket.send({ type: "ping", id: "x", pad: "x".repeat(MAX_FRAME_BYTES) });
    expect((await socket.closed).code).toBe(CloseCode.FrameTooLarge);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stored = await db.message.count({ where: { senderId: alice.id, clientMsgId: { in: ids } } });
    // At most the sends already running when the close began (the first, maybe its batch-mates).
    expect(stored).toBeLessThan(5);
  });

  it("closes with 4413 on a 10 MB frame too (refused from its header, never the standard 1009)", async () => {
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    socket.send({ type: "ping", id: "x", pad: "x".repeat(10 * 1024 * 1024) });
    const closed = await socket.closed;
    expect(closed.code).toBe(CloseCode.FrameTooLarge);
    expect(closed.reason).toContain(String(MAX_FRAME_BYTES));
  });

  it("closes with 4413 on a message whose fragments add up to more than MAX_FRAME_BYTES", async () => {
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    const half = Buffer.alloc(MAX_FRAME_BYTES / 2 + 1, 0x20);
    socket.ws.send(half, { binary: false, fin: false });
    socket.ws.send(half, { binary: false, fin: true });
    expect((await socket.closed).code).toBe(CloseCode.FrameTooLarge);
  });

  it("answers a text frame of invalid UTF-8 with a BAD_FRAME error and keeps the socket", async () => {
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    // {"type":"ping","id":"<0xff>"}: bytes no UTF-8 decoder accepts, sent as a TEXT frame.
    const bytes = Buffer.concat([
      Buffer.from('{"type":"ping","id":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    socket.ws.send(bytes, { binary: false });
    expect(await socket.next()).toMatchObject({
      type: "error",
      code: ErrorCode.BadFrame,
      message: expect.stringContaining("UTF-8"),
    });
    socket.send({ type: "ping", id: "p1" });
    expect(await socket.next()).toEqual({ type: "pong", id: "p1", reconnectWindowMs: expect.any(Number) });
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    socket.ws.close();
  });

  it("refuses commands over the rate limit, then closes with 4429 if the client keeps going", async () => {
    const g = await startGateway({ commandRate: { perSecond: 1, burst: 3 } });
    const { socket } = await connected(g, `?ticket=${await sessionTicket(alice.id)}`);
    for (let i = 1; i <= 4; i++) socket.send({ type: "ping", id: `p${i}` });
    for (let i = 1; i <= 3; i++)
      expect(await socket.next()).toEqual({
        type: "pong",
        id: `p${i}`,
        reconnectWindowMs: expect.any(Number),
      });
    const refused = await socket.next();
    expect(refused).toMatchObject({ type: "error", code: ErrorCode.TooManyRequests, id: "p4" });
    // When a token is back: about one second at 1/s.
    expect(refused.type === "error" && refused.retryAfterMs).toBeGreaterThan(900);
    expect(refused.type === "error" && refused.retryAfterMs).toBeLessThanOrEqual(1000);
    for (let i = 0; i < 4; i++) socket.send({ type: "ping" });
    expect((await socket.closed).code).toBe(CloseCode.RateLimited);
  });

  it("answers every queued command (TOO_MANY_REQUESTS with its id) before closing with 4429", async () => {
    const g = await startGateway({
      commandRate: { perSecond: 0.001, burst: 30 },
      sendRatePerUser: { perSecond: 1000, burst: 1000 },
    });
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const { socket } = await connected(g, `?ticket=${await sessionTicket(alice.id)}`);
    const answered = new Map<string, TServerEvent>();
    let closedAfter = -1;
    socket.ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as TServerEvent;
      if ((frame.type === "ack" || frame.type === "error") && frame.id) answered.set(frame.id, frame);
    });
    socket.ws.on("close", () => {
      closedAfter = answered.size;
    });
    // 30 sends take the burst and queue behind each other (each one waits for the database);
    // 30 more are refused at once and the next one closes the socket.
    const ids: string[] = [];
    for (let i = 0; i < 61; i++) {
      const id = `f${i}`;
      ids.push(id);
      socket.send({
        type: "send",
        id,
        conversationId: channel.id,
        clientMsgId: crypto.randomUUID(),
        body: id,
      });
    }
    expect((await socket.closed).code).toBe(CloseCode.RateLimited);
    expect(closedAfter).toBe(ids.length);
    expect(ids.filter((id) => !answered.has(id))).toEqual([]);
    // Each one either ran (ack) or did not (TOO_MANY_REQUESTS); the 30 over the burst never ran.
    const codes = [...answered.values()].map((f) => (f.type === "error" ? f.code : f.type));
    expect(codes.filter((c) => c !== "ack" && c !== ErrorCode.TooManyRequests)).toEqual([]);
    expect(codes.filter((c) => c === ErrorCode.TooManyRequests).length).toBeGreaterThanOrEqual(31);
    // What was acked is stored; what was refused is not.
    const acked = [...answered.values()].filter((f) => f.type === "ack").length;
    expect(await db.message.count({ where: { conversationId: channel.id } })).toBe(acked);
  });

  it("refuses a hello with another protocol version (4426)", async () => {
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    socket.send({ type: "hello", protocolVersion: PROTOCOL_VERSION + 1 });
    expect(await socket.next()).toMatchObject({ type: "error", code: ErrorCode.UnsupportedVersion });
    expect((await socket.closed).code).toBe(CloseCode.UnsupportedVersion);
  });

  it("acks markRead through core", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    socket.send({ type: "markRead", id: "r1", conversationId: channel.id, seq: 0 });
    expect(await socket.next()).toEqual({ type: "ack", id: "r1", seq: 0 });

    const stranger = await seedChannel(db, { createdById: (await seedUser(db)).id, memberIds: [] });
    socket.send({ type: "markRead", id: "r2", conversationId: stranger.id, seq: 1 });
    const refused = await socket.next();
    expect(refused).toMatchObject({ type: "error", id: "r2" });
    if (refused.type !== "error") throw new Error("unreachable");
    expect([ErrorCode.Forbidden, ErrorCode.NotFound]).toContain(refused.code);
    socket.ws.close();
  });
});

describe("send", () => {
  it("limits messages per user across all their sockets, storing nothing over the budget", async () => {
    const g = await startGateway({ sendRatePerUser: { perSecond: 0.001, burst: 2 } });
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const one = (await connected(g, `?ticket=${await sessionTicket(alice.id)}`)).socket;
    const two = (await connected(g, `?ticket=${await sessionTicket(alice.id)}`)).socket;
    const send = (socket: typeof one, id: string) =>
      socket.send({
        type: "send",
        id,
        conversationId: channel.id,
        clientMsgId: crypto.randomUUID(),
        body: id,
      });
    send(one, "a");
    expect(await one.next()).toMatchObject({ type: "ack", id: "a" });
    send(two, "b");
    expect(await two.next()).toMatchObject({ type: "ack", id: "b" });
    send(one, "c");
    const refused = await one.next();
    expect(refused).toMatchObject({ type: "error", id: "c", code: ErrorCode.TooManyRequests });
    expect(refused.type === "error" && refused.retryAfterMs).toBeGreaterThan(100_000);
    expect(await db.message.count({ where: { conversationId: channel.id } })).toBe(2);
    one.ws.close();
    two.ws.close();
  });

  it("acks a send only after it is stored, with its seq and message id", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    const clientMsgId = crypto.randomUUID();
    socket.send({ type: "send", id: "s1", conversationId: channel.id, clientMsgId, body: "hello" });
    const ack = await socket.next();
    expect(ack).toMatchObject({ type: "ack", id: "s1", clientMsgId });
    if (ack.type !== "ack") throw new Error("unreachable");
    const stored = await db.message.findUnique({ where: { id: ack.messageId } });
    expect(stored).toMatchObject({ body: "hello", seq: ack.seq, senderId: alice.id, clientMsgId });
    socket.ws.close();
  });

  it("is idempotent per clientMsgId: a resend gets the same seq and message id", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const { socket } = await connected(gateway, `?token=${await accessToken(alice)}`);
    const clientMsgId = crypto.randomUUID();
    const frame = { type: "send", conversationId: channel.id, clientMsgId, body: "once" };
    socket.send({ ...frame, id: "a" });
    socket.send({ ...frame, id: "b" });
    const [first, second] = [await socket.next(), await socket.next()];
    expect(first).toMatchObject({ type: "ack", id: "a" });
    expect(second).toMatchObject({ type: "ack", id: "b" });
    if (first.type !== "ack" || second.type !== "ack") throw new Error("unreachable");
    expect(second.seq).toBe(first.seq);
    expect(second.messageId).toBe(first.messageId);
    expect(await db.message.count({ where: { conversationId: channel.id } })).toBe(1);
    socket.ws.close();
  });

  it("passes threadRootId and alsoInChannel of a send to core", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    const base = { type: "send", conversationId: channel.id };
    socket.send({ ...base, id: "root", clientMsgId: crypto.randomUUID(), body: "root" });
    const root = await socket.next();
    if (root.type !== "ack") throw new Error(`expected ack, got ${JSON.stringify(root)}`);
    socket.send({
      ...base,
      id: "reply",
      clientMsgId: crypto.randomUUID(),
      body: "reply",
      threadRootId: root.messageId,
      alsoInChannel: true,
    });
    const reply = await socket.next();
    if (reply.type !== "ack") throw new Error(`expected ack, got ${JSON.stringify(reply)}`);
    expect(await db.message.findUnique({ where: { id: reply.messageId } })).toMatchObject({
      threadRootId: root.messageId,
      alsoInChannel: true,
    });
    expect(await db.message.findUnique({ where: { id: root.messageId } })).toMatchObject({ replyCount: 1 });

    // alsoInChannel without a root is refused by the frame schema; nothing is stored.
    socket.send({ ...base, id: "bad", clientMsgId: crypto.randomUUID(), body: "x", alsoInChannel: true });
    expect(await socket.next()).toMatchObject({ type: "error", id: "bad", code: ErrorCode.InvalidFields });
    expect(await db.message.count({ where: { conversationId: channel.id } })).toBe(2);
    socket.ws.close();
  });

  it("links the sender's ready attachments of a send and refuses someone else's", async () => {
    const bob = await seedUser(db, { name: "Bob" });
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [bob.id] });
    const attachment = (uploaderId: string) =>
      db.attachment.create({
        data: {
          uploaderId,
          conversationId: channel.id,
          objectKey: `test/${crypto.randomUUID()}`,
          name: "notes.txt",
          mime: "text/plain",
          size: 5n,
          status: "ready",
        },
      });
    const mine = await attachment(alice.id);
    const bobs = await attachment(bob.id);
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    const base = { type: "send", conversationId: channel.id, body: "" };

    socket.send({ ...base, id: "foreign", clientMsgId: crypto.randomUUID(), attachmentIds: [bobs.id] });
    const refused = await socket.next();
    expect(refused).toMatchObject({ type: "error", id: "foreign", code: ErrorCode.BadRequest });
    if (refused.type !== "error") throw new Error("unreachable");
    expect(refused.message).toMatch(/your own finished upload/);
    expect(await db.message.count({ where: { conversationId: channel.id } })).toBe(0);

    socket.send({ ...base, id: "mine", clientMsgId: crypto.randomUUID(), attachmentIds: [mine.id] });
    const ack = await socket.next();
    if (ack.type !== "ack") throw new Error(`expected ack, got ${JSON.stringify(ack)}`);
    expect(await db.attachment.findUnique({ where: { id: mine.id } })).toMatchObject({
      messageId: ack.messageId,
    });
    expect(await db.attachment.findUnique({ where: { id: bobs.id } })).toMatchObject({ messageId: null });
    socket.ws.close();
  });

  it("keeps one connection's sends in the order they were sent", async () => {
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [] });
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    for (let i = 0; i < 20; i++) {
      socket.send({
        type: "send",
        id: `o${i}`,
        conversationId: channel.id,
        clientMsgId: crypto.randomUUID(),
        body: `${i}`,
      });
    }
    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(await socket.next());
    expect(acks.map((a) => (a.type === "ack" ? a.id : a.type))).toEqual(acks.map((_, i) => `o${i}`));
    const seqs = acks.map((a) => (a.type === "ack" ? (a.seq ?? -1) : -1));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const bodies = await db.message.findMany({
      where: { conversationId: channel.id },
      orderBy: { seq: "asc" },
    });
    expect(bodies.map((m) => m.body)).toEqual(acks.map((_, i) => `${i}`));
    socket.ws.close();
  });

  it("answers a send to a conversation the user is not in with FORBIDDEN, and an unknown one with NOT_FOUND", async () => {
    const owner = await seedUser(db);
    const channel = await seedChannel(db, { createdById: owner.id, memberIds: [] });
    const { socket } = await connected(gateway, `?ticket=${await sessionTicket(alice.id)}`);
    socket.send({
      type: "send",
      id: "x",
      conversationId: channel.id,
      clientMsgId: crypto.randomUUID(),
      body: "hi",
    });
    expect(await socket.next()).toMatchObject({ type: "error", id: "x", code: ErrorCode.Forbidden });
    socket.send({
      type: "send",
      id: "y",
      conversationId: crypto.randomUUID(),
      clientMsgId: crypto.randomUUID(),
      body: "hi",
    });
    expect(await socket.next()).toMatchObject({ type: "error", id: "y", code: ErrorCode.NotFound });
    socket.send({
      type: "send",
      id: "z",
      conversationId: channel.id,
      clientMsgId: crypto.randomUUID(),
      body: "   ",
    });
    // A blank body is refused by the frame's own schema (ZSendFields), naming the field.
    expect(await socket.next()).toMatchObject({
      type: "error",
      id: "z",
      code: ErrorCode.InvalidFields,
      issues: [{ path: "body" }],
    });
    socket.ws.close();
  });
});

describe("liveness and shutdown", () => {
  it("closes a socket that stops answering heartbeats (4408)", async () => {
    const g = await startGateway({ heartbeatMs: 100 });
    const { socket } = await connected(g, `?ticket=${await sessionTicket(alice.id)}`, { autoPong: false });
    const started = Date.now();
    expect((await socket.closed).code).toBe(CloseCode.HeartbeatTimeout);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("closes silent sockets and keeps answering ones when the heartbeat is spread over several slots", async () => {
    // 600 ms → a 6-slot wheel (one bucket per 100 ms): sockets land in different buckets.
    const g = await startGateway({ heartbeatMs: 600 });
    const open = async (autoPong: boolean) =>
      (await connected(g, `?ticket=${await sessionTicket(alice.id)}`, { autoPong })).socket;
    const sockets: { socket: Awaited<ReturnType<typeof open>>; isSilent: boolean }[] = [];
    for (let i = 0; i < 8; i++) sockets.push({ socket: await open(i % 2 === 1), isSilent: i % 2 === 0 });
    for (const { socket, isSilent } of sockets) {
      if (isSilent) expect((await socket.closed).code).toBe(CloseCode.HeartbeatTimeout);
    }
    // Every silent one is gone, each answering one still open (it was pinged in its own bucket too).
    for (const { socket, isSilent } of sockets) {
      if (!isSilent) expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    }
    for (const { socket, isSilent } of sockets) if (!isSilent) socket.ws.close();
  });

  it("keeps a socket that answers heartbeats", async () => {
    const g = await startGateway({ heartbeatMs: 100 });
    const { socket } = await connected(g, `?ticket=${await sessionTicket(alice.id)}`);
    await new Promise((r) => setTimeout(r, 450));
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    socket.ws.close();
  });

  it("closes a slow consumer (4002) instead of buffering without bound", async () => {
    const g = await startGateway({ maxBufferedBytes: 256 * 1024 });
    const { socket } = await connected(g, `?ticket=${await sessionTicket(alice.id)}`);
    // Stop reading: the kernel buffers fill, then the gateway's own buffer grows.
    const raw = (socket.ws as unknown as { _socket: import("node:net").Socket })._socket;
    raw.pause();
    const big = {
      type: "user.event",
      seq: 1,
      kind: "test.filler",
      payload: { pad: "x".repeat(256 * 1024) },
    } as const;
    let refused = false;
    for (let i = 0; i < 400 && !refused; i++) refused = g.sendToUser(alice.id, big) === 0;
    expect(refused).toBe(true);
    raw.resume();
    expect((await socket.closed).code).toBe(CloseCode.SlowConsumer);
  });

  it("closes every socket with 4000 on graceful shutdown and stops accepting", async () => {
    const g = await createGateway({
      port: 0,
      host: "127.0.0.1",
      authenticate: createAuthenticator({ db, secret: SECRET }),
      logger,
      reconnectMsPerClient: 1_500,
    });
    const a = await connected(g, `?ticket=${await sessionTicket(alice.id)}`);
    const b = await connected(g, `?token=${await accessToken(alice)}`);
    // The window grows with the crowd: one socket when a was welcomed, two when b was.
    expect(a.welcome).toMatchObject({ reconnectWindowMs: 1_500 });
    expect(b.welcome).toMatchObject({ reconnectWindowMs: 3_000 });
    await g.close();
    // The close tells both how widely to spread their first reconnect (two clients × 1.5 s).
    for (const closed of [await a.socket.closed, await b.socket.closed]) {
      expect(closed.code).toBe(CloseCode.GoingAway);
      expect(parseReconnectWindow(closed.reason)).toBe(3_000);
    }
    await expect(fetch(`http://127.0.0.1:${g.port}/healthz`)).rejects.toThrow();
  });

  it("drains on shutdown: a send already taken in is acked before the 4000, upgrades get 503, later frames do not run", async () => {
    // Attached to a server of its own, as in apps/web: the server keeps listening while the
    // gateway drains, so an upgrade gets a real 503 (a gateway's own server stops listening).
    const server = createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ran: string[] = [];
    const g = await createGateway({
      server,
      authenticate: createAuthenticator({ db, secret: SECRET }),
      logger,
      handlers: {
        async send(_ctx, command) {
          ran.push(command.body);
          await gate; // a commit still in flight when SIGTERM comes
          return { clientMsgId: command.clientMsgId, seq: ran.length, messageId: randomUUID() };
        },
      },
    });
    const port = (server.address() as AddressInfo).port;
    const ticket = await sessionTicket(alice.id);
    const socket = new TestSocket(`ws://127.0.0.1:${port}/ws?ticket=${ticket}`);
    expect((await socket.next()).type).toBe("welcome");
    const conversationId = randomUUID();
    socket.send({ type: "send", id: "s1", conversationId, clientMsgId: randomUUID(), body: "first" });
    for (let i = 0; ran.length === 0; i++) {
      if (i > 500) throw new Error("the send never ran");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const closing = g.close();
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/ws?ticket=${ticket}`)).toBe(503);
    socket.send({ type: "send", id: "s2", conversationId, clientMsgId: randomUUID(), body: "second" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    expect(await socket.next()).toMatchObject({ type: "ack", id: "s1", seq: 1 });
    expect((await socket.closed).code).toBe(CloseCode.GoingAway);
    await closing;
    // The frame that came during the drain never ran and got no answer: the SDK resends it elsewhere.
    expect(ran).toEqual(["first"]);
    await expect(socket.next(100)).rejects.toThrow(/no frame/);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("the client reaches open through a real ticket and reconnects after 4000", async () => {
    const g = await startGateway();
    const changes: TStateChange[] = [];
    const connection = new ParleyConnection({
      url: async () => url(g, `?ticket=${await sessionTicket(alice.id)}`),
      WebSocket,
      // A long first retry, so no second attempt races the assertions below.
      backoff: { baseMs: 5_000, maxMs: 5_000 },
      random: () => 0.9,
    });
    connection.on("state", (c) => changes.push(c));
    const opened = new Promise<void>((resolve) => {
      connection.on("state", (c) => c.to === "open" && resolve());
    });
    connection.connect();
    await opened;
    expect(connection.welcome?.userId).toBe(alice.id);
    const reconnecting = new Promise<TStateChange>((resolve) => {
      connection.on("state", (c) => c.to === "reconnecting" && resolve(c));
    });
    await g.close();
    expect((await reconnecting).code).toBe(CloseCode.GoingAway);
    connection.disconnect();
    expect(changes.map((c) => c.to)).toEqual(["connecting", "open", "reconnecting", "closed"]);
  });
});
