import { parseEnv } from "@parley/config";
import { AuthRateLimiter, verifyCredentials } from "@parley/core";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";

let t: TTestDb;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
  RATE_LIMIT_SIGNUP_PER_HOUR: "4",
  RATE_LIMIT_TOKEN_CREATE_PER_HOUR: "2",
});
const password = "violet harbor lantern 42";

beforeAll(async () => {
  t = await createTestDb({ poolSize: 5 });
});
afterAll(async () => {
  await t?.drop();
});

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (err) {
    if (err instanceof TRPCError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

describe("auth budgets over tRPC", () => {
  it("sign-ups (open or by invite) are counted per client address; token creation per user", async () => {
    const rateLimiter = new AuthRateLimiter({
      limits: {
        signInAccountFailures: 10,
        signInAccountMinutes: 15,
        signInIpFailures: 100,
        signInIpMinutes: 60,
        signUpPerHour: env.RATE_LIMIT_SIGNUP_PER_HOUR,
        tokenCreatePerHour: env.RATE_LIMIT_TOKEN_CREATE_PER_HOUR,
        profileChangesPerHour: 2,
      },
    });
    const from = async (clientAddress: string) =>
      createCaller(await createContext({ db: t.db, env, rateLimiter, clientAddress }));
    const a = await from("192.0.2.10");
    await a.workspace.setup({ workspaceName: "Acme", name: "Ada", email: "ada@acme.test", password });
    const owner = await verifyCredentials(t.db, { email: "ada@acme.test", password });
    const ownerCaller = createCaller(
      await createContext({ db: t.db, env, rateLimiter, sessionId: owner?.sessionId }),
    );
    const invite = await ownerCaller.auth.createInvite({ maxUses: 10 });

    // A weak password is refused before anything is written, with zxcvbn's reason; like a
    // malformed request, it costs budget (counted before the input is parsed: parsing scores the
    // password, which is the server's CPU).
    expect(await code(a.auth.signUp({ name: "V", email: "not an address", password: "" }))).toMatch(
      /^BAD_REQUEST/,
    );
    expect(
      await code(
        a.auth.signUp({ name: "W", email: "w@acme.test", password: "password", inviteToken: invite.token }),
      ),
    ).toMatch(/^BAD_REQUEST: [\s\S]*password is too easy to guess/);
    // Wrong invite tokens cost budget too, so invites cannot be guessed in bulk.
    expect(
      await code(a.auth.signUp({ name: "X", email: "x@acme.test", password, inviteToken: "pli_guess" })),
    ).toMatch(/^FORBIDDEN/);
    expect(
      await code(a.auth.signUp({ name: "Y", email: "y@acme.test", password, inviteToken: invite.token })),
    ).toBe("ok");
    expect(
      await code(a.auth.signUp({ name: "Z", email: "z@acme.test", password, inviteToken: invite.token })),
    ).toBe("TOO_MANY_REQUESTS: Too many attempts, try again in 60 minutes");
    expect(await t.db.user.count({ where: { email: "z@acme.test" } })).toBe(0);
    // Another address has its own budget.
    expect(
      await code(
        (await from("192.0.2.11")).auth.signUp({
          name: "Z",
          email: "z@acme.test",
          password,
          inviteToken: invite.token,
        }),
      ),
    ).toBe("ok");

    expect(await code(ownerCaller.tokens.create({ name: "one" }))).toBe("ok");
    expect(await code(ownerCaller.tokens.create({ name: "two" }))).toBe("ok");
    expect(await code(ownerCaller.tokens.create({ name: "three" }))).toMatch(
      /^TOO_MANY_REQUESTS: Too many attempts/,
    );
    expect(await ownerCaller.tokens.list()).toHaveLength(2);

    // Profile changes (each one an event in every conversation of the person): per user too.
    expect(await code(ownerCaller.profile.update({ title: "CEO" }))).toBe("ok");
    expect(await code(ownerCaller.profile.update({ pronouns: "she/her" }))).toBe("ok");
    expect(await code(ownerCaller.profile.update({ title: "Boss" }))).toMatch(/^TOO_MANY_REQUESTS/);
    expect(await code(ownerCaller.profile.removeAvatar({}))).toMatch(/^TOO_MANY_REQUESTS/);
    // Completing an upload counts too (its URL can be PUT to again while it lives), refused
    // before anything is read from storage.
    expect(await code(ownerCaller.profile.completeAvatarUpload({}))).toMatch(/^TOO_MANY_REQUESTS/);
    expect((await ownerCaller.profile.get()).title).toBe("CEO");
  });
});
