import { randomUUID } from "node:crypto";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { EventKind, UserEventKind, ZConversationEvent, ZUserEvent } from "@parley/protocol";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryEngine, MemoryHub } from "../src/engine/memory.ts";
import { RedisEngine } from "../src/engine/redis.ts";
import type { TBusMessage, TEngine } from "../src/engine/types.ts";
import type { TConversationEventRecord } from "../src/events.ts";
import { setEventSink, writesInFlight } from "../src/events.ts";
import { createFanout, type TFanout } from "../src/fanout.ts";
import { sendMessage } from "../src/messages/send.ts";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `parley-test:${randomUUID()}:`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Time allowed for a message that should NOT arrive to show up anyway. */
const QUIET_MS = 100;

async function eventually(check: () => void, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(10);
    }
  }
}

type Backend = { name: string; make: () => TEngine; cleanup: () => Promise<void> };

const hub = new MemoryHub();
// `npm test` without a Redis server sets PARLEY_TEST_SKIP_REDIS (and says so loudly): memory only.
const backends: Backend[] = [
  { name: "memory", make: () => new MemoryEngine({ hub }), cleanup: async () => {} },
  {
    name: "redis",
    make: () => new RedisEngine({ url: redisUrl, keyPrefix }),
    async cleanup() {
      const redis = new Redis(redisUrl);
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
      redis.disconnect();
    },
  },
].filter((b) => b.name !== "redis" || process.env.PARLEY_TEST_SKIP_REDIS !== "1");

let t: TTestDb;
beforeAll(async () => {
  t = await createTestDb();
  await seedWorkspace(t.db);
});
afterAll(async () => {
  await t?.drop();
});

/** Records what reaches a fake gateway's inbox. */
function inbox() {
  const received: TBusMessage[] = [];
  return { received, handler: (m: TBusMessage) => void received.push(m) };
}

/** Counts publishes going through an engine (to prove "publish once"). */
function counting(engine: TEngine) {
  const calls = { gateway: 0, topic: 0 };
  const wrapped: TEngine = Object.create(engine);
  wrapped.publishToGateway = (gatewayId, message) => {
    calls.gateway++;
    return engine.publishToGateway(gatewayId, message);
  };
  wrapped.publishToTopic = (topic, message) => {
    calls.topic++;
    return engine.publishToTopic(topic, message);
  };
  return { engine: wrapped, calls };
}

const sortedUsers = (m: TBusMessage | undefined) => [...(m?.userIds ?? [])].sort();

describe.each(backends)("fan-out on the $name engine", (backend) => {
  const engines: TEngine[] = [];
  const fanouts: TFanout[] = [];
  const engine = () => {
    const e = backend.make();
    engines.push(e);
    return e;
  };
  afterEach(async () => {
    await Promise.all(fanouts.splice(0).map((f) => f.close()));
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  afterAll(() => backend.cleanup());

  /** alice on A, bob on B, carol on both, erin offline, dave (not a member) on A. */
  async function world(options: { threshold?: number; reorderWaitMs?: number } = {}) {
    const [alice, bob, carol, dave, erin] = await Promise.all(
      ["alice", "bob", "carol", "dave", "erin"].map((name) => seedUser(t.db, { name })),
    );
    const channel = await seedChannel(t.db, {
      createdById: alice!.id,
      memberIds: [bob!.id, carol!.id, erin!.id],
    });
    const [gwA, gwB] = [`gw-a-${randomUUID()}`, `gw-b-${randomUUID()}`];
    const [a, b] = [engine(), engine()];
    const [inA, inB] = [inbox(), inbox()];
    await a.subscribeGateway(gwA, inA.handler);
    await b.subscribeGateway(gwB, inB.handler);
    await a.refreshRoutes(gwA, [alice!.id, carol!.id, dave!.id], 60_000);
    await b.refreshRoutes(gwB, [bob!.id, carol!.id], 60_000);
    // The publisher is a third process (e.g. web), sharing only the backend.
    const counted = counting(engine());
    const logged: unknown[][] = [];
    const fanout = createFanout({
      db: t.db,
      engine: counted.engine,
      largeChannelThreshold: options.threshold,
      reorderWaitMs: options.reorderWaitMs,
      logger: { warn: (...a) => logged.push(a), error: (...a) => logged.push(a) },
    });
    fanouts.push(fanout);
    const users = { alice: alice!, bob: bob!, carol: carol!, dave: dave!, erin: erin! };
    return { users, channel, gwA, gwB, a, b, inA, inB, fanout, calls: counted.calls, logged };
  }

  const event = (
    conversationId: string,
    seq: number,
    kind: TConversationEventRecord["kind"] = EventKind.MessageCreated,
    membersSeq = 0,
  ): TConversationEventRecord => ({
    conversationId,
    seq,
    kind,
    actorId: null,
    payload: { n: seq },
    createdAt: new Date("2030-01-02T03:04:05.000Z"),
    membersSeq,
  });

  /** A member list change as another process would commit it (row + membersSeq), without the event. */
  async function changeMembers(conversationId: string, membersSeq: number, change: () => Promise<unknown>) {
    await change();
    await t.db.conversation.update({ where: { id: conversationId }, data: { membersSeq } });
  }

  it("sends one frame per gateway, to members only", async () => {
    const w = await world();
    const { alice, bob, carol } = w.users;
    w.fanout.conversationEvent(w.channel.id, { ...event(w.channel.id, 1), actorId: alice.id });
    await eventually(() => {
      expect(w.inA.received).toHaveLength(1);
      expect(w.inB.received).toHaveLength(1);
    });
    await sleep(QUIET_MS);
    expect(w.inA.received).toHaveLength(1);
    expect(w.inB.received).toHaveLength(1);
    expect(w.calls).toEqual({ gateway: 2, topic: 0 });
    // dave is on gateway A but not a member; erin is a member with no route.
    expect(sortedUsers(w.inA.received[0])).toEqual([alice.id, carol.id].sort());
    expect(sortedUsers(w.inB.received[0])).toEqual([bob.id, carol.id].sort());
    // Encoded once: both gateways got the very same frame text, a valid protocol frame.
    expect(w.inA.received[0]!.frame).toBe(w.inB.received[0]!.frame);
    expect(ZConversationEvent.parse(JSON.parse(w.inA.received[0]!.frame))).toEqual({
      type: "event",
      conversationId: w.channel.id,
      seq: 1,
      kind: "message.created",
      actorId: alice.id,
      payload: { n: 1 },
      createdAt: "2030-01-02T03:04:05.000Z",
    });
    // The envelope beside the frame: what receivers route and filter by, without parsing it (and
    // the commit time the send→deliver histogram reads).
    const at = Date.parse("2030-01-02T03:04:05.000Z");
    const header = { type: "event", conversationId: w.channel.id, seq: 1, kind: "message.created", at };
    expect(w.inA.received[0]!.header).toEqual(header);
    expect(w.inB.received[0]!.header).toEqual(header);
  });

  it("publishes a large channel's event exactly once, on its topic", async () => {
    const w = await world({ threshold: 3 }); // 4 members
    const [topicA, topicB] = [inbox(), inbox()];
    await w.a.subscribeTopic(`conv:${w.channel.id}`, topicA.handler);
    await w.b.subscribeTopic(`conv:${w.channel.id}`, topicB.handler);
    w.fanout.conversationEvent(w.channel.id, event(w.channel.id, 1));
    await eventually(() => {
      expect(topicA.received).toHaveLength(1);
      expect(topicB.received).toHaveLength(1);
    });
    await sleep(QUIET_MS);
    expect(w.calls).toEqual({ gateway: 0, topic: 1 });
    expect(topicA.received[0]!.userIds).toBeUndefined();
    expect(JSON.parse(topicA.received[0]!.frame)).toMatchObject({ type: "event", seq: 1 });
    expect(topicA.received[0]!.header).toEqual({
      type: "event",
      conversationId: w.channel.id,
      seq: 1,
      kind: "message.created",
      at: Date.parse("2030-01-02T03:04:05.000Z"),
    });
    expect(w.inA.received).toEqual([]);
    expect(w.inB.received).toEqual([]);
  });

  it("keeps a member list while membersSeq holds, whoever wrote the events, and reloads when it moves", async () => {
    const w = await world();
    const { dave, alice, carol } = w.users;
    const id = w.channel.id;
    const seqOf = (m: TBusMessage) => (JSON.parse(m.frame) as { seq: number }).seq;
    w.fanout.conversationEvent(id, event(id, 1));
    await eventually(() => expect(w.inA.received).toHaveLength(1));

    // dave's row appears, but the events still carry the membersSeq the list was read at: cached,
    // across gaps in seq too (events 3 and 4 were committed by another process).
    await t.db.membership.create({ data: { conversationId: id, userId: dave.id } });
    w.fanout.conversationEvent(id, event(id, 2));
    w.fanout.conversationEvent(id, event(id, 5));
    await eventually(() => expect(w.inA.received).toHaveLength(3));
    expect(sortedUsers(w.inA.received[1])).toEqual([alice.id, carol.id].sort());
    expect(sortedUsers(w.inA.received[2])).toEqual([alice.id, carol.id].sort());

    // His member.joined (seq 6) moves membersSeq: that event and every later one see him.
    await t.db.conversation.update({ where: { id }, data: { membersSeq: 6 } });
    w.fanout.conversationEvent(id, event(id, 6, EventKind.MemberJoined, 6));
    w.fanout.conversationEvent(id, event(id, 7, EventKind.MessageCreated, 6));
    await eventually(() => expect(w.inA.received).toHaveLength(5));
    expect(w.inA.received.map(seqOf)).toEqual([1, 2, 5, 6, 7]);
    expect(sortedUsers(w.inA.received[3])).toEqual([alice.id, carol.id, dave.id].sort());
    expect(sortedUsers(w.inA.received[4])).toEqual([alice.id, carol.id, dave.id].sort());

    // He leaves in another process (member.left at seq 9, never seen here): the next event says so.
    await changeMembers(id, 9, () =>
      t.db.membership.delete({ where: { conversationId_userId: { conversationId: id, userId: dave.id } } }),
    );
    w.fanout.conversationEvent(id, event(id, 10, EventKind.MessageCreated, 9));
    await eventually(() => expect(w.inA.received).toHaveLength(6));
    expect(sortedUsers(w.inA.received[5])).toEqual([alice.id, carol.id].sort());

    // An event read back from the log carries no membersSeq: it reloads (and finds dave again).
    await t.db.membership.create({ data: { conversationId: id, userId: dave.id } });
    const { membersSeq: _unknown, ...unstamped } = event(id, 11);
    w.fanout.conversationEvent(id, unstamped);
    await eventually(() => expect(w.inA.received).toHaveLength(7));
    expect(sortedUsers(w.inA.received[6])).toEqual([alice.id, carol.id, dave.id].sort());
  });

  it("keeps a conversation's events in seq order per gateway", async () => {
    const w = await world();
    const id = w.channel.id;
    for (let seq = 1; seq <= 30; seq++) w.fanout.conversationEvent(id, event(id, seq));
    await eventually(() => expect(w.inB.received).toHaveLength(30));
    const seqs = w.inB.received.map((m) => (JSON.parse(m.frame) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("publishes events that reach it out of order in seq order while its writes are in flight", async () => {
    const w = await world();
    const id = w.channel.id;
    writesInFlight.begin([id]);
    try {
      for (const seq of [1, 3, 2, 5, 4, 6]) w.fanout.conversationEvent(id, event(id, seq));
    } finally {
      writesInFlight.end([id]);
    }
    await eventually(() => expect(w.inB.received).toHaveLength(6));
    const seqs = w.inB.received.map((m) => (JSON.parse(m.frame) as { seq: number }).seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("releases held events when the missing seq never comes (committed elsewhere)", async () => {
    const w = await world();
    const id = w.channel.id;
    writesInFlight.begin([id]); // a write of ours that ends up storing nothing
    try {
      w.fanout.conversationEvent(id, event(id, 1));
      w.fanout.conversationEvent(id, event(id, 4));
      w.fanout.conversationEvent(id, event(id, 3));
      await eventually(() => expect(w.inB.received).toHaveLength(3));
    } finally {
      writesInFlight.end([id]);
    }
    const seqs = w.inB.received.map((m) => (JSON.parse(m.frame) as { seq: number }).seq);
    expect(seqs).toEqual([1, 3, 4]);
    // A straggler behind the released ones still goes out (clients deduplicate by seq).
    w.fanout.conversationEvent(id, event(id, 2));
    await eventually(() => expect(w.inB.received).toHaveLength(4));
  });

  it("waits for a missing seq only while a write of this process could still bring it", async () => {
    const w = await world({ reorderWaitMs: 60_000 });
    const id = w.channel.id;
    const seqsOf = () => w.inB.received.map((m) => (JSON.parse(m.frame) as { seq: number }).seq);
    // No write of ours in flight: seq 2 was committed by another process; 3 goes out at once.
    w.fanout.conversationEvent(id, event(id, 1));
    w.fanout.conversationEvent(id, event(id, 3));
    await eventually(() => expect(seqsOf()).toEqual([1, 3]));
    // One in flight: 5 waits for 4 (here: for as long as the 60 s bound), then both go in order.
    writesInFlight.begin([id]);
    try {
      w.fanout.conversationEvent(id, event(id, 5));
      await sleep(QUIET_MS);
      expect(seqsOf()).toEqual([1, 3]);
    } finally {
      writesInFlight.end([id]);
    }
    w.fanout.conversationEvent(id, event(id, 4));
    await eventually(() => expect(seqsOf()).toEqual([1, 3, 4, 5]));
  });

  it("sends a user event to that user's gateways only", async () => {
    const w = await world();
    const { carol, bob } = w.users;
    w.fanout.userEvent(bob.id, {
      userId: bob.id,
      seq: 7,
      kind: UserEventKind.ReadUpdated,
      payload: { conversationId: w.channel.id, readSeq: 3 },
      createdAt: new Date(),
    });
    w.fanout.userEvent(carol.id, {
      userId: carol.id,
      seq: 1,
      kind: UserEventKind.ConversationAdded,
      payload: { conversationId: w.channel.id },
      createdAt: new Date(),
    });
    await eventually(() => {
      expect(w.inB.received).toHaveLength(2);
      expect(w.inA.received).toHaveLength(1);
    });
    await sleep(QUIET_MS);
    expect(w.inA.received).toHaveLength(1);
    expect(w.inA.received[0]!.userIds).toEqual([carol.id]);
    const bobsFrame = w.inB.received.find((m) => m.userIds?.[0] === bob.id);
    expect(ZUserEvent.parse(JSON.parse(bobsFrame!.frame))).toEqual({
      type: "user.event",
      seq: 7,
      kind: "read.updated",
      payload: { conversationId: w.channel.id, readSeq: 3 },
    });
    expect(bobsFrame!.header).toEqual({
      type: "user.event",
      seq: 7,
      kind: "read.updated",
      conversationId: w.channel.id,
    });
    expect(w.inA.received[0]!.header).toEqual({
      type: "user.event",
      seq: 1,
      kind: "conversation.added",
      conversationId: w.channel.id,
    });
  });

  it("is the sink for core's sendMessage: persisted first, then pushed", async () => {
    const w = await world();
    const { alice, bob } = w.users;
    setEventSink(w.fanout);
    const sent = await sendMessage(
      t.db,
      { userId: alice.id, role: alice.role },
      { conversationId: w.channel.id, clientMsgId: randomUUID(), body: "hello" },
    );
    await eventually(() => expect(w.inB.received).toHaveLength(1));
    const frame = JSON.parse(w.inB.received[0]!.frame) as { seq: number; kind: string; actorId: string };
    expect(frame).toMatchObject({ kind: "message.created", seq: sent.message.seq, actorId: alice.id });
    expect(sortedUsers(w.inB.received[0])).toContain(bob.id);
  });

  it("never throws, and logs, when the engine fails", async () => {
    const w = await world();
    const broken = engine();
    await broken.close(); // every call now rejects
    const fanout = createFanout({
      db: t.db,
      engine: broken,
      logger: { warn() {}, error: (...a) => w.logged.push(a) },
    });
    expect(() => fanout.conversationEvent(w.channel.id, event(w.channel.id, 1))).not.toThrow();
    expect(() =>
      fanout.userEvent(w.users.bob.id, {
        userId: w.users.bob.id,
        seq: 1,
        kind: UserEventKind.ReadUpdated,
        payload: {},
        createdAt: new Date(),
      }),
    ).not.toThrow();
    await fanout.close();
    expect(w.logged.length).toBe(2);
  });
});
