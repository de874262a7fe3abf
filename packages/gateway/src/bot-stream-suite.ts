/**
 * The bot events stream (docs/integrations.md "Events stream"): a bot connects with its bot token
 * and gets its scoped channels' events — ordered, exactly once, resumable — and nothing else; what
 * its token does not allow is refused with nothing written; a revoked token or a deactivated bot
 * is refused at upgrade and its open sockets close (4401 / 4403), as for people. Real gateways,
 * Postgres and engine; runs twice, like delivery-suite.ts: `redis` (two gateways, each with its own
 * RedisEngine on one key prefix) and `memory` (one gateway).
 */
import { randomUUID } from "node:crypto";
import { ParleyClient, type TWebSocketLike } from "@parley/client";
import {
  addMembers,
  createBot,
  createBotToken,
  createChannel,
  deactivateUser,
  openDm,
  removeMember,
  revokeBotToken,
  sendMessage,
} from "@parley/core";
import { seedUser, type TSeededUser } from "@parley/db/seed";
import { tableDigests } from "@parley/db/testing";
import {
  CloseCode,
  ErrorCode,
  HIDDEN_USER_EVENT_KIND,
  PROTOCOL_VERSION,
  type TConversationEvent,
} from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { TGateway } from "./gateway.ts";
import { openSuiteWorld, type TSuiteWorld } from "./suite-world.ts";
import { sessionTicket, settle, TestClient, until } from "./test-helpers.ts";

type Ctx = Pick<TSuiteWorld, "db" | "fanout" | "g1" | "g2"> & {
  world: TSuiteWorld;
  owner: TSeededUser;
  clients: TestClient[];
  sdks: ParleyClient[];
};

/** Every socket the SDK opened, so a test can kill one like a network failure. */
const sdkSockets: WebSocket[] = [];
class KillableSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    sdkSockets.push(this);
  }
}

/** The HTTP status an upgrade with `Authorization: Bearer <token>` gets (101 when it opens). */
function upgradeStatus(port: number, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: `Bearer ${token}` } });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("open", () => {
      resolve(101);
      ws.close();
    });
    ws.on("error", reject);
  });
}

const eventsOf = (socket: TestClient, conversationId: string) =>
  socket.of("event").filter((f) => f.conversationId === conversationId);
const seqsOf = (socket: TestClient, conversationId: string) =>
  eventsOf(socket, conversationId).map((f) => f.seq);
const range = (after: number, count: number) => Array.from({ length: count }, (_, i) => after + 1 + i);

export function botStreamSuite(mode: "redis" | "memory"): void {
  const ctx = {} as Ctx;
  async function bearer(g: TGateway, token: string): Promise<TestClient> {
    const c = await TestClient.connectWithBearer(g.port, token);
    ctx.clients.push(c);
    return c;
  }

  const owner = () => ({ userId: ctx.owner.id, role: ctx.owner.role });
  const channelName = () => `bot-${randomUUID().slice(0, 8)}`;
  const post = (conversationId: string, body: string) =>
    sendMessage(ctx.db, owner(), { conversationId, clientMsgId: randomUUID(), body });
  const lastSeq = async (conversationId: string) =>
    (await ctx.db.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastSeq;
  const userSeq = async (userId: string) =>
    (await ctx.db.user.findUniqueOrThrow({ where: { id: userId } })).lastEventSeq;

  /**
   * A bot in five conversations — `scoped` and `scopedPrivate` (its tokens reach them), `outside`
   * (a member, out of scope), `dm` (with the owner), `notJoined` (in scope, not a member) — with a
   * read-write, a read-only, a write-only token, and `other`, a token reaching only `outside`.
   */
  async function makeBot() {
    const bot = await createBot(ctx.db, owner(), { name: `Bot ${randomUUID().slice(0, 6)}` });
    const channel = (isPrivate: boolean, memberIds: string[]) =>
      createChannel(ctx.db, owner(), { name: channelName(), isPrivate, memberIds });
    const scoped = await channel(false, [bot.id]);
    const scopedPrivate = await channel(true, [bot.id]);
    const outside = await channel(false, [bot.id]);
    const notJoined = await channel(false, []);
    const dm = await openDm(ctx.db, owner(), { userIds: [bot.id] });
    const reach = [scoped.id, scopedPrivate.id, notJoined.id];
    const token = async (name: string, canRead: boolean, canWrite: boolean, channelIds = reach) =>
      createBotToken(ctx.db, owner(), { botId: bot.id, name, channelIds, canRead, canWrite });
    const tokens = {
      rw: await token("rw", true, true),
      ro: await token("ro", true, false),
      wo: await token("wo", false, true),
      other: await token("other", true, true, [outside.id]),
    };
    // The setup's after-commit fan-out must not reach sockets opened after it, live.
    await ctx.fanout.idle();
    return { bot, scoped, scopedPrivate, outside, notJoined, dm, ...tokens };
  }

  beforeAll(async () => {
    ctx.clients = [];
    ctx.sdks = [];
    ctx.world = await openSuiteWorld(mode, { refreshMs: 200 });
    Object.assign(ctx, ctx.world);
    ctx.owner = await seedUser(ctx.db, { role: "owner" });
  });

  afterAll(async () => {
    for (const sdk of ctx.sdks ?? []) sdk.disconnect();
    for (const c of ctx.clients ?? []) c.ws.terminate();
    await ctx.world?.close();
  });

  describe(`bot events stream (${mode})`, () => {
    it("streams its scoped channels' events in order and exactly once, and nothing of other conversations", async () => {
      const b = await makeBot();
      const botSocket = await bearer(ctx.g2, b.rw.token);
      // The same bot user with a token reaching only `outside`: scope is per socket, not per user.
      const otherSocket = await bearer(ctx.g1, b.other.token);
      const person = await TestClient.connect(ctx.g1.port, await sessionTicket(ctx.db, ctx.owner.id));
      ctx.clients.push(person);
      const before = {
        scoped: await lastSeq(b.scoped.id),
        scopedPrivate: await lastSeq(b.scopedPrivate.id),
        outside: await lastSeq(b.outside.id),
      };
      for (let i = 0; i < 15; i++) {
        await post(b.scoped.id, `s${i}`);
        await post(b.outside.id, `o${i}`);
        await post(b.dm.id, `d${i}`);
        if (i % 3 === 0) await post(b.scopedPrivate.id, `p${i}`);
        if (i === 7) person.send({ type: "typing", conversationId: b.scoped.id });
      }
      await botSocket.waitFor((f) => f.type === "event", 20, 10_000);
      await otherSocket.waitFor((f) => f.type === "event", 15, 10_000);
      await settle();

      expect(seqsOf(botSocket, b.scoped.id)).toEqual(range(before.scoped, 15));
      expect(seqsOf(botSocket, b.scopedPrivate.id)).toEqual(range(before.scopedPrivate, 5));
      const bodies = eventsOf(botSocket, b.scoped.id).map(
        (f) => (f.payload.message as { body: string }).body,
      );
      expect(bodies).toEqual(range(-1, 15).map((i) => `s${i}`));
      // Nothing else at all: no other conversation's events, no typing, no presence.
      expect(botSocket.frames.filter((f) => f.type !== "event").map((f) => f.type)).toEqual(["welcome"]);
      expect(botSocket.of("event")).toHaveLength(20);
      expect(seqsOf(otherSocket, b.outside.id)).toEqual(range(before.outside, 15));
      expect(otherSocket.frames).toHaveLength(1 + 15);
    });

    it("resumes from its cursors: exactly what it missed in its scope, once; other conversations not found", async () => {
      const b = await makeBot();
      const first = await bearer(ctx.g1, b.rw.token);
      const start = await lastSeq(b.scoped.id);
      for (let i = 0; i < 5; i++) await post(b.scoped.id, `before ${i}`);
      await first.waitFor((f) => f.type === "event", 5);
      const cursor = seqsOf(first, b.scoped.id).at(-1)!;
      await first.close();

      // Offline: the scoped channel and everything around it move on.
      for (let i = 0; i < 30; i++) {
        await post(b.scoped.id, `while away ${i}`);
        if (i % 10 === 0) await post(b.outside.id, `outside ${i}`);
      }
      await post(b.dm.id, "a DM");
      await post(b.notJoined.id, "not joined");
      await ctx.fanout.idle();

      const second = await bearer(ctx.g2, b.rw.token);
      const cursors = { [b.scoped.id]: cursor, [b.outside.id]: 0, [b.dm.id]: 0, [b.notJoined.id]: 0 };
      second.send({ type: "hello", protocolVersion: PROTOCOL_VERSION, cursors });
      const [synced] = await second.waitFor((f) => f.type === "synced", 1, 10_000);
      // Live again: what comes next arrives once, after the replay.
      for (let i = 0; i < 5; i++) await post(b.scoped.id, `after ${i}`);
      await second.waitFor((f) => f.type === "event", 35, 10_000);
      await settle();

      expect(cursor).toBe(start + 5);
      expect(seqsOf(second, b.scoped.id)).toEqual(range(cursor, 35));
      expect(synced).toEqual({
        type: "synced",
        conversations: [{ conversationId: b.scoped.id, lastSeq: cursor + 30, status: "ok" }],
        notFound: [b.outside.id, b.dm.id, b.notJoined.id],
        userSeq: expect.any(Number),
        userStatus: "ok",
      });
      expect(second.frames.map((f) => f.type).filter((t) => t !== "event")).toEqual(["welcome", "synced"]);
      expect(second.frames.findIndex((f) => f.type === "synced")).toBe(1 + 30);
    });

    it("keeps its user log gapless: entries about its channels as they are, the rest as user.hidden", async () => {
      const b = await makeBot();
      const userCursor = await userSeq(b.bot.id);
      const live = await bearer(ctx.g2, b.rw.token);
      live.send({ type: "hello", protocolVersion: PROTOCOL_VERSION, userCursor });
      await live.waitFor((f) => f.type === "synced");
      const elsewhere = await createChannel(ctx.db, owner(), { name: channelName() });
      await addMembers(ctx.db, owner(), { conversationId: b.notJoined.id, userIds: [b.bot.id] });
      await addMembers(ctx.db, owner(), { conversationId: elsewhere.id, userIds: [b.bot.id] });
      await removeMember(ctx.db, owner(), { conversationId: b.outside.id, userId: b.bot.id });
      const joinedAt = await lastSeq(b.notJoined.id);
      await post(b.notJoined.id, "now a member");
      await post(elsewhere.id, "still outside");
      const expected = [
        { type: "user.event", seq: userCursor + 1, kind: "conversation.added" },
        { type: "user.event", seq: userCursor + 2, kind: HIDDEN_USER_EVENT_KIND, payload: {} },
        { type: "user.event", seq: userCursor + 3, kind: HIDDEN_USER_EVENT_KIND, payload: {} },
      ];
      await live.waitFor((f) => f.type === "user.event", 3);
      await live.waitFor((f) => f.type === "event" && f.conversationId === b.notJoined.id, 2);
      await settle();
      expect(live.of("user.event")).toMatchObject(expected);
      expect(live.of("user.event")[0]?.payload).toMatchObject({ conversationId: b.notJoined.id });
      // Its own join (member.joined, at joinedAt) and the message after it; nothing of `elsewhere`.
      expect(live.of("event").map((f) => [f.conversationId, f.seq])).toEqual([
        [b.notJoined.id, joinedAt],
        [b.notJoined.id, joinedAt + 1],
      ]);

      // The replay says the same, and now includes the joined channel.
      const replay = await bearer(ctx.g1, b.rw.token);
      replay.send({
        type: "hello",
        protocolVersion: PROTOCOL_VERSION,
        userCursor,
        cursors: { [b.notJoined.id]: joinedAt, [elsewhere.id]: 0 },
      });
      const [synced] = await replay.waitFor((f) => f.type === "synced");
      expect(replay.of("user.event")).toMatchObject(expected);
      expect(replay.of("user.event")[0]?.payload).toMatchObject({ conversationId: b.notJoined.id });
      expect(seqsOf(replay, b.notJoined.id)).toEqual([joinedAt + 1]);
      expect(synced).toMatchObject({ notFound: [elsewhere.id], userSeq: userCursor + 3 });
    });

    it("refuses what its token does not allow, writing nothing; a write-only token sees nothing", async () => {
      const b = await makeBot();
      const rw = await bearer(ctx.g1, b.rw.token);
      const ro = await bearer(ctx.g2, b.ro.token);
      const wo = await bearer(ctx.g1, b.wo.token);
      const refusals: [TestClient, Record<string, unknown>, string][] = [
        [
          ro,
          { type: "send", conversationId: b.scoped.id, clientMsgId: randomUUID(), body: "ro" },
          "FORBIDDEN",
        ],
        [
          rw,
          { type: "send", conversationId: b.outside.id, clientMsgId: randomUUID(), body: "x" },
          "FORBIDDEN",
        ],
        [rw, { type: "send", conversationId: b.dm.id, clientMsgId: randomUUID(), body: "x" }, "FORBIDDEN"],
        [
          rw,
          { type: "send", conversationId: randomUUID(), clientMsgId: randomUUID(), body: "x" },
          "NOT_FOUND",
        ],
        [rw, { type: "markRead", conversationId: b.outside.id, seq: 1 }, "FORBIDDEN"],
        [wo, { type: "markRead", conversationId: b.scoped.id, seq: 1 }, "FORBIDDEN"],
        [rw, { type: "watchPresence", userIds: [ctx.owner.id] }, "FORBIDDEN"],
        [rw, { type: "setPresence", status: "away", statusText: "bot status" }, "FORBIDDEN"],
      ];
      await ctx.fanout.idle();
      const before = await tableDigests(ctx.db);
      for (const [k, [socket, command]] of refusals.entries()) socket.send({ ...command, id: `r${k}` });
      rw.send({ type: "typing", conversationId: b.outside.id });
      rw.send({ type: "delivered", id: "d", cursors: { [b.outside.id]: 1 } });
      for (const [k, [socket, , code]] of refusals.entries()) {
        const [answer] = await socket.waitFor((f) => "id" in f && f.id === `r${k}`);
        expect(answer, `refusal ${k}`).toMatchObject({ type: "error", code });
      }
      const [typingRefused] = await rw.waitFor((f) => f.type === "error" && !("id" in f && f.id));
      expect(typingRefused).toMatchObject({ code: ErrorCode.Forbidden });
      await rw.waitFor((f) => f.type === "ack" && f.id === "d");
      await settle();
      expect(await tableDigests(ctx.db)).toEqual(before);
      expect(await ctx.db.message.count({ where: { senderId: b.bot.id } })).toBe(0);

      // What the tokens do allow: rw sends to its channel, ro marks it read.
      rw.send({ type: "send", id: "ok", conversationId: b.scoped.id, clientMsgId: randomUUID(), body: "hi" });
      const [ack] = await rw.waitFor((f) => f.type === "ack" && f.id === "ok");
      expect(ack).toMatchObject({ seq: expect.any(Number) });
      ro.send({
        type: "markRead",
        id: "read",
        conversationId: b.scoped.id,
        seq: (ack as { seq: number }).seq,
      });
      await ro.waitFor((f) => f.type === "ack" && f.id === "read");
      // A write-only token's socket receives no events and replays none.
      wo.send({ type: "sync", id: "y", cursors: { [b.scoped.id]: 0 } });
      const [synced] = await wo.waitFor((f) => f.type === "synced");
      expect(synced).toMatchObject({ conversations: [], notFound: [b.scoped.id] });
      await settle();
      expect(wo.of("event")).toEqual([]);
      expect(ro.of("event").map((f) => f.seq)).toEqual([(ack as { seq: number }).seq]);
    });

    it("refuses a revoked token at upgrade and closes its open sockets (4401); a deactivated bot's with 4403", async () => {
      const b = await makeBot();
      const s1 = await bearer(ctx.g1, b.rw.token);
      const s2 = await bearer(ctx.g2, b.rw.token);
      const kept = await bearer(ctx.g2, b.ro.token);
      await revokeBotToken(ctx.db, owner(), { id: b.rw.id });
      expect(await s1.closed).toMatchObject({ code: CloseCode.Unauthorized });
      expect(await s2.closed).toMatchObject({ code: CloseCode.Unauthorized });
      expect(await upgradeStatus(ctx.g1.port, b.rw.token)).toBe(401);
      expect(await upgradeStatus(ctx.g2.port, b.rw.token)).toBe(401);
      expect(kept.ws.readyState).toBe(WebSocket.OPEN);

      await deactivateUser(ctx.db, owner(), { userId: b.bot.id });
      expect(await kept.closed).toMatchObject({ code: CloseCode.Forbidden });
      expect(await upgradeStatus(ctx.g1.port, b.ro.token)).toBe(401);
    });

    it("works with the client SDK unchanged: ordered, exactly once across a killed socket", async () => {
      const b = await makeBot();
      const sdk = new ParleyClient({
        url: `ws://127.0.0.1:${ctx.g2.port}/ws?token=${b.rw.token}`,
        WebSocket: KillableSocket as unknown as new (url: string) => TWebSocketLike,
        backoff: { baseMs: 50, maxMs: 200 },
      });
      ctx.sdks.push(sdk);
      const start = await lastSeq(b.scoped.id);
      sdk.track(b.scoped.id, start);
      sdk.track(b.outside.id, await lastSeq(b.outside.id));
      const received: TConversationEvent[] = [];
      const forbidden: string[] = [];
      sdk.on("forbidden", (id) => forbidden.push(id));
      sdk.on("event", (e) => {
        received.push(e);
        if (received.length === 10) sdkSockets.at(-1)?.terminate();
      });
      sdk.connect();
      await until(() => sdk.state === "open", 10_000);
      const mine = sdk.send(b.scoped.id, "from the bot");
      for (let i = 0; i < 40; i++) {
        await post(b.scoped.id, `m${i}`);
        if (i % 8 === 0) await post(b.outside.id, `o${i}`);
      }
      const { seq } = await mine.promise;
      const end = await lastSeq(b.scoped.id);
      await until(() => sdk.cursor(b.scoped.id) === end, 20_000);
      expect(received.map((e) => [e.conversationId, e.seq])).toEqual(
        range(start, end - start).map((s) => [b.scoped.id, s]),
      );
      expect(received.some((e) => e.seq === seq && e.actorId === b.bot.id)).toBe(true);
      // The out-of-scope channel is "not found" for this token: the SDK stops tracking it.
      expect(forbidden).toEqual([b.outside.id]);
      expect(sdk.cursor(b.outside.id)).toBeUndefined();
    });
  });
}
