/**
 * Settings → People through tRPC (real Postgres): the people list pages and filters on the server,
 * roles change with an audit entry, a demoted admin is refused admin procedures on their very next
 * request (the role is read from the database per request, never from the session's JWT), guests
 * are held to their channels, and a reset link is spent by `auth.resetPassword`.
 */
import { randomUUID } from "node:crypto";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode, testEnv } from "./helpers.ts";

let t: TTestDb;
const env = testEnv();
beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "People" });
});
afterAll(async () => {
  await t?.drop();
});

/** A signed-in person; `caller()` builds a fresh request context each time, as every HTTP request does. */
async function signedIn(role: "owner" | "admin" | "member" | "guest" = "member", name?: string) {
  const user = await seedUser(t.db, { role, ...(name ? { name } : {}) });
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  const caller = async () => createCaller(await createContext({ db: t.db, sessionId: session.id, env }));
  return { user, caller };
}

describe("people admin", () => {
  it("pages, searches and filters people on the server", async () => {
    const admin = await signedIn("admin");
    const tag = randomUUID().slice(0, 8);
    const made = await Promise.all(
      ["Ann", "Bea", "Cid", "Dot", "Eve"].map((n) => signedIn("member", `${n} ${tag}`)),
    );
    await (await admin.caller()).users.setRole({ userId: made[1]!.user.id, role: "guest" });
    await (await admin.caller()).users.deactivate({ userId: made[2]!.user.id });

    const api = await admin.caller();
    const first = await api.users.people({ query: tag, limit: 2 });
    expect(first.people.map((p) => p.name)).toEqual([`Ann ${tag}`, `Bea ${tag}`]);
    const second = await api.users.people({ query: tag, limit: 2, cursor: first.nextCursor! });
    const third = await api.users.people({ query: tag, limit: 2, cursor: second.nextCursor! });
    expect([...second.people, ...third.people].map((p) => p.name)).toEqual(
      ["Cid", "Dot", "Eve"].map((n) => `${n} ${tag}`),
    );
    expect(third.nextCursor).toBeNull();
    // By e-mail, any case; by role; by status.
    const byEmail = await api.users.people({ query: made[3]!.user.email.toUpperCase() });
    expect(byEmail.people.map((p) => p.id)).toEqual([made[3]!.user.id]);
    expect((await api.users.people({ query: tag, role: "guest" })).people.map((p) => p.id)).toEqual([
      made[1]!.user.id,
    ]);
    const gone = await api.users.people({ query: tag, status: "deactivated" });
    expect(gone.people.map((p) => [p.id, p.isDeactivated])).toEqual([[made[2]!.user.id, true]]);
    expect((await api.users.people({ query: tag, status: "active" })).people).toHaveLength(4);

    await expectCode((await made[0]!.caller()).users.people({}), "FORBIDDEN");
  });

  it("a demoted admin is refused admin procedures on the next request", async () => {
    const owner = await signedIn("owner");
    const admin = await signedIn("admin");
    const member = await signedIn();
    expect((await (await admin.caller()).users.people({})).people.length).toBeGreaterThan(0);

    await (await owner.caller()).users.setRole({ userId: admin.user.id, role: "member" });
    expect(
      await t.db.auditEntry.count({ where: { action: "user.role_changed", targetId: admin.user.id } }),
    ).toBe(1);

    const demoted = await admin.caller();
    await expectCode(demoted.users.people({}), "FORBIDDEN");
    await expectCode(demoted.users.setRole({ userId: member.user.id, role: "guest" }), "FORBIDDEN");
    await expectCode(demoted.users.deactivate({ userId: member.user.id }), "FORBIDDEN");
    expect((await demoted.users.me()).role).toBe("member");
  });

  it("holds a guest to their channels over tRPC", async () => {
    const admin = await signedIn("admin");
    const guest = await signedIn("guest");
    const adminApi = await admin.caller();
    const open = await adminApi.conversations.create({ name: `open-${randomUUID().slice(0, 8)}` });
    const shared = await adminApi.conversations.create({
      name: `shared-${randomUUID().slice(0, 8)}`,
      memberIds: [guest.user.id],
    });
    const api = await guest.caller();
    expect((await api.conversations.browse()).map((c) => c.id)).toEqual([shared.id]);
    await expectCode(api.conversations.join({ conversationId: open.id }), "NOT_FOUND");
    await expectCode(api.messages.history({ conversationId: open.id }), "NOT_FOUND");
    await expectCode(api.conversations.create({ name: `mine-${randomUUID().slice(0, 8)}` }), "FORBIDDEN");
    await expectCode(api.auth.createInvite(), "FORBIDDEN");
  });

  it("a reset link made in People sets a password once through auth.resetPassword", async () => {
    const admin = await signedIn("admin");
    const person = await signedIn();
    const link = await (await admin.caller()).users.createPasswordReset({ userId: person.user.id });
    expect(link.url.startsWith("https://chat.example.test/reset-password?token=")).toBe(true);
    expect(link.emailed).toBe(false);
    const token = new URL(link.url).searchParams.get("token")!;
    const anonymous = createCaller(await createContext({ db: t.db, env, clientAddress: "198.51.100.7" }));
    await anonymous.auth.resetPassword({ token, password: "violet-harbor-lantern-42" });
    await expectCode(
      anonymous.auth.resetPassword({ token, password: "violet-harbor-lantern-43" }),
      "FORBIDDEN",
    );
    // Their session ended with the reset.
    await expectCode((await person.caller()).users.me(), "UNAUTHORIZED");
    expect(
      await t.db.auditEntry.count({ where: { action: "auth.password_reset", actorId: person.user.id } }),
    ).toBe(1);
  });
});
