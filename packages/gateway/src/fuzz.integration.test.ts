/**
 * Frame fuzzing (issue 14): a seeded stream of at least FUZZ_FRAMES (default 100,000) hostile frames
 * — random bytes, invalid UTF-8, binary frames, random JSON, deep nesting, and grammar-based
 * mutations of every command (wrong types, huge and odd numbers, odd unicode, unknown and
 * prototype-named fields, other people's conversations) — from several sockets of one member
 * against a real gateway on a real database. Afterwards:
 *   - nothing crashed: no uncaught exception or unhandled rejection, no INTERNAL error frame, no
 *     close other than the documented abuse closes;
 *   - nothing was written by a refused frame: the attacker's messages in the database are exactly
 *     the ones the gateway acked, nothing reached the conversation the attacker is not in, and no
 *     read position moved there;
 *   - a control client on another account kept working throughout (its sends acked, its pings
 *     answered) and received the attacker's acked messages once, in seq order.
 * Reproduce a failure with the seed it prints: `FUZZ_SEED=<n> … fuzz.integration.test.ts`.
 */
import { randomUUID } from "node:crypto";
import { createFanout, MemoryEngine, setEventSink, type TFanout } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace, type TSeededUser } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import {
  CloseCode,
  ErrorCode,
  MAX_COMMAND_ID_LENGTH,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type TServerEvent,
} from "@parley/protocol";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createAuthenticator } from "./auth.ts";
import { createCoreHandlers } from "./commands.ts";
import { createGateway, type TGateway } from "./gateway.ts";
import { sessionTicket, TEST_SECRET, TestClient } from "./test-helpers.ts";

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
/** Frames per round and socket; each round ends with a barrier command the socket's queue answers. */
const ROUND = 400;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const SOCKETS = 8;

let testDb: TTestDb;
let db: TDb;
let gateway: TGateway;
let engine: MemoryEngine;
let fanout: TFanout;
let attacker: TSeededUser;
let control: TSeededUser;
/** A channel both users are in, and one only the control user is in. */
let shared: string;
let foreign: string;

const crashes: unknown[] = [];
const onCrash = (err: unknown) => crashes.push(err);

beforeAll(async () => {
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  testDb = await createTestDb();
  db = testDb.db;
  await seedWorkspace(db);
  attacker = await seedUser(db, { name: "Mallory" });
  control = await seedUser(db, { name: "Carol" });
  shared = (await seedChannel(db, { createdById: control.id, memberIds: [attacker.id] })).id;
  foreign = (await seedChannel(db, { createdById: control.id, memberIds: [] })).id;
  engine = new MemoryEngine();
  fanout = createFanout({ db, engine });
  setEventSink(fanout);
  gateway = await createGateway({
    port: 0,
    host: "127.0.0.1",
    authenticate: createAuthenticator({ db, secret: TEST_SECRET }),
    handlers: createCoreHandlers(db),
    delivery: { engine, db },
    logger: pino({ level: "silent" }),
    // The stream is hostile on purpose: let it reach every command instead of being closed for
    // abuse after ten bad frames (the abuse limits have their own tests).
    badFrameLimit: 10_000_000,
    commandRate: { perSecond: 1_000_000, burst: 1_000_000 },
    sendRatePerUser: { perSecond: 1_000_000, burst: 1_000_000 },
  });
});

afterAll(async () => {
  await gateway?.close({ timeoutMs: 500 });
  await fanout?.close();
  await engine?.close();
  await testDb?.drop();
  process.off("uncaughtException", onCrash);
  process.off("unhandledRejection", onCrash);
});

// ---- the generators --------------------------------------------------------------------------

/** Values that break naive handlers: odd numbers, odd unicode, wrong shapes. */
const weird = fc.constantFrom<unknown>(
  null,
  true,
  0,
  -1,
  -0,
  0.5,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  "",
  " ",
  "\u0000",
  "\ud800",
  "\udfff\ud800",
  "\u202e\u2066evil",
  "\u200b\u200d\ufeff",
  "👩‍👩‍👧‍👦".repeat(50),
  "a".repeat(70_000),
  "x".repeat(37),
  "00000000-0000-0000-0000-000000000000",
  "FFFFFFFF-FFFF-7FFF-BFFF-FFFFFFFFFFFF",
  "__proto__",
  [],
  [1, [2, [3]]],
  {},
  { __proto__: { admin: true } },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { constructor: { prototype: { polluted: true } } },
);

const anyValue = fc.oneof(
  { weight: 3, arbitrary: weird },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 64 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
);

/** Conversation ids: the shared one, the foreign one, unknown ones, and garbage. */
const conversationRef = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(shared),
    fc.constant(foreign),
    fc.uuid(),
    fc.constant(shared.toUpperCase()),
    fc.constant(` ${shared}`),
    weird,
  );

const commandId = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), weird);
const seq = fc.oneof(fc.nat({ max: 50 }), weird);
const cursors = () =>
  fc.oneof(
    fc.dictionary(fc.oneof(fc.constant(shared), fc.constant(foreign), fc.uuid(), fc.string()), seq, {
      maxKeys: 4,
    }),
    weird,
  );

/** One plausible frame per command, which the mutations below then bend. */
const templates = (): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    fc.record({
      type: fc.constant("hello"),
      // Mostly the right version: a wrong one is refused with a close (4426), which ends the socket.
      protocolVersion: fc.oneof(
        { weight: 19, arbitrary: fc.constant(PROTOCOL_VERSION) },
        { weight: 1, arbitrary: seq },
      ),
      cursors: cursors(),
    }),

    fc.record({ type: fc.constant("ping"), id: commandId }),
    fc.record({
      type: fc.constant("send"),
      id: commandId,
      clientMsgId: fc.oneof(fc.uuid(), weird),
      conversationId: conversationRef(),
      body: fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "binary", maxLength: 80 }), weird),
    }),
    fc.record({
      type: fc.constant("send"),
      id: commandId,
      clientMsgId: fc.uuid(),
      conversationId: conversationRef(),
      body: fc.string({ maxLength: 40 }),
      threadRootId: fc.oneof(fc.uuid(), weird),
    }),
    fc.record({ type: fc.constant("markRead"), id: commandId, conversationId: conversationRef(), seq }),
    fc.record({ type: fc.constant("delivered"), id: commandId, cursors: cursors() }),
    fc.record({ type: fc.constant("typing"), conversationId: conversationRef() }),
    fc.record({ type: fc.constant("sync"), id: commandId, cursors: cursors(), userCursor: seq }),
    fc.record({
      type: fc.constant("watchPresence"),
      id: commandId,
      userIds: fc.oneof(fc.array(fc.oneof(fc.uuid(), weird), { maxLength: 5 }), weird),
    }),
    fc.record({
      type: fc.constant("setPresence"),
      id: commandId,
      status: fc.oneof(fc.constantFrom("online", "away", "offline", "ONLINE"), weird),
      statusText: fc.oneof(fc.string({ maxLength: 40 }), weird),
    }),
  );

/** Bends a template: replaces, removes or adds fields (including prototype names), or its type. */
const mutated = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      templates(),
      fc.array(
        fc.tuple(
          fc.constantFrom("replace", "remove", "add", "type"),
          fc.constantFrom("type", "id", "conversationId", "body", "seq", "cursors", "extra"),
          anyValue,
          fc.nat({ max: 3 }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([frame, edits]) => {
      const out: Record<string, unknown> = { ...frame };
      for (const [op, key, value, pick] of edits) {
        if (op === "replace") out[key] = value;
        else if (op === "remove") delete out[key];
        // An earlier edit may have put any value there ({"toString": 1} cannot be stringified).
        else if (op === "type")
          out.type =
            typeof value === "string" ? value : typeof out.type === "string" ? out.type.toUpperCase() : value;
        else
          Object.defineProperty(out, ["__proto__", "constructor", "prototype", key][pick]!, {
            value,
            enumerable: true,
            configurable: true,
            writable: true,
          });
      }
      return JSON.stringify(out);
    });

/** Well-formed commands that reach the database (the writes whose acks are checked afterwards). */
const wellFormed = (): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 4, arbitrary: templates() },
      {
        weight: 6,
        arbitrary: fc.record({
          type: fc.constant("send"),
          id: fc.string({ minLength: 1, maxLength: 12 }),
          clientMsgId: fc.uuid(),
          conversationId: fc.oneof(
            fc.constant(shared),
            fc.constant(shared.toUpperCase()),
            fc.constant(foreign),
          ),
          body: fc.string({ minLength: 1, maxLength: 60 }),
        }),
      },
    )
    .map((frame) => JSON.stringify(frame));

/** Deeply nested JSON (arrays or objects), deeper than any schema expects. */
const deep = fc
  .tuple(fc.integer({ min: 50, max: 5_000 }), fc.boolean())
  .map(([depth, isArray]) =>
    isArray ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
  );

/** Bytes as a text frame (often invalid UTF-8) or a binary frame. */
const bytes = fc
  .tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean())
  .map(([data, isBinary]) => ({ data: Buffer.from(data), isBinary }));

type TFrame = string | { data: Buffer; isBinary: boolean };

/** Now and then a frame over MAX_FRAME_BYTES (the gateway closes 4413 from its header). */
const oversized = fc.constant(`{"type":"ping","id":"${"x".repeat(MAX_FRAME_BYTES)}"}`);

/** The whole stream (built once the conversations exist). */
const frames = (): fc.Arbitrary<TFrame> =>
  fc.oneof(
    { weight: 8000, arbitrary: mutated() },
    { weight: 400, arbitrary: wellFormed() },
    { weight: 1600, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null") },
    { weight: 1200, arbitrary: bytes },
    { weight: 600, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 200, arbitrary: deep },
    { weight: 1, arbitrary: oversized },
  );

/**
 * Makes every string id of a `send` unique (`<id>~<n>`), so an ack names exactly one send; ids
 * that are too long stay as they are (refused either way).
 */
function withUniqueSendId(frame: TFrame, n: number, sendIds: Map<string, string>): TFrame {
  if (typeof frame !== "string" || !frame.includes('"send"')) return frame;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(frame) as Record<string, unknown>;
  } catch {
    return frame;
  }
  if (v === null || typeof v !== "object" || v.type !== "send" || typeof v.id !== "string") return frame;
  if (v.id.length > MAX_COMMAND_ID_LENGTH) return frame;
  const id = `${v.id}~${n}`;
  if (typeof v.clientMsgId === "string") sendIds.set(id, v.clientMsgId.toLowerCase());
  return JSON.stringify({ ...v, id });
}

// ---- the run ---------------------------------------------------------------------------------

/** One attacker socket: reconnects after the documented closes; records every answer. */
class Attacker {
  client!: TestClient;
  closes: number[] = [];

  async open(): Promise<void> {
    this.client = await TestClient.connect(gateway.port, await sessionTicket(db, attacker.id));
  }

  async round(batch: TFrame[], barrier: string): Promise<TServerEvent[]> {
    const ws = this.client.ws;
    for (const frame of batch) {
      if (ws.readyState !== WebSocket.OPEN) break;
      if (typeof frame === "string") ws.send(frame);
      else ws.send(frame.data, { binary: frame.isBinary });
    }
    // A queued command the connection answers only after everything queued before it.
    const end = { type: "markRead", id: barrier, conversationId: shared, seq: 0 };
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(end));
    const closed = this.client.closed;
    // After a close the barrier never comes: its waiter times out unobserved (not a rejection).
    const answered = this.client
      .waitFor((f) => (f.type === "ack" || f.type === "error") && f.id === barrier, 1, 60_000)
      .then(
        () => null,
        () => null,
      );
    const closedFirst = await Promise.race([answered, closed]);
    const got = this.client.frames.splice(0);
    if (closedFirst) {
      this.closes.push(closedFirst.code);
      await this.open();
    }
    return got;
  }
}

describe("frame fuzzing", () => {
  it(`survives ${FRAMES.toLocaleString("en")} hostile frames and writes only what it acked`, async () => {
    console.log(`[fuzz] seed ${SEED} (FUZZ_SEED=${SEED} reproduces), ${FRAMES} frames`);
    const stream = frames();
    const attackers = Array.from({ length: SOCKETS }, () => new Attacker());
    await Promise.all(attackers.map((a) => a.open()));
    const watcher = await TestClient.connect(gateway.port, await sessionTicket(db, control.id));

    const acked = new Set<string>();
    const sendIds = new Map<string, string>();
    const internal: TServerEvent[] = [];
    let sent = 0;
    let round = 0;
    let controlAcks = 0;
    let genMs = 0;
    const answersBySend = new Map<string, TServerEvent[]>();
    const before = await db.conversation.findUniqueOrThrow({ where: { id: shared } });
    const started = Date.now();

    while (sent < FRAMES) {
      const generating = Date.now();
      const batches = attackers.map((_, k) =>
        fc
          .sample(stream, { seed: SEED + round * SOCKETS + k, numRuns: ROUND })
          .map((frame, i) => withUniqueSendId(frame, (round * SOCKETS + k) * ROUND + i, sendIds)),
      );
      genMs += Date.now() - generating;
      const answers = await Promise.all(
        attackers.map((a, k) => a.round(batches[k]!, `barrier-${round}-${k}`)),
      );
      for (const frame of answers.flat()) {
        if (frame.type === "error" && frame.code === ErrorCode.Internal) internal.push(frame);
        if (frame.type === "ack" && frame.id && "messageId" in frame) acked.add(frame.id);
        if ((frame.type === "ack" || frame.type === "error") && frame.id && sendIds.has(frame.id)) {
          answersBySend.set(frame.id, [...(answersBySend.get(frame.id) ?? []), frame]);
        }
      }
      // The control user works through it all: a send, acked.
      const id = `control-${round}`;
      watcher.send({
        type: "send",
        id,
        clientMsgId: randomUUID(),
        conversationId: shared,
        body: `control ${round}`,
      });
      await watcher.waitFor((f) => f.type === "ack" && f.id === id, 1, 20_000);
      controlAcks += 1;
      sent += ROUND * SOCKETS;
      round += 1;
    }
    const seconds = (Date.now() - started) / 1000;
    const closes = attackers.flatMap((a) => a.closes);
    console.log(
      `[fuzz] ${sent} frames in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s); ` +
        `${acked.size} sends acked; generating took ${(genMs / 1000).toFixed(1)} s; closes ${JSON.stringify(closes)}`,
    );

    expect(crashes).toEqual([]);
    expect(internal).toEqual([]);
    // Only the documented closes for what a hostile client does (oversized or undecodable frames,
    // an unsupported protocol version in hello).
    const allowed: number[] = [
      CloseCode.FrameTooLarge,
      CloseCode.UnsupportedVersion,
      CloseCode.BadFrames,
      1007,
    ];
    expect(closes.filter((c) => !allowed.includes(c))).toEqual([]);
    expect(controlAcks).toBe(round);

    // Nothing written by a refused frame.
    const stored = await db.message.findMany({
      where: { senderId: attacker.id },
      select: { conversationId: true, clientMsgId: true },
    });
    expect(stored.every((m) => m.conversationId === shared)).toBe(true);
    // Every acked send is stored; everything stored came from a send frame; a send stored but not
    // acked only where its socket was closed before the ack could go out (the SDK resends those
    // with the same clientMsgId after reconnecting).
    const storedIds = new Set(stored.map((m) => m.clientMsgId.toLowerCase()));
    const ackedClientIds = [...acked].map((id) => sendIds.get(id));
    expect(ackedClientIds.filter((id) => id === undefined || !storedIds.has(id))).toEqual([]);
    const sentClientIds = new Set(sendIds.values());
    expect([...storedIds].filter((id) => !sentClientIds.has(id))).toEqual([]);
    const ackedSet = new Set(ackedClientIds);
    const unacked = [...storedIds].filter((id) => !ackedSet.has(id));
    const story = unacked.map((clientMsgId) =>
      [...sendIds]
        .filter(([, c]) => c === clientMsgId)
        .map(([id]) => ({ id, answers: answersBySend.get(id) ?? [] })),
    );
    expect(unacked.length, JSON.stringify(story).slice(0, 3000)).toBeLessThanOrEqual(closes.length);
    expect(await db.message.count({ where: { conversationId: foreign } })).toBe(0);
    const foreignMembership = await db.membership.findFirst({
      where: { conversationId: foreign, userId: attacker.id },
    });
    expect(foreignMembership).toBeNull();

    // The control member got every seq of the shared channel live, in order, once each after it
    // drops what it already has as a client does (DESIGN step 5: a resend pushes its stored message
    // again, send-one.ts `republish`) (under CI
    // load its route once lapsed mid-run — the refresh wheel turned slower than the route TTL —
    // and a third of the events never reached its open socket; wheel.ts `catchUp`); and a fresh
    // socket's `sync` from before the run brings every seq once and in order (the cursor path).
    const conversation = await db.conversation.findUniqueOrThrow({ where: { id: shared } });
    const count = conversation.lastSeq - before.lastSeq;
    expect(count).toBeGreaterThanOrEqual(round);
    const all = Array.from({ length: count }, (_, i) => before.lastSeq + 1 + i);
    const liveSeqs = () =>
      watcher
        .of("event")
        .filter((e) => e.conversationId === shared)
        .map((e) => e.seq);
    const applied = () => {
      let last = before.lastSeq;
      return liveSeqs().filter((seq) => {
        if (seq <= last) return false;
        last = seq;
        return true;
      });
    };
    // The last events may still be on their way after the last ack.
    for (let waited = 0; applied().length < count && waited < 20_000; waited += 50) await sleep(50);
    const live = applied();
    console.log(`[fuzz] control got ${live.length} of ${count} seqs live (${liveSeqs().length} pushes)`);
    expect(live).toEqual(all);
    const fresh = await TestClient.connect(gateway.port, await sessionTicket(db, control.id));
    // Page by page (a sync answers at most SYNC_PAGE_SIZE events, "more" beyond).
    for (let page = 0, cursor = before.lastSeq; cursor < conversation.lastSeq && page < 20; page++) {
      fresh.send({ type: "sync", id: `all-${page}`, cursors: { [shared]: cursor } });
      await fresh.waitFor((f) => f.type === "synced" && "id" in f && f.id === `all-${page}`, 1, 30_000);
      cursor = Math.max(cursor, ...fresh.of("event").map((e) => e.seq));
    }
    const synced = fresh
      .of("event")
      .filter((e) => e.conversationId === shared)
      .map((e) => e.seq);
    expect(synced.slice(0, count)).toEqual(all);
    await fresh.close();
    await watcher.close();
    for (const a of attackers) await a.client.close();
  }, 600_000);
});
