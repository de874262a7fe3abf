import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { resolveSession, resolveSessions, revokeOtherSessions, SESSION_TTL_MS } from "../src/auth.ts";
import {
  listMembershipSummaries,
  listMembershipSummariesForUsers,
  loadConnectStates,
  loadSavedStatusTexts,
} from "../src/connect-state.ts";
import { createChannel, openDm } from "../src/conversations.ts";
import { MemoryEngine, MemoryHub } from "../src/engine/memory.ts";
import { RedisEngine } from "../src/engine/redis.ts";
import type { TEngine } from "../src/engine/types.ts";
import { bridgeRevocations, publishRevocation, REVOCATIONS_TOPIC } from "../src/revocation-bus.ts";
import {
  createRevocationRegistry,
  isRevokedSince,
  notifyCredentialRevoked,
  onCredentialRevoked,
  revocationMark,
  type TRevocation,
} from "../src/revocations.ts";
import {
  accessTokenHash,
  createAccessToken,
  resolveAccessToken,
  resolveAccessTokensByHash,
  revokeAccessToken,
} from "../src/tokens.ts";
import { deactivateUser, setStatus } from "../src/users.ts";
import { channelName, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();
const byId = (a: { conversationId: string }, b: { conversationId: string }) =>
  a.conversationId.localeCompare(b.conversationId);

describe("batched connect state", () => {
  it("loads many users' memberships in one call, the same as one call per user", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const carol = await newActor(t.db);
    const loner = await newActor(t.db);
    const ch = await createChannel(t.db, alice, {
      name: channelName(),
      memberIds: [bob.userId, carol.userId],
    });
    await createChannel(t.db, bob, { name: channelName(), memberIds: [carol.userId] });
    await openDm(t.db, alice, { userIds: [bob.userId] });
    await openDm(t.db, carol, { userIds: [carol.userId] });
    const users = [alice.userId, bob.userId, carol.userId, loner.userId];

    const batched = await listMembershipSummariesForUsers(t.db, [...users, alice.userId]);
    expect([...batched.keys()].sort()).toEqual([...users].sort());
    for (const userId of users) {
      const single = await listMembershipSummaries(t.db, userId);
      expect([...(batched.get(userId) ?? [])].sort(byId)).toEqual([...single].sort(byId));
    }
    expect(batched.get(loner.userId)).toEqual([]);
    expect(batched.get(alice.userId)).toContainEqual({ conversationId: ch.id, memberCount: 3 });
    expect(await listMembershipSummariesForUsers(t.db, [])).toEqual(new Map());
  });

  it("stops counting at countCap", async () => {
    const alice = await newActor(t.db);
    const others = await Promise.all([newActor(t.db), newActor(t.db), newActor(t.db)]);
    const big = await createChannel(t.db, alice, {
      name: channelName(),
      memberIds: others.map((o) => o.userId),
    });
    const small = await openDm(t.db, alice, { userIds: [others[0]!.userId] });
    const capped = await listMembershipSummariesForUsers(t.db, [alice.userId], { countCap: 3 });
    expect([...(capped.get(alice.userId) ?? [])].sort(byId)).toEqual(
      [
        { conversationId: big.id, memberCount: 3 },
        { conversationId: small.id, memberCount: 2 },
      ].sort(byId),
    );
  });

  it("loads memberships and saved status together, as the two separate loads do", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const loner = await newActor(t.db);
    await setStatus(t.db, bob, { emoji: "", text: "Heads down" });
    await createChannel(t.db, alice, { name: channelName(), memberIds: [bob.userId] });
    await openDm(t.db, alice, { userIds: [bob.userId] });
    const users = [alice.userId, bob.userId, loner.userId];
    const both = await loadConnectStates(t.db, [...users, randomUUID()], { countCap: 2 });
    const memberships = await listMembershipSummariesForUsers(t.db, users, { countCap: 2 });
    const texts = await loadSavedStatusTexts(t.db, users);
    expect([...both.keys()].sort()).toEqual([...users].sort());
    for (const userId of users) {
      expect([...(both.get(userId)?.memberships ?? [])].sort(byId)).toEqual(
        [...(memberships.get(userId) ?? [])].sort(byId),
      );
      expect(both.get(userId)?.savedStatusText).toBe(texts.get(userId));
    }
    expect(both.get(loner.userId)).toEqual({ memberships: [], savedStatusText: "" });
  });

  it("reads saved statuses for many users, unknown ids absent", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    await setStatus(t.db, alice, { emoji: ":palm_tree:", text: "On holiday" });
    const texts = await loadSavedStatusTexts(t.db, [alice.userId, bob.userId, randomUUID()]);
    expect(texts).toEqual(
      new Map([
        [alice.userId, ":palm_tree: On holiday"],
        [bob.userId, ""],
      ]),
    );
  });
});

describe("batched credential checks", () => {
  it("resolves many tokens by hash in one call; revoked and unknown ones are absent", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const a = await createAccessToken(t.db, alice, { name: "a" });
    const b = await createAccessToken(t.db, bob, { name: "b" });
    const gone = await createAccessToken(t.db, bob, { name: "gone" });
    const seen: TRevocation[] = [];
    const off = onCredentialRevoked((r) => seen.push(r));
    await revokeAccessToken(t.db, bob, { id: gone.id });
    off();
    expect(seen).toEqual([{ kind: "token", tokenId: gone.id }]);

    const hashes = [a.token, b.token, gone.token, "plt_unknown"].map(accessTokenHash);
    const resolved = await resolveAccessTokensByHash(t.db, hashes);
    expect(resolved).toEqual(
      new Map([
        [hashes[0], { userId: alice.userId, role: alice.role, tokenId: a.id, expiresAt: null }],
        [hashes[1], { userId: bob.userId, role: bob.role, tokenId: b.id, expiresAt: null }],
      ]),
    );
    expect(await resolveAccessToken(t.db, a.token)).toEqual({
      userId: alice.userId,
      role: alice.role,
      tokenId: a.id,
    });
    const row = await t.db.personalAccessToken.findUnique({ where: { id: a.id } });
    expect(row?.lastUsedAt).not.toBeNull();
  });

  it("resolves many sessions in one call; revoked, expired and deactivated ones are absent", async () => {
    const owner = await newActor(t.db, { role: "owner" });
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const mk = (userId: string, expiresAt = new Date(Date.now() + SESSION_TTL_MS)) =>
      t.db.authSession.create({ data: { userId, expiresAt }, select: { id: true, expiresAt: true } });
    const live = await mk(alice.userId);
    const expired = await mk(alice.userId, new Date(Date.now() - 1000));
    const bobs = await mk(bob.userId);
    const seen: TRevocation[] = [];
    const off = onCredentialRevoked((r) => seen.push(r));
    await deactivateUser(t.db, owner, { userId: bob.userId });
    off();
    expect(seen).toEqual([{ kind: "user", userId: bob.userId }]);

    const resolved = await resolveSessions(t.db, [live.id, expired.id, bobs.id, "not-a-uuid", randomUUID()]);
    expect(resolved).toEqual(
      new Map([[live.id, { userId: alice.userId, role: alice.role, expiresAt: live.expiresAt }]]),
    );
    expect(await resolveSession(t.db, live.id)).toEqual({ userId: alice.userId, role: alice.role });
    expect(await resolveSession(t.db, bobs.id)).toBeNull();
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("credential revocations", () => {
  it("remembers recent revocations, so a credential read before one can be checked against it", () => {
    const registry = createRevocationRegistry();
    const mark = revocationMark(registry);
    const bob = { userId: "bob", sessionId: "s-bob" };
    notifyCredentialRevoked({ kind: "sessions", userId: "bob", exceptSessionId: "s-bob" }, registry);
    expect(isRevokedSince(mark, bob, registry)).toBe(false);
    expect(isRevokedSince(mark, { userId: "bob", sessionId: "s-other" }, registry)).toBe(true);
    expect(isRevokedSince(mark, { userId: "bob", tokenId: "t" }, registry)).toBe(false);
    notifyCredentialRevoked({ kind: "user", userId: "bob" }, registry);
    expect(isRevokedSince(mark, bob, registry)).toBe(true);
    expect(isRevokedSince(revocationMark(registry), bob, registry)).toBe(false);
    for (let i = 0; i < 1024; i += 1) notifyCredentialRevoked({ kind: "token", tokenId: `t${i}` }, registry);
    expect(isRevokedSince(mark, { userId: "carol" }, registry)).toBe("unknown");
  });

  it("signing out other devices names the sessions, not the user's tokens or the current session", async () => {
    const alice = await newActor(t.db);
    const mk = () =>
      t.db.authSession.create({
        data: { userId: alice.userId, expiresAt: new Date(Date.now() + SESSION_TTL_MS) },
        select: { id: true },
      });
    const current = await mk();
    await mk();
    const seen: TRevocation[] = [];
    const off = onCredentialRevoked((r) => seen.push(r));
    await revokeOtherSessions(t.db, alice, { currentSessionId: current.id });
    off();
    expect(seen).toEqual([{ kind: "sessions", userId: alice.userId, exceptSessionId: current.id }]);
  });
});

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const memoryHub = new MemoryHub();
const quiet = { warn: () => {}, error: () => {} };

/** Two engines that see each other, like two processes on one Redis. */
function enginePair(mode: "memory" | "redis"): [TEngine, TEngine] {
  if (mode === "memory") return [new MemoryEngine({ hub: memoryHub }), new MemoryEngine({ hub: memoryHub })];
  const keyPrefix = `parley-test:${randomUUID()}:`;
  return [
    new RedisEngine({ url: redisUrl, keyPrefix, logger: quiet }),
    new RedisEngine({ url: redisUrl, keyPrefix, logger: quiet }),
  ];
}

describe.each(["memory", "redis"] as const)(
  "credential revocations between processes (%s engine)",
  (mode) => {
    it("a revoke committed here reaches another process's listeners once, and this process's once", async () => {
      // This process: core's own registry on engine A. "Another process": a registry of its own on
      // engine B (same hub / same Redis prefix). Only the engine connects them.
      const [engineA, engineB] = enginePair(mode);
      const elsewhere = createRevocationRegistry();
      const stopA = await bridgeRevocations(engineA, { logger: quiet });
      const stopB = await bridgeRevocations(engineB, { registry: elsewhere, logger: quiet });
      const here: TRevocation[] = [];
      const there: TRevocation[] = [];
      const offHere = onCredentialRevoked((r) => here.push(r));
      const offThere = onCredentialRevoked((r) => there.push(r), elsewhere);
      try {
        const alice = await newActor(t.db);
        const token = await createAccessToken(t.db, alice, { name: "bot" });
        await revokeAccessToken(t.db, alice, { id: token.id });
        const revoked: TRevocation = { kind: "token", tokenId: token.id };
        await until(() => there.length > 0);
        expect(there).toEqual([revoked]);

        // From the other process back to this one; its own notice does not come back to it.
        notifyCredentialRevoked({ kind: "user", userId: alice.userId }, elsewhere);
        await until(() => here.length > 1);
        // Malformed notices are ignored; the last publish proves the earlier ones were processed.
        await engineB.publishToTopic(REVOCATIONS_TOPIC, { frame: "not json" });
        await publishRevocation(engineB, "someone", { kind: "token" } as unknown as TRevocation);
        await publishRevocation(engineB, "someone", { kind: "session", sessionId: "s-last" });
        await until(() => here.length > 2 && there.length > 2);
        expect(here).toEqual([
          revoked,
          { kind: "user", userId: alice.userId },
          { kind: "session", sessionId: "s-last" },
        ]);
        expect(there).toEqual([
          revoked,
          { kind: "user", userId: alice.userId },
          { kind: "session", sessionId: "s-last" },
        ]);
      } finally {
        offHere();
        offThere();
        await stopA();
        await stopB();
        await engineA.close();
        await engineB.close();
      }
    });
  },
);
