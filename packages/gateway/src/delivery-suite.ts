/**
 * Delivery through real gateways, real Postgres and a real engine: fan-out, multi-device, resume,
 * read state, typing and presence. Runs twice: `redis` (two gateways in this process, each with
 * its own RedisEngine on one unique key prefix, like two processes on one Redis) and `memory`
 * (the single-node setup: one gateway, one MemoryEngine; "the other gateway" is the same one).
 */
import { randomUUID } from "node:crypto";
import {
  addMembers,
  createChannel,
  openDm,
  removeMember,
  sendMessage,
  setEventSink,
  setStatus,
  type TEngine,
} from "@parley/core";
import { seedMessages, seedUser, type TSeededUser } from "@parley/db/seed";
import { ErrorCode, PROTOCOL_VERSION, type TServerEvent } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TGateway } from "./gateway.ts";
import { openSuiteWorld, type TSuiteWorld } from "./suite-world.ts";
import { sessionTicket, settle, TestClient } from "./test-helpers.ts";

const LARGE = 6;
const REFRESH_MS = 200;

type Ctx = Pick<TSuiteWorld, "db" | "engines" | "fanout" | "g1" | "g2"> & {
  world: TSuiteWorld;
  clients: TestClient[];
};

const isEventOf = (conversationId: string) => (f: TServerEvent) =>
  f.type === "event" && f.conversationId === conversationId;

/** The same engine, but messages to a gateway's inbox are handed over `ms` late. */
function lagInbox(engine: TEngine, ms: number): TEngine {
  return new Proxy(engine, {
    get(target, prop) {
      if (prop === "subscribeGateway") {
        return (gatewayId: string, handler: Parameters<TEngine["subscribeGateway"]>[1]) =>
          target.subscribeGateway(gatewayId, (m) => setTimeout(() => handler(m), ms));
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export function deliverySuite(mode: "redis" | "memory"): void {
  const ctx = {} as Ctx;
  // sliceSize 2: every fan-out to more than two sockets is sliced, so the whole suite checks that
  // slicing keeps each socket's order (replay holds, floors, seq order, no duplicates).
  const delivery = { largeChannelThreshold: LARGE, refreshMs: REFRESH_MS, sliceSize: 2 };
  const newEngine = (): TEngine => ctx.world.newEngine();
  const startGateway = (engine: TEngine, refreshMs = REFRESH_MS): Promise<TGateway> =>
    ctx.world.startGateway(engine, { refreshMs });

  async function client(g: TGateway, user: TSeededUser): Promise<TestClient> {
    const c = await TestClient.connect(g.port, await sessionTicket(ctx.db, user.id));
    ctx.clients.push(c);
    return c;
  }

  const actor = (u: TSeededUser) => ({ userId: u.id, role: u.role });
  const users = (n: number) => Promise.all(Array.from({ length: n }, () => seedUser(ctx.db)));
  const channelName = () => `ch-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    ctx.clients = [];
    ctx.world = await openSuiteWorld(mode, delivery);
    Object.assign(ctx, ctx.world);
  });

  afterAll(async () => {
    for (const c of ctx.clients) c.ws.terminate();
    await ctx.world?.close();
  });

  describe(`delivery (${mode})`, () => {
    it("delivers a send once to every device of every member, and nothing to non-members", async () => {
      const [a, b, c] = await users(3);
      const ch = await createChannel(ctx.db, actor(a!), {
        name: channelName(),
        isPrivate: true,
        memberIds: [b!.id],
      });
      // createChannel's after-commit fan-out is not awaited: on a busy box its events could
      // reach sockets connected after it, live (CI once saw 3 events where 1 was expected).
      await ctx.fanout.idle();
      const a1 = await client(ctx.g1, a!);
      const a2 = await client(ctx.g2, a!);
      const b1 = await client(ctx.g2, b!);
      const b2 = await client(ctx.g1, b!);
      const c1 = await client(ctx.g1, c!);
      const c2 = await client(ctx.g2, c!);

      const clientMsgId = randomUUID();
      a1.send({ type: "send", id: "s1", conversationId: ch.id, clientMsgId, body: "hello B" });
      const [ack] = await a1.waitFor((f) => f.type === "ack" && f.id === "s1");
      if (ack?.type !== "ack") throw new Error("no ack");
      for (const socket of [a1, a2, b1, b2]) await socket.waitFor(isEventOf(ch.id));
      await settle();
      for (const socket of [a1, a2, b1, b2]) {
        const events = socket.frames.filter(isEventOf(ch.id));
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ seq: ack.seq, kind: "message.created", actorId: a!.id });
        expect(events[0]).toMatchObject({ payload: { message: { body: "hello B" } } });
      }
      for (const socket of [c1, c2]) expect(socket.frames.map((f) => f.type)).toEqual(["welcome"]);

      c1.send({ type: "sync", id: "y1", cursors: { [ch.id]: 0 } });
      const [synced] = await c1.waitFor((f) => f.type === "synced");
      expect(synced).toEqual({
        type: "synced",
        id: "y1",
        conversations: [],
        notFound: [ch.id],
        userSeq: expect.any(Number),
        userStatus: "ok",
      });
      expect(c1.of("event")).toHaveLength(0);
    });

    it("a resend delivers a message whose first fan-out was lost (its gateway died after the commit)", async () => {
      const [a, b] = await users(2);
      const dm = await openDm(ctx.db, actor(a!), { userIds: [b!.id] });
      await ctx.fanout.idle();
      const b1 = await client(ctx.g2, b!);
      const input = { conversationId: dm.id, clientMsgId: randomUUID(), body: "did it arrive?" };
      // Stored, but the process that stored it "died" before its fan-out: nothing is published.
      setEventSink({ conversationEvent() {}, userEvent() {} });
      let stored: Awaited<ReturnType<typeof sendMessage>>;
      try {
        stored = await sendMessage(ctx.db, actor(a!), input);
      } finally {
        setEventSink(ctx.fanout);
      }
      await settle();
      expect(b1.frames.filter(isEventOf(dm.id))).toHaveLength(0);

      // The sender's SDK resends it (no ack came) through the gateway it reconnected to.
      const a1 = await client(ctx.g1, a!);
      a1.send({ type: "send", id: "r1", ...input });
      const [ack] = await a1.waitFor((f) => f.type === "ack" && f.id === "r1");
      expect(ack).toMatchObject({ seq: stored.message.seq, messageId: stored.message.id });
      const [event] = await b1.waitFor(isEventOf(dm.id));
      expect(event).toMatchObject({
        seq: stored.message.seq,
        kind: "message.created",
        payload: { message: { id: stored.message.id, body: input.body } },
      });
    });

    it("resumes after 500 messages in 3 conversations: exactly the missing events, once, in order", async () => {
      const [a, b] = await users(2);
      const x = await createChannel(ctx.db, actor(a!), { name: channelName(), memberIds: [b!.id] });
      const y = await createChannel(ctx.db, actor(a!), {
        name: channelName(),
        isPrivate: true,
        memberIds: [b!.id],
      });
      const dm = await openDm(ctx.db, actor(a!), { userIds: [b!.id] });
      const convs = [x, y, dm];
      const cursors = Object.fromEntries(convs.map((c) => [c.id, c.lastSeq]));
      const userCursor = (await ctx.db.user.findUniqueOrThrow({ where: { id: b!.id } })).lastEventSeq;

      // B is offline: three writers, one per conversation, 500 messages in all.
      await Promise.all(
        convs.map(async (conv, k) => {
          const count = k === 2 ? 166 : 167;
          for (let i = 0; i < count; i++) {
            await sendMessage(ctx.db, actor(a!), {
              conversationId: conv.id,
              clientMsgId: randomUUID(),
              body: `m${k}-${i}`,
            });
          }
        }),
      );
      // And one user event: B is added to a fourth conversation.
      const z = await createChannel(ctx.db, actor(a!), { name: channelName() });
      await addMembers(ctx.db, actor(a!), { conversationId: z.id, userIds: [b!.id] });
      // The after-commit fan-out of z's member.joined is not awaited by addMembers: on a busy box
      // it could look B's route up after B connected and arrive as a 501st, live event.
      await ctx.fanout.idle();

      const b1 = await client(ctx.g2, b!);
      b1.send({ type: "hello", protocolVersion: PROTOCOL_VERSION, cursors, userCursor });
      const [synced] = await b1.waitFor((f) => f.type === "synced", 1, 15_000);
      await settle();

      const events = b1.of("event");
      expect(events).toHaveLength(500);
      for (const [k, conv] of convs.entries()) {
        const seqs = events.filter((e) => e.conversationId === conv.id).map((e) => e.seq);
        const count = k === 2 ? 166 : 167;
        expect(seqs).toEqual(Array.from({ length: count }, (_, i) => conv.lastSeq + 1 + i));
      }
      const bodies = events.filter((e) => e.conversationId === x.id).map((e) => e.payload.message);
      expect((bodies[0] as { body: string }).body).toBe("m0-0");
      expect(b1.of("user.event").map((e) => [e.seq, e.kind])).toEqual([
        [userCursor + 1, "conversation.added"],
      ]);
      expect(synced).toEqual({
        type: "synced",
        conversations: convs.map((c, k) => ({
          conversationId: c.id,
          lastSeq: c.lastSeq + (k === 2 ? 166 : 167),
          status: "ok",
        })),
        userSeq: userCursor + 1,
        userStatus: "ok",
      });
      // Nothing else: welcome, the replay, synced — and the replay came before synced.
      expect(b1.frames.length).toBe(1 + 500 + 1 + 1);
      expect(b1.frames.at(-1)?.type).toBe("synced");
    });

    it("holds live events during a replay and sends each seq once, in order", async () => {
      const [a, b] = await users(2);
      const ch = await createChannel(ctx.db, actor(a!), { name: channelName(), memberIds: [b!.id] });
      await ctx.fanout.idle();
      await seedMessages(ctx.db, { conversationId: ch.id, senderId: a!.id, count: 400 });
      const b1 = await client(ctx.g2, b!);
      b1.send({ type: "sync", id: "gap", cursors: { [ch.id]: 0 } });
      // Live sends race the replay: some commit before its query, some during, some after.
      for (let i = 0; i < 20; i++) {
        await sendMessage(ctx.db, actor(a!), {
          conversationId: ch.id,
          clientMsgId: randomUUID(),
          body: `live ${i}`,
        });
      }
      const lastSeq = (await ctx.db.conversation.findUniqueOrThrow({ where: { id: ch.id } })).lastSeq;
      await b1.waitFor((f) => isEventOf(ch.id)(f) && f.type === "event" && f.seq === lastSeq, 1, 10_000);
      await settle();
      const seqs = b1.frames.filter(isEventOf(ch.id)).map((f) => (f as { seq: number }).seq);
      expect(seqs).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
      const synced = b1.of("synced")[0];
      expect(synced?.conversations[0]).toMatchObject({ status: "ok" });
    });

    it("does not send again what a replay carried when its live push arrives late", async () => {
      const [a, b] = await users(2);
      const ch = await createChannel(ctx.db, actor(a!), { name: channelName(), memberIds: [b!.id] });
      await ctx.fanout.idle();
      // This gateway's inbox lags 300 ms: pushes of events the replay includes arrive after it.
      const laggy = await startGateway(lagInbox(ctx.engines.at(-1)!, 300));
      const b1 = await client(laggy, b!);
      const cursor = (await ctx.db.conversation.findUniqueOrThrow({ where: { id: ch.id } })).lastSeq;
      for (let i = 0; i < 5; i++) {
        await sendMessage(ctx.db, actor(a!), {
          conversationId: ch.id,
          clientMsgId: randomUUID(),
          body: `x${i}`,
        });
      }
      b1.send({ type: "sync", id: "s", cursors: { [ch.id]: cursor } });
      await b1.waitFor((f) => f.type === "synced");
      await settle(600);
      const seqs = b1.frames.filter(isEventOf(ch.id)).map((f) => (f as { seq: number }).seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5].map((i) => cursor + i));
      // A later event still arrives live.
      await sendMessage(ctx.db, actor(a!), {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: "later",
      });
      await b1.waitFor(isEventOf(ch.id), 6);
    });

    it("pushes read state to the user's other devices", async () => {
      const [a, b] = await users(2);
      const ch = await createChannel(ctx.db, actor(a!), { name: channelName(), memberIds: [b!.id] });
      await ctx.fanout.idle();
      const { message } = await sendMessage(ctx.db, actor(a!), {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: "read me",
      });
      const b1 = await client(ctx.g1, b!);
      const b2 = await client(ctx.g2, b!);
      b1.send({ type: "markRead", id: "r1", conversationId: ch.id, seq: message.seq });
      await b1.waitFor((f) => f.type === "ack" && f.id === "r1");
      const [update] = await b2.waitFor((f) => f.type === "user.event" && f.kind === "read.updated");
      expect(update).toMatchObject({ payload: { conversationId: ch.id, readSeq: message.seq } });
    });

    it("relays typing to other members only, rate-limited, and refuses non-members", async () => {
      const [a, b, c] = await users(3);
      const ch = await createChannel(ctx.db, actor(a!), { name: channelName(), memberIds: [b!.id] });
      await ctx.fanout.idle();
      const a1 = await client(ctx.g1, a!);
      const b1 = await client(ctx.g2, b!);
      const c1 = await client(ctx.g2, c!);
      a1.send({ type: "typing", conversationId: ch.id });
      a1.send({ type: "typing", conversationId: ch.id });
      const [typing] = await b1.waitFor((f) => f.type === "typing");
      expect(typing).toEqual({ type: "typing", conversationId: ch.id, userId: a!.id });

      c1.send({ type: "typing", conversationId: ch.id });
      const [refused] = await c1.waitFor((f) => f.type === "error");
      expect(refused).toMatchObject({ code: ErrorCode.Forbidden });
      await settle();
      expect(b1.of("typing")).toHaveLength(1);
      expect(c1.of("typing")).toHaveLength(0);
      expect(a1.of("typing")).toHaveLength(0);
    });

    it("delivers large channels through the conversation topic, to members only", async () => {
      const [a, b, c, ...rest] = await users(3 + LARGE);
      const ch = await createChannel(ctx.db, actor(a!), {
        name: channelName(),
        isPrivate: true,
        memberIds: [b!.id, ...rest.map((u) => u.id)],
      });
      await ctx.fanout.idle();
      const b1 = await client(ctx.g2, b!);
      const b2 = await client(ctx.g1, b!);
      const c1 = await client(ctx.g2, c!);
      const c2 = await client(ctx.g1, c!);
      const a1 = await client(ctx.g1, a!);
      a1.send({ type: "send", id: "s", conversationId: ch.id, clientMsgId: randomUUID(), body: "to many" });
      for (const socket of [a1, b1, b2]) await socket.waitFor(isEventOf(ch.id));

      // Removal flows through B's user log and stops delivery to B's sockets.
      await removeMember(ctx.db, actor(a!), { conversationId: ch.id, userId: b!.id });
      await b1.waitFor((f) => f.type === "user.event" && f.kind === "conversation.removed");
      await b2.waitFor((f) => f.type === "user.event" && f.kind === "conversation.removed");
      a1.send({ type: "send", id: "t", conversationId: ch.id, clientMsgId: randomUUID(), body: "secret" });
      await a1.waitFor(isEventOf(ch.id), 3);
      await settle();
      for (const socket of [b1, b2]) {
        // The first message (and maybe B's own member.left, racing the removal), never "secret".
        const kinds = socket.frames.filter(isEventOf(ch.id)).map((f) => (f as { kind: string }).kind);
        expect(kinds.filter((k) => k === "message.created")).toHaveLength(1);
      }
      for (const socket of [c1, c2]) expect(socket.frames.filter(isEventOf(ch.id))).toHaveLength(0);
    });

    it("starts delivering a large channel to a user added while connected", async () => {
      const [a, b, ...rest] = await users(2 + LARGE);
      const ch = await createChannel(ctx.db, actor(a!), {
        name: channelName(),
        memberIds: rest.map((u) => u.id),
      });
      await ctx.fanout.idle();
      const b1 = await client(ctx.g2, b!);
      await addMembers(ctx.db, actor(a!), { conversationId: ch.id, userIds: [b!.id] });
      await b1.waitFor((f) => f.type === "user.event" && f.kind === "conversation.added");
      await settle(200); // the gateway looks up the member count, then subscribes
      await sendMessage(ctx.db, actor(a!), {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: "welcome",
      });
      const [event] = await b1.waitFor(
        (f) => isEventOf(ch.id)(f) && f.type === "event" && f.kind === "message.created",
      );
      expect(event).toBeDefined();
    });

    it("keeps delivering to a member when a bulk add makes the channel large", async () => {
      const [a, b, ...rest] = await users(2 + LARGE);
      const ch = await createChannel(ctx.db, actor(a!), { name: channelName(), memberIds: [b!.id] });
      await ctx.fanout.idle();
      const b1 = await client(ctx.g2, b!);
      // One transaction: every member.joined already goes to the topic, none through B's inbox.
      await addMembers(ctx.db, actor(a!), { conversationId: ch.id, userIds: rest.map((u) => u.id) });
      await settle(REFRESH_MS * 6 + 400); // the gateway's slower member-count sweep
      await sendMessage(ctx.db, actor(a!), {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: "big now",
      });
      await b1.waitFor(
        (f) => f.type === "event" && f.conversationId === ch.id && f.kind === "message.created",
      );
    });

    it("shows presence: online on connect, away with status text, offline after close", async () => {
      const [a, w] = await users(2);
      const watcher = await client(ctx.g1, w!);
      watcher.send({ type: "watchPresence", id: "w1", userIds: [a!.id, randomUUID()] });
      await watcher.waitFor((f) => f.type === "ack" && f.id === "w1");
      expect(watcher.of("presence")).toEqual([
        { type: "presence", userId: a!.id, status: "offline", statusText: "" },
      ]);

      const a1 = await client(ctx.g2, a!);
      await watcher.waitFor((f) => f.type === "presence" && f.status === "online");
      a1.send({ type: "setPresence", id: "p1", status: "away", statusText: "lunch" });
      await a1.waitFor((f) => f.type === "ack" && f.id === "p1");
      await watcher.waitFor((f) => f.type === "presence" && f.status === "away" && f.statusText === "lunch");
      await a1.close();
      const offline = await watcher.waitFor((f) => f.type === "presence" && f.status === "offline", 2);
      expect(offline.at(-1)).toMatchObject({ userId: a!.id });
      expect(watcher.of("presence").map((f) => f.status)).toEqual(["offline", "online", "away", "offline"]);
    });

    it("carries a saved custom status in presence from the first connection on", async () => {
      const [a, w] = await users(2);
      await setStatus(ctx.db, actor(a!), { emoji: "🌴", text: "On vacation" });
      const watcher = await client(ctx.g1, w!);
      watcher.send({ type: "watchPresence", id: "w1", userIds: [a!.id] });
      await watcher.waitFor((f) => f.type === "ack" && f.id === "w1");
      const a1 = await client(ctx.g2, a!);
      const [online] = await watcher.waitFor((f) => f.type === "presence" && f.status === "online");
      expect(online).toMatchObject({ userId: a!.id, statusText: "🌴 On vacation" });
      // A device that learns of a new status (preferences.updated) puts it in its presence.
      a1.send({ type: "setPresence", id: "p1", status: "online", statusText: "" });
      await watcher.waitFor((f) => f.type === "presence" && f.status === "online" && f.statusText === "");
      await a1.close();
    });

    it.runIf(mode === "redis")("turns a dead gateway's users offline once their entries lapse", async () => {
      const [a, w] = await users(2);
      const engine = newEngine();
      const doomed = await startGateway(engine, 100);
      const watcher = await client(ctx.g1, w!);
      const a1 = await client(doomed, a!);
      watcher.send({ type: "watchPresence", id: "w", userIds: [a!.id] });
      await watcher.waitFor((f) => f.type === "presence" && f.status === "online");
      // As good as SIGKILL for the rest of the system: no cleanup reaches Redis any more.
      await engine.close();
      a1.ws.terminate();
      const started = Date.now();
      await watcher.waitFor((f) => f.type === "presence" && f.status === "offline", 1, 5_000);
      expect(Date.now() - started).toBeLessThan(3_000);
    });
  });
}
