/**
 * The gateway's `send` command refuses exactly what the client SDK and tRPC refuse: protocol's
 * INVALID_SENDS table (one schema, ZSendFields) must come back as INVALID_FIELDS naming the same
 * field paths, storing nothing. A refusal only core can make (the server's MAX_MESSAGE_LENGTH)
 * names the field too.
 */
import { configureLimits, DEFAULT_LIMITS } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace, type TSeededUser } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { ErrorCode, type TServerEvent } from "@parley/protocol";
import { INVALID_SENDS, invalidSendFields, issuePaths } from "@parley/protocol/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreHandlers } from "./commands.ts";
import { createGateway, type TGateway } from "./gateway.ts";
import { TestClient } from "./test-helpers.ts";

let testDb: TTestDb;
let db: TDb;
let alice: TSeededUser;
let gateway: TGateway;
let channelId: string;
let socket: TestClient;

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
  await seedWorkspace(db);
  alice = await seedUser(db, { name: "Alice" });
  channelId = (await seedChannel(db, { createdById: alice.id, memberIds: [] })).id;
  gateway = await createGateway({
    port: 0,
    host: "127.0.0.1",
    authenticate: async () => ({ userId: alice.id, role: alice.role }),
    handlers: createCoreHandlers(db),
    logger: pino({ level: "silent" }),
    // Every case is a bad frame on purpose: the table must not close the socket (4400).
    badFrameLimit: 1_000,
  });
  socket = await TestClient.connect(gateway.port, "unused");
});

afterAll(async () => {
  await socket?.close();
  await gateway?.close({ timeoutMs: 500 });
  await testDb?.drop();
});

let frameNo = 0;

/** Sends one `send` frame and returns the gateway's answer to it. */
async function answerTo(fields: Record<string, unknown>): Promise<TServerEvent> {
  const id = `s${++frameNo}`;
  socket.send({ type: "send", id, clientMsgId: crypto.randomUUID(), conversationId: channelId, ...fields });
  const [answer] = await socket.waitFor((f) => (f.type === "error" || f.type === "ack") && f.id === id);
  if (!answer) throw new Error("unreachable");
  return answer;
}

describe("the gateway's send refuses the table of invalid sends", () => {
  it.each(INVALID_SENDS)("refuses $name, naming $paths", async (c) => {
    const answer = await answerTo(invalidSendFields(c, channelId));
    expect(answer).toMatchObject({ type: "error", code: ErrorCode.InvalidFields });
    if (answer.type !== "error") throw new Error("unreachable");
    expect(issuePaths(answer.issues ?? [])).toEqual(c.paths);
    for (const path of c.paths) expect(answer.message).toContain(`${path}: `);
    expect(await db.message.count({ where: { conversationId: channelId } })).toBe(0);
  });

  it("names the body when it is over the server's MAX_MESSAGE_LENGTH (core's own check)", async () => {
    configureLimits({ maxMessageLength: 10 });
    try {
      const answer = await answerTo({ body: "x".repeat(11) });
      expect(answer).toMatchObject({ type: "error", code: ErrorCode.BadRequest, issues: [{ path: "body" }] });
      if (answer.type === "error") expect(answer.message).toMatch(/body: .*longer than 10 characters/);
      // Trimmed first: surrounding whitespace does not count.
      expect(await answerTo({ body: `  ${"x".repeat(10)}  ` })).toMatchObject({ type: "ack" });
    } finally {
      configureLimits(DEFAULT_LIMITS);
    }
  });

  it("stores a valid send on the same socket (the control)", async () => {
    const answer = await answerTo({ body: "hello" });
    expect(answer).toMatchObject({ type: "ack", seq: expect.any(Number) });
    const bodies = await db.message.findMany({
      where: { conversationId: channelId },
      select: { body: true },
    });
    expect(bodies.map((m) => m.body).sort()).toEqual(["hello", "x".repeat(10)]);
  });
});
