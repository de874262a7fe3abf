/**
 * startRealtime in the default, single-process shape: the gateway attached to an existing http
 * server at /ws with the memory engine, and core's event sink installed, so a write committed
 * anywhere in the process (here: core.sendMessage, as a tRPC handler would) reaches the sockets;
 * and credential revocations bridged over the engine both ways.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseEnv } from "@parley/config";
import {
  createAccessToken,
  publishRevocation,
  REVOCATIONS_TOPIC,
  revokeAccessToken,
  sendMessage,
  type TBusMessage,
} from "@parley/core";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { CloseCode, ErrorCode, EventKind } from "@parley/protocol";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startRealtime, type TRealtime } from "./realtime.ts";
import { sessionTicket, TEST_SECRET, TestClient, until } from "./test-helpers.ts";

let t: TTestDb;
let db: TDb;
let server: Server;
let realtime: TRealtime;
let port: number;

beforeAll(async () => {
  t = await createTestDb();
  db = t.db;
  await seedWorkspace(db);
  server = createServer((_req, res) => {
    res.statusCode = 200;
    res.end("the web app");
  });
  const env = parseEnv({
    DATABASE_URL: t.url,
    AUTH_SECRET: TEST_SECRET,
    LOG_LEVEL: "silent",
    // Low enough for the rate test below to reach, high enough for every other test here.
    RATE_LIMIT_COMMANDS_PER_SECOND: "2",
    RATE_LIMIT_MESSAGES_PER_SECOND: "1",
  });
  realtime = await startRealtime({ env, db, logger: pino({ level: "silent" }), server });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await realtime?.closeGateway();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await realtime?.close();
  await t?.drop();
});

describe("startRealtime attached to the web server", () => {
  it("serves /ws on the same port and leaves plain requests to the web app", async () => {
    expect(realtime.engine.kind).toBe("memory");
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("the web app");
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("error", () => {});
    });
    expect(refused).toBe(401);
  });

  it("pushes what any code in the process commits to the members' sockets", async () => {
    const [ana, ben, eve] = await Promise.all(["Ana", "Ben", "Eve"].map((name) => seedUser(db, { name })));
    const channel = await seedChannel(db, {
      createdById: ana!.id,
      memberIds: [ben!.id],
      kind: "private_channel",
    });
    const benSocket = await TestClient.connect(port, await sessionTicket(db, ben!.id));
    const eveSocket = await TestClient.connect(port, await sessionTicket(db, eve!.id));

    const { message } = await sendMessage(
      db,
      { userId: ana!.id, role: "member" },
      {
        conversationId: channel.id,
        clientMsgId: crypto.randomUUID(),
        body: "committed elsewhere in the process",
      },
    );
    const [frame] = await benSocket.waitFor((f) => f.type === "event" && f.kind === EventKind.MessageCreated);
    expect(frame).toMatchObject({ type: "event", conversationId: channel.id, seq: message.seq });
    expect(eveSocket.of("event")).toHaveLength(0);
    await benSocket.close();
    await eveSocket.close();
  });

  it("closes sockets of a credential another process revoked, and tells other processes of its own revokes", async () => {
    const ana = await seedUser(db, { name: "Ana" });
    const actor = { userId: ana.id, role: ana.role };
    const fromElsewhere = await createAccessToken(db, actor, { name: "revoked elsewhere" });
    const fromHere = await createAccessToken(db, actor, { name: "revoked here" });
    const elsewhereSocket = await TestClient.connectWithToken(port, fromElsewhere.token);
    const hereSocket = await TestClient.connectWithToken(port, fromHere.token);
    const onBus: TBusMessage[] = [];
    const stopListening = await realtime.engine.subscribeTopic(REVOCATIONS_TOPIC, (m) => onBus.push(m));

    // What another process's bridge publishes after its revoke committed.
    await db.personalAccessToken.update({ where: { id: fromElsewhere.id }, data: { revokedAt: new Date() } });
    await publishRevocation(realtime.engine, "another-process", { kind: "token", tokenId: fromElsewhere.id });
    expect(await elsewhereSocket.closed).toMatchObject({ code: CloseCode.Unauthorized });
    expect(hereSocket.ws.readyState).toBe(WebSocket.OPEN);

    await revokeAccessToken(db, actor, { id: fromHere.id });
    expect(await hereSocket.closed).toMatchObject({ code: CloseCode.Unauthorized });
    await until(() => onBus.length === 2);
    expect(JSON.parse(onBus[1]!.frame)).toMatchObject({
      revocation: { kind: "token", tokenId: fromHere.id },
    });
    await stopListening();
  });

  it("limits commands and messages at the rates the settings give (bursts of 3× and 2×)", async () => {
    const [ana, ben] = await Promise.all(["Ana", "Ben"].map((name) => seedUser(db, { name })));
    const pinger = await TestClient.connect(port, await sessionTicket(db, ana!.id));
    for (let i = 1; i <= 8; i++) pinger.send({ type: "ping", id: `p${i}` });
    const pings = await pinger.waitFor((f) => (f.type === "pong" || f.type === "error") && "id" in f, 8);
    // RATE_LIMIT_COMMANDS_PER_SECOND=2: a burst of 6, then a token every half second.
    expect(pings.map((f) => f.type)).toEqual([
      "pong",
      "pong",
      "pong",
      "pong",
      "pong",
      "pong",
      "error",
      "error",
    ]);
    expect(pings[6]).toMatchObject({ code: ErrorCode.TooManyRequests, id: "p7" });
    expect(pings[6]?.type === "error" && pings[6].retryAfterMs).toBeLessThanOrEqual(500);
    await pinger.close();

    const channel = await seedChannel(db, { createdById: ben!.id, memberIds: [] });
    const sender = await TestClient.connect(port, await sessionTicket(db, ben!.id));
    for (let i = 1; i <= 3; i++) {
      sender.send({
        type: "send",
        id: `s${i}`,
        conversationId: channel.id,
        clientMsgId: crypto.randomUUID(),
        body: `${i}`,
      });
    }
    const answers = await sender.waitFor((f) => (f.type === "ack" || f.type === "error") && "id" in f, 3);
    // RATE_LIMIT_MESSAGES_PER_SECOND=1: a burst of 2; the third is refused and stores nothing.
    // (The refusal is answered at once, the acks after their commit.)
    const byId = new Map(answers.map((f) => ["id" in f ? f.id : "", f]));
    expect(["s1", "s2", "s3"].map((id) => byId.get(id)?.type)).toEqual(["ack", "ack", "error"]);
    const refused = byId.get("s3");
    expect(refused).toMatchObject({ code: ErrorCode.TooManyRequests });
    expect(refused?.type === "error" && refused.retryAfterMs).toBeGreaterThan(500);
    expect(await db.message.count({ where: { conversationId: channel.id } })).toBe(2);
    await sender.close();
  });
});
