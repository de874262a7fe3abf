import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  bridgeRevocations,
  createAccessToken,
  createRevocationRegistry,
  deactivateUser,
  MemoryEngine,
  MemoryHub,
  mintTicket,
  RedisEngine,
  revokeAccessToken,
  revokeOtherSessions,
  revokeSession,
  type TEngine,
  type TRevocationRegistry,
  type TUnsubscribe,
} from "@parley/core";
import type { TDb } from "@parley/db";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { CloseCode } from "@parley/protocol";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { createAuthenticator, DEFAULT_AUTH_CACHE_TTL_MS, type TAuthenticator } from "./auth.ts";
import { createGateway, type TGateway } from "./gateway.ts";
import { settle, TestClient } from "./test-helpers.ts";

const SECRET = "integration-test-secret-at-least-32-characters";
let testDb: TTestDb;
let db: TDb;

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
  await seedWorkspace(db);
});
afterAll(async () => {
  await testDb?.drop();
});
afterEach(() => {
  vi.useRealTimers();
});

const bearer = (token: string) =>
  ({ url: "/ws", headers: { authorization: `Bearer ${token}` } }) as IncomingMessage;
const ticket = (t: string) => ({ url: `/ws?ticket=${t}`, headers: {} }) as IncomingMessage;

async function userWithToken(role: "member" | "owner" = "member") {
  const user = await seedUser(db, { role });
  const actor = { userId: user.id, role: user.role };
  const { token, id } = await createAccessToken(db, actor, { name: "t" });
  return { user, actor, token, tokenId: id };
}

describe("createAuthenticator: batching and the verified-credential cache", () => {
  it("answers concurrent upgrades with different tokens, each with its own user", async () => {
    const authenticate = createAuthenticator({ db, secret: SECRET });
    const users = await Promise.all([userWithToken(), userWithToken(), userWithToken()]);
    const actors = await Promise.all([
      ...users.map((u) => authenticate(bearer(u.token))),
      authenticate(bearer("plt_nope")),
    ]);
    expect(actors).toEqual([
      ...users.map((u) => ({ userId: u.user.id, role: u.user.role, tokenId: u.tokenId })),
      null,
    ]);
    authenticate.close();
  });

  it("a PAT revoked in this process stops working at once", async () => {
    const authenticate = createAuthenticator({ db, secret: SECRET });
    const { actor, token, tokenId } = await userWithToken();
    expect(await authenticate(bearer(token))).toMatchObject({ tokenId });
    await revokeAccessToken(db, actor, { id: tokenId });
    expect(await authenticate(bearer(token))).toBeNull();
    authenticate.close();
  });

  it("a PAT revoked without a notice (one lost on the bus) works from the cache until the TTL passes, then not", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const authenticate = createAuthenticator({ db, secret: SECRET });
    const { user, token, tokenId } = await userWithToken();
    expect(await authenticate(bearer(token))).toMatchObject({ tokenId });
    // The row changes and no notice arrives (a process cut off from Redis when it was published).
    await db.personalAccessToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
    expect(await authenticate(bearer(token))).toEqual({ userId: user.id, role: user.role, tokenId });
    vi.setSystemTime(Date.now() + DEFAULT_AUTH_CACHE_TTL_MS + 1);
    expect(await authenticate(bearer(token))).toBeNull();
    authenticate.close();
  });

  it("cacheTtlMs 0 checks the database on every upgrade", async () => {
    const authenticate = createAuthenticator({ db, secret: SECRET, cacheTtlMs: 0 });
    const { token, tokenId } = await userWithToken();
    expect(await authenticate(bearer(token))).toMatchObject({ tokenId });
    await db.personalAccessToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
    expect(await authenticate(bearer(token))).toBeNull();
    authenticate.close();
  });

  it("deactivating a user in this process evicts their cached tokens and sessions", async () => {
    const authenticate = createAuthenticator({ db, secret: SECRET });
    const owner = await seedUser(db, { role: "owner" });
    const { user, token } = await userWithToken();
    const session = await db.authSession.create({
      data: { userId: user.id, expiresAt: new Date(Date.now() + 3_600_000) },
      select: { id: true },
    });
    const t = await mintTicket(SECRET, { userId: user.id, sessionId: session.id });
    expect(await authenticate(bearer(token))).not.toBeNull();
    expect(await authenticate(ticket(t))).toEqual({
      userId: user.id,
      role: user.role,
      sessionId: session.id,
    });
    await deactivateUser(db, { userId: owner.id, role: owner.role }, { userId: user.id });
    expect(await authenticate(bearer(token))).toBeNull();
    expect(await authenticate(ticket(t))).toBeNull();
    authenticate.close();
  });

  it("a cached session still checks that the ticket names the session's user", async () => {
    const authenticate = createAuthenticator({ db, secret: SECRET });
    const a = await seedUser(db);
    const b = await seedUser(db);
    const session = await db.authSession.create({
      data: { userId: a.id, expiresAt: new Date(Date.now() + 3_600_000) },
      select: { id: true },
    });
    expect(
      await authenticate(ticket(await mintTicket(SECRET, { userId: a.id, sessionId: session.id }))),
    ).not.toBeNull();
    expect(
      await authenticate(ticket(await mintTicket(SECRET, { userId: b.id, sessionId: session.id }))),
    ).toBeNull();
    authenticate.close();
  });
});

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const quiet = { warn: () => {}, error: () => {} };
const memoryHub = new MemoryHub();

/** Two engines that see each other, like two processes on one Redis. */
function enginePair(mode: "memory" | "redis"): [TEngine, TEngine] {
  if (mode === "memory") return [new MemoryEngine({ hub: memoryHub }), new MemoryEngine({ hub: memoryHub })];
  const keyPrefix = `parley-test:${randomUUID()}:`;
  return [
    new RedisEngine({ url: redisUrl, keyPrefix, logger: quiet }),
    new RedisEngine({ url: redisUrl, keyPrefix, logger: quiet }),
  ];
}

const isOpen = (c: TestClient) => c.ws.readyState === WebSocket.OPEN;

describe.each(["memory", "redis"] as const)(
  "revocations committed by another process (%s engine)",
  (mode) => {
    // Process A is this test process's own core (its services notify core's registry), bridged on
    // engine A. Process B is a gateway whose authenticator and sockets hear revocations only through
    // a registry of its own, bridged on engine B: nothing reaches it but the engine.
    let engines: [TEngine, TEngine];
    let stops: TUnsubscribe[];
    let registryB: TRevocationRegistry;
    let authenticateB: TAuthenticator;
    let gatewayB: TGateway;
    const clients: TestClient[] = [];
    const gateways: TGateway[] = [];

    beforeAll(async () => {
      engines = enginePair(mode);
      registryB = createRevocationRegistry();
      stops = [
        await bridgeRevocations(engines[0], { logger: quiet }),
        await bridgeRevocations(engines[1], { registry: registryB, logger: quiet }),
      ];
      // A long TTL: only the notice can make a cached credential go away during the test.
      authenticateB = createAuthenticator({ db, secret: SECRET, cacheTtlMs: 60_000, revocations: registryB });
      gatewayB = await startGateway(authenticateB);
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(gateways.map((g) => g.close()));
      authenticateB?.close();
      for (const stop of stops ?? []) await stop();
      for (const engine of engines ?? []) await engine.close();
    });

    async function startGateway(authenticate: TGatewayAuthenticate): Promise<TGateway> {
      const g = await createGateway({
        port: 0,
        host: "127.0.0.1",
        authenticate,
        revocations: registryB,
        logger: pino({ level: "silent" }),
      });
      gateways.push(g);
      return g;
    }
    async function newSession(userId: string) {
      const { id } = await db.authSession.create({
        data: { userId, expiresAt: new Date(Date.now() + 3_600_000) },
        select: { id: true },
      });
      return { id, ticket: await mintTicket(SECRET, { userId, sessionId: id }) };
    }
    async function viaTicket(ticket: string): Promise<TestClient> {
      const c = await TestClient.connect(gatewayB.port, ticket);
      clients.push(c);
      return c;
    }
    async function viaToken(token: string): Promise<TestClient> {
      const c = await TestClient.connectWithToken(gatewayB.port, token);
      clients.push(c);
      return c;
    }

    it("a token revoked there is dropped from the cache here and its sockets close with 4401; others stay open", async () => {
      const alice = await userWithToken();
      const second = await createAccessToken(db, alice.actor, { name: "second" });
      const bob = await userWithToken();
      const revoked = await viaToken(alice.token);
      const sameUserOtherToken = await viaToken(second.token);
      const sameUserSession = await viaTicket((await newSession(alice.user.id)).ticket);
      const otherUser = await viaToken(bob.token);
      // Cached by the upgrade above (TTL 60 s): only an eviction makes it check the database again.
      expect(await authenticateB(bearer(alice.token))).toMatchObject({ tokenId: alice.tokenId });

      await revokeAccessToken(db, alice.actor, { id: alice.tokenId });

      expect(await revoked.closed).toMatchObject({ code: CloseCode.Unauthorized });
      expect(await authenticateB(bearer(alice.token))).toBeNull();
      await settle(200);
      expect([sameUserOtherToken, sameUserSession, otherUser].map(isOpen)).toEqual([true, true, true]);
      expect(await authenticateB(bearer(second.token))).toMatchObject({ tokenId: second.id });
    });

    it("a revoked session's sockets close; signing out other devices spares the current session and tokens", async () => {
      const alice = await userWithToken();
      const [current, other, third] = await Promise.all([1, 2, 3].map(() => newSession(alice.user.id)));
      const onCurrent = await viaTicket(current!.ticket);
      const onOther = await viaTicket(other!.ticket);
      const onThird = await viaTicket(third!.ticket);
      const onToken = await viaToken(alice.token);

      await revokeSession(db, alice.actor, { id: third!.id });
      expect(await onThird.closed).toMatchObject({ code: CloseCode.Unauthorized });
      expect(await authenticateB(ticket(third!.ticket))).toBeNull();

      await revokeOtherSessions(db, alice.actor, { currentSessionId: current!.id });
      expect(await onOther.closed).toMatchObject({ code: CloseCode.Unauthorized });
      expect(await authenticateB(ticket(other!.ticket))).toBeNull();
      await settle(200);
      expect([onCurrent, onToken].map(isOpen)).toEqual([true, true]);
    });

    it("deactivating a user closes every socket of theirs with 4403; other users keep theirs", async () => {
      const owner = await seedUser(db, { role: "owner" });
      const alice = await userWithToken();
      const bob = await userWithToken();
      const session = await newSession(alice.user.id);
      const viaItsToken = await viaToken(alice.token);
      const viaItsSession = await viaTicket(session.ticket);
      const bystander = await viaTicket((await newSession(bob.user.id)).ticket);

      await deactivateUser(db, { userId: owner.id, role: owner.role }, { userId: alice.user.id });

      expect(await viaItsToken.closed).toMatchObject({ code: CloseCode.Forbidden });
      expect(await viaItsSession.closed).toMatchObject({ code: CloseCode.Forbidden });
      expect(await authenticateB(bearer(alice.token))).toBeNull();
      expect(await authenticateB(ticket(session.ticket))).toBeNull();
      await settle(200);
      expect(isOpen(bystander)).toBe(true);
    });

    it("refuses an upgrade whose credential was revoked while it was being checked", async () => {
      const alice = await userWithToken();
      const bob = await userWithToken();
      // A slow upgrade: the database answered before the revoke, the answer arrives after it.
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let checked = 0;
      const slow = await startGateway(async (req) => {
        const actor = await authenticateB(req);
        checked += 1;
        await released;
        return actor;
      });
      const upgrade = (token: string) =>
        new Promise<number>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${slow.port}/ws?token=${token}`);
          ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
          ws.on("open", () => {
            resolve(101);
            ws.close();
          });
          ws.on("error", reject);
        });
      const revokedUpgrade = upgrade(alice.token);
      const unrelatedUpgrade = upgrade(bob.token);
      await vi.waitFor(() => expect(checked).toBe(2));
      const heard = registryB.count;
      await revokeAccessToken(db, alice.actor, { id: alice.tokenId });
      await vi.waitFor(() => expect(registryB.count).toBeGreaterThan(heard));
      release();
      expect(await revokedUpgrade).toBe(401);
      expect(await unrelatedUpgrade).toBe(101);
    });
  },
);

type TGatewayAuthenticate = Parameters<typeof createGateway>[0]["authenticate"];
