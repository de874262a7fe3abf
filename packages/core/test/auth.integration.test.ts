import { randomUUID } from "node:crypto";
import { seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  listSessions,
  resolveSession,
  revokeOtherSessions,
  revokeSession,
  signUp,
  verifyCredentials,
} from "../src/auth.ts";
import { createChannel, openDm } from "../src/conversations.ts";
import { createInvite } from "../src/joining/invites.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import { createAccessToken, listAccessTokens, resolveAccessToken, revokeAccessToken } from "../src/tokens.ts";
import { deactivateUser, reactivateUser } from "../src/users.ts";
import { getWorkspaceStatus, setupWorkspace, updateWorkspace } from "../src/workspace.ts";
import { channelName, expectParley, newActor } from "./helpers.ts";

let t: TTestDb;
beforeAll(async () => {
  t = await createTestDb({ poolSize: 12 });
});
afterAll(async () => {
  await t?.drop();
});

const password = "correct horse battery";

describe("workspace setup", () => {
  it("sets up once; a second (even concurrent) setup gets CONFLICT", async () => {
    expect(await getWorkspaceStatus(t.db)).toEqual({
      isSetUp: false,
      name: null,
      signupMode: "invite_only",
      signupDomains: [],
      allowOpenSignup: false,
      ssoOnly: false,
    });
    const attempts = await Promise.allSettled([
      setupWorkspace(t.db, { workspaceName: "Acme", name: "Ada", email: "ADA@acme.test", password }),
      setupWorkspace(t.db, { workspaceName: "Evil", name: "Eve", email: "eve@acme.test", password }),
    ]);
    const ok = attempts.filter((a) => a.status === "fulfilled");
    expect(ok).toHaveLength(1);
    const failed = attempts.find((a) => a.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: "CONFLICT" });
    await expectParley(
      setupWorkspace(t.db, { workspaceName: "Again", name: "Ada", email: "ada2@acme.test", password }),
      "CONFLICT",
    );
    expect(await t.db.user.count({ where: { role: "owner" } })).toBe(1);
    const status = await getWorkspaceStatus(t.db);
    expect(status.isSetUp).toBe(true);
    const owner = await t.db.user.findFirstOrThrow({ where: { role: "owner" } });
    expect(owner.email).toBe(status.name === "Acme" ? "ada@acme.test" : "eve@acme.test");
  });
});

describe("sign-up and invites", () => {
  it("refuses sign-up without open sign-up or an invite, and accepts it with open sign-up", async () => {
    await seedWorkspace(t.db, { name: "Acme", allowOpenSignup: false });
    await expectParley(
      signUp(t.db, { name: "Sam", email: "sam@acme.test", password }),
      "FORBIDDEN",
      /invite/,
    );
    await expectParley(
      signUp(t.db, { name: "Sam", email: "sam@acme.test", password, inviteToken: "pli_bogus" }),
      "FORBIDDEN",
    );
    expect(await t.db.user.count({ where: { email: "sam@acme.test" } })).toBe(0);

    const admin = await newActor(t.db, { role: "admin" });
    await updateWorkspace(t.db, admin, { allowOpenSignup: true });
    const { user } = await signUp(t.db, { name: "Sam", email: "Sam@Acme.test", password });
    expect(user).toMatchObject({ email: "sam@acme.test", role: "member" });
    await expectParley(signUp(t.db, { name: "Sam", email: "sam@acme.test", password }), "CONFLICT");
    await expectParley(signUp(t.db, { name: "Sam", email: "not-an-email", password }), "BAD_REQUEST");
    await expectParley(
      signUp(t.db, { name: "Sam", email: "short@acme.test", password: "123" }),
      "BAD_REQUEST",
    );
    await updateWorkspace(t.db, admin, { allowOpenSignup: false });
    const member = await newActor(t.db);
    await expectParley(updateWorkspace(t.db, member, { allowOpenSignup: true }), "FORBIDDEN");
  });

  it("consumes a single-use invite exactly once, also under concurrency", async () => {
    await seedWorkspace(t.db, { name: "Acme", allowOpenSignup: false });
    const inviter = await newActor(t.db);
    const { token } = await createInvite(t.db, inviter, {});
    expect(token).toMatch(/^pli_/);
    const stored = await t.db.invite.findFirstOrThrow({ where: { createdById: inviter.userId } });
    expect(stored.tokenHash).not.toContain(token.slice(4));

    const results = await Promise.allSettled(
      ["a", "b", "c"].map((x) =>
        signUp(t.db, { name: x, email: `inv-${x}@acme.test`, password, inviteToken: token }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "FORBIDDEN" });
    }
    expect((await t.db.invite.findUniqueOrThrow({ where: { id: stored.id } })).uses).toBe(1);
  });

  it("gives a use back when the sign-up fails (duplicate e-mail)", async () => {
    await seedWorkspace(t.db, { name: "Acme", allowOpenSignup: false });
    const inviter = await newActor(t.db);
    const { token, id } = await createInvite(t.db, inviter, { maxUses: 1 });
    await expectParley(
      signUp(t.db, { name: "Dup", email: inviter.email, password, inviteToken: token }),
      "CONFLICT",
    );
    expect((await t.db.invite.findUniqueOrThrow({ where: { id } })).uses).toBe(0);
    await signUp(t.db, { name: "Fresh", email: "fresh@acme.test", password, inviteToken: token });
  });
});

describe("sessions", () => {
  it("signs in, resolves, lists and revokes sessions", async () => {
    const user = await newActor(t.db);
    expect(await verifyCredentials(t.db, { email: user.email, password: "wrong-password" })).toBeNull();
    expect(await verifyCredentials(t.db, { email: "nobody@acme.test", password })).toBeNull();
    const a = await verifyCredentials(t.db, {
      email: user.email.toUpperCase(),
      password: user.password,
      userAgent: "A",
    });
    const b = await verifyCredentials(t.db, { email: user.email, password: user.password, userAgent: "B" });
    const c = await verifyCredentials(t.db, { email: user.email, password: user.password, userAgent: "C" });
    expect(a && b && c).toBeTruthy();
    expect(await resolveSession(t.db, a!.sessionId)).toEqual({ userId: user.userId, role: "member" });
    expect(await resolveSession(t.db, "garbage")).toBeNull();

    const list = await listSessions(t.db, user, { currentSessionId: a!.sessionId });
    expect(list).toHaveLength(3);
    expect(list.filter((s) => s.isCurrent).map((s) => s.id)).toEqual([a!.sessionId]);

    const other = await newActor(t.db);
    await expectParley(revokeSession(t.db, other, { id: b!.sessionId }), "NOT_FOUND");
    expect(await resolveSession(t.db, b!.sessionId)).not.toBeNull();
    await revokeSession(t.db, user, { id: b!.sessionId });
    expect(await resolveSession(t.db, b!.sessionId)).toBeNull();

    expect(await revokeOtherSessions(t.db, user, { currentSessionId: a!.sessionId })).toEqual({ count: 1 });
    expect(await resolveSession(t.db, c!.sessionId)).toBeNull();
    expect(await resolveSession(t.db, a!.sessionId)).not.toBeNull();

    await t.db.authSession.update({
      where: { id: a!.sessionId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await resolveSession(t.db, a!.sessionId)).toBeNull();
  });

  it("bumps lastSeenAt at most once a minute", async () => {
    const user = await newActor(t.db);
    const s = await verifyCredentials(t.db, { email: user.email, password: user.password });
    const old = new Date(Date.now() - 5 * 60_000);
    await t.db.authSession.update({ where: { id: s!.sessionId }, data: { lastSeenAt: old } });
    await resolveSession(t.db, s!.sessionId);
    const bumped = (await t.db.authSession.findUniqueOrThrow({ where: { id: s!.sessionId } })).lastSeenAt;
    expect(bumped.getTime()).toBeGreaterThan(old.getTime());
    await resolveSession(t.db, s!.sessionId);
    expect((await t.db.authSession.findUniqueOrThrow({ where: { id: s!.sessionId } })).lastSeenAt).toEqual(
      bumped,
    );
  });
});

describe("access tokens and deactivation", () => {
  it("creates, resolves, lists and revokes personal access tokens", async () => {
    const user = await newActor(t.db);
    const created = await createAccessToken(t.db, user, { name: "bot" });
    expect(created.token).toMatch(/^plt_[A-Za-z0-9_-]{40,}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    const row = await t.db.personalAccessToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).not.toBe(created.token);
    expect(await resolveAccessToken(t.db, created.token)).toEqual({
      userId: user.userId,
      role: "member",
      tokenId: created.id,
    });
    expect(
      (await t.db.personalAccessToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt,
    ).not.toBeNull();
    expect(await resolveAccessToken(t.db, `${created.token}x`)).toBeNull();
    expect((await listAccessTokens(t.db, user)).map((x) => x.id)).toEqual([created.id]);
    expect(JSON.stringify(await listAccessTokens(t.db, user))).not.toContain(created.token);

    const other = await newActor(t.db);
    await expectParley(revokeAccessToken(t.db, other, { id: created.id }), "NOT_FOUND");
    await revokeAccessToken(t.db, user, { id: created.id });
    expect(await resolveAccessToken(t.db, created.token)).toBeNull();

    const expiring = await createAccessToken(t.db, user, { name: "short", expiresInDays: 1 });
    await t.db.personalAccessToken.update({
      where: { id: expiring.id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    expect(await resolveAccessToken(t.db, expiring.token)).toBeNull();
  });

  it("stops a deactivated user's sessions and tokens from resolving, and refuses them sign-in; their messages stay", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const user = await newActor(t.db);
    const session = await verifyCredentials(t.db, { email: user.email, password: user.password });
    const { token } = await createAccessToken(t.db, user, { name: "cli" });
    expect(await resolveSession(t.db, session!.sessionId)).not.toBeNull();
    expect(await resolveAccessToken(t.db, token)).not.toBeNull();
    const channel = await createChannel(t.db, admin, { name: channelName(), memberIds: [user.userId] });
    const dm = await openDm(t.db, admin, { userIds: [user.userId] });
    const said = async (conversationId: string, body: string) => {
      const { message } = await sendMessage(t.db, user, { conversationId, clientMsgId: randomUUID(), body });
      return { id: message.id, conversationId, body };
    };
    const sent = [
      await said(channel.id, "notes for the handover"),
      await said(dm.id, "the keys are in the drawer"),
    ];

    await expectParley(deactivateUser(t.db, user, { userId: admin.userId }), "FORBIDDEN");
    const deactivated = await deactivateUser(t.db, admin, { userId: user.userId });
    expect(deactivated.deactivatedAt).toBeInstanceOf(Date);
    expect(await resolveSession(t.db, session!.sessionId)).toBeNull();
    expect(await resolveAccessToken(t.db, token)).toBeNull();
    expect(await verifyCredentials(t.db, { email: user.email, password: user.password })).toBeNull();
    // Deactivation ends access, not history (issue 13): the others still read what they wrote.
    for (const message of sent) {
      const history = await getHistory(t.db, admin, { conversationId: message.conversationId });
      expect(history.messages).toMatchObject([
        { id: message.id, senderId: user.userId, body: message.body, deletedAt: null },
      ]);
    }

    await reactivateUser(t.db, admin, { userId: user.userId });
    expect(await verifyCredentials(t.db, { email: user.email, password: user.password })).not.toBeNull();
    // Old credentials stay revoked after reactivation.
    expect(await resolveSession(t.db, session!.sessionId)).toBeNull();
    expect(await resolveAccessToken(t.db, token)).toBeNull();
  });

  it("never deactivates the last active owner; admins cannot deactivate owners", async () => {
    const owners = await t.db.user.findMany({ where: { role: "owner", deactivatedAt: null } });
    const admin = await newActor(t.db, { role: "admin" });
    const second = await newActor(t.db, { role: "owner" });
    await expectParley(deactivateUser(t.db, admin, { userId: second.userId }), "FORBIDDEN", /owner/);
    // Deactivate every owner but `second`, then `second` cannot go.
    for (const o of owners) await deactivateUser(t.db, second, { userId: o.id });
    await expectParley(deactivateUser(t.db, second, { userId: second.userId }), "FORBIDDEN", /last owner/);
    expect(await t.db.user.count({ where: { role: "owner", deactivatedAt: null } })).toBe(1);
  });
});
