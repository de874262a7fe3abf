/**
 * Joining over the real router and HTTP adapter, as the browser calls it: only admins set the
 * sign-up policy and see the invite list, anyone may read the public status and check an invite,
 * and a refused sign-up answers 403 with the reason and changes nothing.
 */
import { parseEnv } from "@parley/config";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../src/trpc.ts";
import { trpcOverHttp } from "./helpers.ts";

let t: TTestDb;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
});
const password = "violet harbor lantern 42";

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "Joining" });
});
afterAll(async () => {
  await t?.drop();
});

async function sessionFor(role: "admin" | "member") {
  const user = await seedUser(t.db, { role });
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  return { user, sessionId: session.id };
}

type Answer = {
  status: number;
  data: unknown;
  error: { message: string; data: { code: string; fieldErrors?: Record<string, string[]> } } | null;
};

/** One tRPC call over HTTP (a query when `query`), signed in as `sessionId` or nobody. */
async function call(procedure: string, input: unknown, sessionId?: string, query = false): Promise<Answer> {
  const res = await trpcOverHttp(procedure, input, {
    isQuery: query,
    context: () =>
      createContext({ db: t.db, env, clientAddress: "192.0.2.7", ...(sessionId ? { sessionId } : {}) }),
  });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { json: Answer["error"] } };
  const data = body.result
    ? superjson.deserialize(body.result.data as Parameters<typeof superjson.deserialize>[0])
    : null;
  return { status: res.status, data, error: body.error?.json ?? null };
}

describe("joining over HTTP", () => {
  it("lets only admins set the sign-up policy; the status is public", async () => {
    const admin = await sessionFor("admin");
    const member = await sessionFor("member");
    const policy = { mode: "domains", domains: ["example.com"] };
    expect((await call("workspace.setSignupPolicy", policy)).status).toBe(401);
    expect((await call("workspace.setSignupPolicy", policy, member.sessionId)).status).toBe(403);
    const bad = await call(
      "workspace.setSignupPolicy",
      { mode: "domains", domains: ["example .com"] },
      admin.sessionId,
    );
    expect(bad.status).toBe(400);
    expect(bad.error?.data.fieldErrors?.["domains.0"]?.[0]).toMatch(/domain/);
    expect(await call("workspace.status", undefined, undefined, true)).toMatchObject({
      data: { signupMode: "invite_only", signupDomains: [] },
    });

    expect((await call("workspace.setSignupPolicy", policy, admin.sessionId)).status).toBe(200);
    expect(await call("workspace.status", undefined, undefined, true)).toMatchObject({
      data: { signupMode: "domains", signupDomains: ["example.com"], allowOpenSignup: false },
    });
    expect(await call("workspace.signupPolicy", undefined, admin.sessionId, true)).toMatchObject({
      data: { mode: "domains", domains: ["example.com"] },
    });
  });

  it("refuses lookalike domains and revoked invites with the reason; lists who made and used invites", async () => {
    const admin = await sessionFor("admin");
    const member = await sessionFor("member");
    await call("workspace.setSignupPolicy", { mode: "domains", domains: ["example.com"] }, admin.sessionId);
    const users = await t.db.user.count();
    const lookalike = await call("auth.signUp", { name: "Eve", email: "eve@example.com.evil.org", password });
    expect(lookalike).toMatchObject({
      status: 403,
      error: { message: expect.stringMatching(/example\.com/) },
    });
    expect(await t.db.user.count()).toBe(users);
    expect((await call("auth.signUp", { name: "Ann", email: "ann@Example.com", password })).status).toBe(200);

    // A member's invite: they may make it; only admins list; the public check tells its state.
    const made = await call("invites.create", { maxUses: 2 }, member.sessionId);
    const invite = made.data as { id: string; token: string; url: string };
    expect(invite.url).toBe(`https://chat.example.test/sign-up?invite=${invite.token}`);
    expect((await call("invites.create", { email: "x@partner.test" }, member.sessionId)).status).toBe(403);
    expect(
      (
        await call("auth.signUp", {
          name: "Pat",
          email: "pat@partner.test",
          password,
          inviteToken: invite.token,
        })
      ).status,
    ).toBe(200);
    expect((await call("invites.list", undefined, member.sessionId, true)).status).toBe(403);
    const listed = (await call("invites.list", undefined, admin.sessionId, true)).data as {
      canEmail: boolean;
      invites: {
        id: string;
        createdBy: { id: string };
        uses: number;
        redemptions: { user: { email: string } }[];
      }[];
    };
    expect(listed.canEmail).toBe(false);
    expect(listed.invites.find((i) => i.id === invite.id)).toMatchObject({
      createdBy: { id: member.user.id },
      uses: 1,
      redemptions: [{ user: { email: "pat@partner.test" } }],
    });

    expect((await call("invites.revoke", { id: invite.id }, admin.sessionId)).status).toBe(200);
    expect(await call("invites.check", { token: invite.token }, undefined, true)).toMatchObject({
      data: { state: "revoked" },
    });
    const revoked = await call("auth.signUp", {
      name: "Sol",
      email: "sol@partner.test",
      password,
      inviteToken: invite.token,
    });
    expect(revoked).toMatchObject({ status: 403, error: { message: expect.stringMatching(/revoked/) } });
    expect(await t.db.user.count({ where: { email: "sol@partner.test" } })).toBe(0);
    expect(await t.db.auditEntry.count({ where: { action: "invite.revoked", targetId: invite.id } })).toBe(1);
  });
});
