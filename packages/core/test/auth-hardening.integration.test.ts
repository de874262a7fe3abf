/**
 * Issue 9, defects 1, 7 and 8: sign-in brute force, spoofed client addresses, weak passwords.
 * Real Postgres (audit log, users) and real Redis (the shared limiter store).
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseEnv } from "@parley/config";
import { createTestDb } from "@parley/db/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEntries } from "../src/audit/list.ts";
import { signUp, verifyCredentials } from "../src/auth.ts";
import { clientAddress, compileTrust } from "../src/client-address.ts";
import { AuthRateLimiter, RateLimitedError, type TAuthLimits } from "../src/rate-limits.ts";
import { setupWorkspace } from "../src/workspace.ts";
import { expectParley, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb({ allowOpenSignup: true });

const limits: TAuthLimits = {
  signInAccountFailures: 10,
  signInAccountMinutes: 15,
  signInIpFailures: 100,
  signInIpMinutes: 60,
  signUpPerHour: 20,
  tokenCreatePerHour: 20,
};

/** One sign-in as the web app does it: count first (may throw), check, reset on success. */
async function attempt(
  limiter: AuthRateLimiter,
  db: typeof t.db,
  email: string,
  password: string,
  ip: string,
): Promise<"ok" | "wrong" | RateLimitedError> {
  try {
    await limiter.beginSignIn(db, { email, ip });
  } catch (err) {
    if (err instanceof RateLimitedError) return err;
    throw err;
  }
  const result = await verifyCredentials(db, { email, password, ip });
  if (!result) return "wrong";
  await limiter.signInSucceeded({ email, ip });
  return "ok";
}

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
let redis: Redis;
beforeAll(() => {
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  const keys = await redis.keys("parley-test-rl-*");
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const stores = [
  ["memory", () => new AuthRateLimiter({ limits, keyPrefix: `mem-${randomUUID()}:` })],
  ["redis", () => new AuthRateLimiter({ limits, redis, keyPrefix: `parley-test-rl-${randomUUID()}:` })],
] as const;

describe.each(stores)("sign-in brute force (%s store)", (_store, makeLimiter) => {
  it("locks an account after 10 failures: the 11th attempt, even with the right password, is refused with a wait, and the lockout is audit-logged", async () => {
    const limiter = makeLimiter();
    const user = await newActor(t.db);
    for (let i = 0; i < 10; i++) {
      expect(await attempt(limiter, t.db, user.email, `wrong-${i}`, "198.51.100.1")).toBe("wrong");
    }
    const locked = await attempt(limiter, t.db, user.email, user.password, "198.51.100.1");
    expect(locked).toBeInstanceOf(RateLimitedError);
    const err = locked as RateLimitedError;
    expect(err.code).toBe("TOO_MANY_REQUESTS");
    expect(err.retryAfterSeconds).toBeGreaterThan(14 * 60);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    expect(err.message).toBe("Too many attempts, try again in 15 minutes");
    // From another address too: the account itself is locked.
    expect(await attempt(limiter, t.db, user.email, user.password, "198.51.100.2")).toBeInstanceOf(
      RateLimitedError,
    );
    // Someone else's account is not affected.
    const other = await newActor(t.db);
    expect(await attempt(limiter, t.db, other.email, other.password, "198.51.100.1")).toBe("ok");

    const admin = await newActor(t.db, { role: "admin" });
    const { entries } = await listAuditEntries(t.db, admin, { action: "auth.lockout" });
    const mine = entries.filter((e) => e.actorLabel === user.email.toLowerCase());
    expect(mine).toHaveLength(1); // once per lockout, not once per refused attempt
    expect(mine[0]).toMatchObject({
      action: "auth.lockout",
      targetType: "account",
      targetId: user.userId,
      ip: "198.51.100.1",
      details: { scope: "signin-account", lockedMinutes: 15 },
    });
    await expectParley(listAuditEntries(t.db, other, {}), "FORBIDDEN");
  });

  it("a successful sign-in resets the account's failure count", async () => {
    const limiter = makeLimiter();
    const user = await newActor(t.db);
    for (let i = 0; i < 9; i++) await attempt(limiter, t.db, user.email, "nope-nope", "198.51.100.3");
    expect(await attempt(limiter, t.db, user.email, user.password, "198.51.100.3")).toBe("ok");
    for (let i = 0; i < 10; i++) {
      expect(await attempt(limiter, t.db, user.email, "nope-nope", "198.51.100.3")).toBe("wrong");
    }
    expect(await attempt(limiter, t.db, user.email, user.password, "198.51.100.3")).toBeInstanceOf(
      RateLimitedError,
    );
  });

  it("parallel guesses cannot outrun the count: at most 10 of 30 concurrent attempts get a password check", async () => {
    const limiter = makeLimiter();
    const user = await newActor(t.db);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => attempt(limiter, t.db, user.email, `guess-${i}`, "198.51.100.4")),
    );
    expect(results.filter((r) => r === "wrong")).toHaveLength(10);
    expect(results.filter((r) => r instanceof RateLimitedError)).toHaveLength(20);
  });

  it("limits failures per client address across accounts", async () => {
    const limiter = new AuthRateLimiter({
      ...(_store === "redis" ? { redis } : {}),
      limits: { ...limits, signInIpFailures: 5 },
      keyPrefix: `parley-test-rl-${randomUUID()}:`,
    });
    const ip = "203.0.113.50";
    for (let i = 0; i < 5; i++) {
      expect(await attempt(limiter, t.db, `nobody-${i}@example.test`, "whatever-1", ip)).toBe("wrong");
    }
    const victim = await newActor(t.db);
    const refused = await attempt(limiter, t.db, victim.email, victim.password, ip);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).message).toBe("Too many attempts, try again in 60 minutes");
    // Another address is fine, and the victim's account was never touched.
    expect(await attempt(limiter, t.db, victim.email, victim.password, "203.0.113.51")).toBe("ok");
    const admin = await newActor(t.db, { role: "admin" });
    const { entries } = await listAuditEntries(t.db, admin, { action: "auth.lockout" });
    expect(entries.find((e) => e.targetType === "address" && e.ip === ip)).toMatchObject({
      targetId: ip,
      details: { scope: "signin-ip", lockedMinutes: 60 },
    });
  });
});

describe("sign-up and token budgets", () => {
  it("counts sign-ups per client address and token creations per user", async () => {
    const limiter = new AuthRateLimiter({ limits: { ...limits, signUpPerHour: 2, tokenCreatePerHour: 1 } });
    await limiter.beginSignUp({ ip: "192.0.2.1" });
    await limiter.beginSignUp({ ip: "192.0.2.1" });
    await expect(limiter.beginSignUp({ ip: "192.0.2.1" })).rejects.toBeInstanceOf(RateLimitedError);
    await limiter.beginSignUp({ ip: "192.0.2.2" });
    await limiter.beginTokenCreate({ userId: "u1" });
    await expect(limiter.beginTokenCreate({ userId: "u1" })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
    });
    await limiter.beginTokenCreate({ userId: "u2" });
  });
});

describe("weak passwords", () => {
  it('refuses "password" (and other guessable ones) at sign-up with zxcvbn\'s reason; a strong one works', async () => {
    for (const weak of ["password", "password1234", "qwertyuiop", "iloveyou123"]) {
      const err = await expectParley(
        signUp(t.db, { name: "Weak", email: `weak-${randomUUID()}@example.test`, password: weak }),
        "BAD_REQUEST",
      );
      expect(err.message).toMatch(/^Invalid input: password: password is too easy to guess/);
    }
    const err = await expectParley(
      signUp(t.db, { name: "Weak", email: `weak-${randomUUID()}@example.test`, password: "password" }),
      "BAD_REQUEST",
    );
    expect(err.message).toContain("heavily used password");
    await signUp(t.db, {
      name: "Strong",
      email: `strong-${randomUUID()}@example.test`,
      password: "violet harbor lantern 42",
    });
  });

  it("refuses a weak password at first-run setup too", async () => {
    const { db, drop } = await createTestDb();
    try {
      await expectParley(
        setupWorkspace(db, {
          workspaceName: "W",
          name: "Owner",
          email: "o@example.test",
          password: "password",
        }),
        "BAD_REQUEST",
      );
      expect(await db.workspace.count()).toBe(0);
      await setupWorkspace(db, {
        workspaceName: "W",
        name: "Owner",
        email: "o@example.test",
        password: "violet harbor lantern 42",
      });
    } finally {
      await drop();
    }
  });
});

describe("client address (TRUST_PROXY)", () => {
  let server: Server;
  let base: string;
  let trust = compileTrust(false);
  beforeAll(async () => {
    server = createServer((req, res) => res.end(clientAddress(req, trust) ?? "none"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const ask = async (xff?: string) =>
    (await fetch(base, { headers: xff ? { "x-forwarded-for": xff } : {} })).text();

  it("ignores X-Forwarded-For on a direct connection (TRUST_PROXY unset)", async () => {
    trust = compileTrust(
      parseEnv({ DATABASE_URL: "postgresql://x@h/d", AUTH_SECRET: "s".repeat(32) }).TRUST_PROXY,
    );
    expect(await ask()).toBe("127.0.0.1");
    expect(await ask("203.0.113.9")).toBe("127.0.0.1");
  });

  it("honours X-Forwarded-For from a trusted proxy, walking past trusted hops only", async () => {
    const env = (TRUST_PROXY: string) =>
      parseEnv({ DATABASE_URL: "postgresql://x@h/d", AUTH_SECRET: "s".repeat(32), TRUST_PROXY }).TRUST_PROXY;
    trust = compileTrust(env("loopback"));
    expect(await ask("203.0.113.9")).toBe("203.0.113.9");
    // The client could have prepended anything: only the hop the trusted proxy saw counts.
    expect(await ask("6.6.6.6, 203.0.113.9")).toBe("203.0.113.9");
    trust = compileTrust(env("loopback, 10.0.0.0/8"));
    expect(await ask("6.6.6.6, 203.0.113.9, 10.1.2.3")).toBe("203.0.113.9");
    trust = compileTrust(env("192.0.2.0/24")); // a proxy elsewhere: our peer is not it
    expect(await ask("203.0.113.9")).toBe("127.0.0.1");
    trust = compileTrust(env("true"));
    expect(await ask("203.0.113.9, 10.1.2.3")).toBe("203.0.113.9");
    expect(() => env("not-an-address")).toThrow(/TRUST_PROXY/);
  });
});
