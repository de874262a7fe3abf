import type { IncomingMessage } from "node:http";
import { mintTicket } from "@parley/core/tickets";
import { createAccessToken, revokeAccessToken } from "@parley/core/tokens";
import { deactivateUser } from "@parley/core/users";
import type { Db } from "@parley/db";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAuthenticator, DEFAULT_AUTH_CACHE_TTL_MS } from "./auth.ts";

const SECRET = "integration-test-secret-at-least-32-characters";
let testDb: TTestDb;
let db: Db;

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

  it("a PAT revoked elsewhere (another process) works from the cache until the TTL passes, then not", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const authenticate = createAuthenticator({ db, secret: SECRET });
    const { user, token, tokenId } = await userWithToken();
    expect(await authenticate(bearer(token))).toMatchObject({ tokenId });
    // What another process's revoke looks like from here: the row changes, no notice arrives.
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
