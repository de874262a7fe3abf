/**
 * Issue 9 on the socket: text the database cannot hold is refused at the frame (INVALID_FIELDS
 * naming the field, nothing stored) instead of failing in Postgres as INTERNAL "retrying is safe"
 * (which made the SDK resend it forever); a real internal failure answers a generic message with a
 * request id that the log line carries too.
 */
import { Writable } from "node:stream";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace, type TSeededUser } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { ErrorCode, type TServerEvent } from "@parley/protocol";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createCoreHandlers } from "./commands.ts";
import { createGateway, type TGateway } from "./gateway.ts";

let testDb: TTestDb;
let db: TDb;
let alice: TSeededUser;
const gateways: TGateway[] = [];
const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: "error" },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  }),
);

async function startGateway(handlerDb: TDb): Promise<TGateway> {
  const g = await createGateway({
    port: 0,
    host: "127.0.0.1",
    // The user is known without a token lookup, so the handlers' database is the only one used.
    authenticate: async () => ({ userId: alice.id, role: alice.role }),
    handlers: createCoreHandlers(handlerDb),
    logger,
  });
  gateways.push(g);
  return g;
}

/** Opens a socket, waits for `welcome`, and returns a reader of the following frames. */
async function connect(g: TGateway) {
  const ws = new WebSocket(`ws://127.0.0.1:${g.port}/ws`);
  const frames: TServerEvent[] = [];
  const waiters: ((f: TServerEvent) => void)[] = [];
  ws.on("message", (data) => {
    const frame = JSON.parse(String(data)) as TServerEvent;
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const next = (): Promise<TServerEvent> => {
    const queued = frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no frame within 5 s")), 5_000);
      waiters.push((f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  };
  expect((await next()).type).toBe("welcome");
  return { ws, next, sendRaw: (text: string) => ws.send(text) };
}

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
  await seedWorkspace(db);
  alice = await seedUser(db, { name: "Alice" });
});

afterAll(async () => {
  for (const g of gateways) await g.close({ timeoutMs: 500 });
  await testDb?.drop();
});

describe("text on the socket", () => {
  it("answers a send whose body has NUL or a lone surrogate with INVALID_FIELDS naming body, storing nothing", async () => {
    const gateway = await startGateway(db);
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [alice.id] });
    const socket = await connect(gateway);
    const frame = (id: string, body: string) =>
      JSON.stringify({
        type: "send",
        id,
        conversationId: channel.id,
        clientMsgId: crypto.randomUUID(),
        body,
      });

    // JSON.stringify writes both as \u escapes; JSON.parse on the server turns them back.
    for (const [id, body] of [
      ["nul", "hi\u0000there"],
      ["high", "broken \ud83d"],
      ["low", "\ude00"],
    ] as const) {
      socket.sendRaw(frame(id, body));
      const answer = await socket.next();
      expect(answer).toMatchObject({ type: "error", id, code: ErrorCode.InvalidFields });
      if (answer.type !== "error") throw new Error("unreachable");
      expect(answer.issues?.map((i) => i.path)).toEqual(["body"]);
      expect(answer.message).toMatch(/^Invalid "send" command: body: contains/);
    }

    socket.sendRaw(
      JSON.stringify({ type: "setPresence", id: "p", status: "online", statusText: "lunch\u0000" }),
    );
    const presence = await socket.next();
    expect(presence).toMatchObject({ type: "error", id: "p", code: ErrorCode.InvalidFields });
    if (presence.type === "error") expect(presence.issues?.map((i) => i.path)).toEqual(["statusText"]);

    expect(await db.message.count({ where: { conversationId: channel.id } })).toBe(0);

    // Well-formed text, emoji surrogate pairs included, still goes through.
    socket.sendRaw(frame("ok", "fine 😀 👨‍👩‍👧\nsecond line"));
    expect(await socket.next()).toMatchObject({ type: "ack", id: "ok" });
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    socket.ws.close();
  });

  it("answers a real internal failure with a generic message and a request id the log carries", async () => {
    // A database whose Conversation table is gone: core's send fails inside Prisma.
    const broken = await createTestDb({ poolSize: 2 });
    try {
      await broken.db.$executeRawUnsafe(`DROP TABLE "Conversation" CASCADE`);
      const gateway = await startGateway(broken.db);
      const socket = await connect(gateway);
      socket.sendRaw(
        JSON.stringify({
          type: "send",
          id: "s1",
          conversationId: crypto.randomUUID(),
          clientMsgId: crypto.randomUUID(),
          body: "hello",
        }),
      );
      const answer = await socket.next();
      expect(answer).toMatchObject({ type: "error", id: "s1", code: ErrorCode.Internal });
      if (answer.type !== "error") throw new Error("unreachable");
      const requestId = /request id ([0-9a-f-]{36})\)$/.exec(answer.message)?.[1];
      expect(requestId).toBeDefined();
      expect(answer.message).toBe(
        `Something went wrong on the server; retrying is safe (request id ${requestId})`,
      );
      expect(JSON.stringify(answer)).not.toMatch(/prisma|conversation|table|exist|P20\d\d/i);

      const line = logLines.find((l) => l.requestId === requestId);
      expect(line).toMatchObject({ msg: "command failed", command: "send" });
      expect(JSON.stringify(line?.err)).toMatch(/Conversation/);
      socket.ws.close();
    } finally {
      await broken.drop();
    }
  });
});
