/**
 * Single sign-on after the provider said who it is (core/src/sso): just-in-time accounts and the
 * rules that admit them (allowed domains, the workspace's joining rules, a required group), linking
 * an existing password account only on a verified e-mail, refusing deactivated users, the
 * admin-group role mapping (never the owner), SSO-only mode with the owner's break-glass path, and
 * the audit entries of each. The OIDC protocol itself is next-auth's (e2e/sso.spec.ts drives it
 * against a real provider).
 */
import { describe, expect, it } from "vitest";
import { signUp, verifyCredentials } from "../src/auth.ts";
import { setSignupPolicy } from "../src/joining/policy.ts";
import { getSsoSettings, setSsoOnly } from "../src/sso/settings.ts";
import { mappedRole, ssoSignIn, type TSsoClaims, type TSsoPolicy } from "../src/sso/sign-in.ts";
import { deactivateUser } from "../src/users.ts";
import { getWorkspaceStatus } from "../src/workspace.ts";
import { expectParley, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();
const ISSUER = "https://idp.example.test/realms/acme";
const policy: TSsoPolicy = { issuer: ISSUER, allowedDomains: ["acme.test"] };
let counter = 0;
/** Verified claims of a new person at `domain`. */
const claims = (over: Partial<TSsoClaims> = {}, domain = "acme.test"): TSsoClaims => {
  const n = ++counter;
  return { subject: `sub-${n}`, email: `sso-${n}@${domain}`, emailVerified: true, name: `Sso ${n}`, ...over };
};

/** What a refused sign-in must leave untouched (everything but its audit entry). */
async function footprint() {
  const [users, identities, sessions, signedUp] = await Promise.all([
    t.db.user.count(),
    t.db.ssoIdentity.count(),
    t.db.authSession.count(),
    t.db.auditEntry.count({
      where: { action: { in: ["auth.signed_up", "auth.sso_linked", "auth.sign_in"] } },
    }),
  ]);
  return { users, identities, sessions, signedUp };
}

async function lastFailure(label: string) {
  return t.db.auditEntry.findFirst({
    where: { action: "auth.sign_in_failed", actorLabel: label },
    orderBy: { id: "desc" },
  });
}

describe("just-in-time accounts", () => {
  it("creates a member at an allowed domain on the first sign-in, linked by issuer + subject, and signs it in", async () => {
    const who = claims({ ip: "192.0.2.7", userAgent: "UA/1" });
    const first = await ssoSignIn(t.db, policy, who);
    if (!first.ok) throw new Error(`refused: ${first.refusal}`);
    expect(first.isNewUser).toBe(true);
    expect(first.user).toMatchObject({ email: who.email, name: who.name, role: "member" });
    const session = await t.db.authSession.findUniqueOrThrow({ where: { id: first.sessionId } });
    expect(session).toMatchObject({
      userId: first.user.id,
      ip: "192.0.2.7",
      userAgent: "UA/1",
      revokedAt: null,
    });
    expect(await t.db.ssoIdentity.findMany({ where: { userId: first.user.id } })).toMatchObject([
      { issuer: ISSUER, subject: who.subject, email: who.email },
    ]);
    const signedUp = await t.db.auditEntry.findMany({
      where: { action: "auth.signed_up", actorId: first.user.id },
    });
    expect(signedUp).toMatchObject([{ details: { via: "sso", issuer: ISSUER } }]);

    // The next sign-in finds the identity, even after the provider changed the address.
    const again = await ssoSignIn(t.db, policy, { ...who, email: `renamed-${counter}@acme.test` });
    if (!again.ok) throw new Error(`refused: ${again.refusal}`);
    expect(again).toMatchObject({ isNewUser: false, user: { id: first.user.id, email: who.email } });
    expect(again.sessionId).not.toBe(first.sessionId);
    const signIns = await t.db.auditEntry.findMany({
      where: { action: "auth.sign_in", actorId: first.user.id },
    });
    expect(signIns).toHaveLength(2);
    expect(signIns[0]).toMatchObject({ ip: "192.0.2.7", details: { method: "sso", issuer: ISSUER } });
  });

  it("refuses a domain that may not join, an unverified new address and a missing group, writing only the failure", async () => {
    const before = await footprint();
    const elsewhere = claims({}, "elsewhere.test");
    expect(await ssoSignIn(t.db, policy, elsewhere)).toEqual({ ok: false, refusal: "domain_not_allowed" });
    // A suffix is not the domain.
    expect(await ssoSignIn(t.db, policy, claims({}, "evil-acme.test"))).toEqual({
      ok: false,
      refusal: "domain_not_allowed",
    });
    const unverified = claims({ emailVerified: false });
    expect(await ssoSignIn(t.db, policy, unverified)).toEqual({ ok: false, refusal: "email_not_verified" });
    const grouped = { ...policy, requiredGroup: "parley-users" };
    const outsider = claims({ groups: ["other"] });
    expect(await ssoSignIn(t.db, grouped, outsider)).toEqual({ ok: false, refusal: "not_in_group" });
    expect(await footprint()).toEqual(before);
    expect(await lastFailure(elsewhere.email)).toMatchObject({
      actorId: null,
      details: { method: "sso", reason: expect.stringMatching(/domain/) },
    });
    expect(await lastFailure(unverified.email)).toMatchObject({
      details: { reason: expect.stringMatching(/verif/) },
    });
    expect(await lastFailure(outsider.email)).toMatchObject({
      details: { reason: expect.stringMatching(/group/) },
    });
    // In the group: admitted.
    expect((await ssoSignIn(t.db, grouped, claims({ groups: ["parley-users"] }))).ok).toBe(true);
  });

  it("without OIDC_ALLOWED_DOMAINS follows the workspace's joining rules (invite only: nobody new)", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const open: TSsoPolicy = { issuer: ISSUER };
    await setSignupPolicy(t.db, admin, { mode: "invite_only" });
    expect(await ssoSignIn(t.db, open, claims())).toEqual({ ok: false, refusal: "domain_not_allowed" });
    await setSignupPolicy(t.db, admin, { mode: "domains", domains: ["joiners.test"] });
    expect(await ssoSignIn(t.db, open, claims())).toEqual({ ok: false, refusal: "domain_not_allowed" });
    expect((await ssoSignIn(t.db, open, claims({}, "joiners.test"))).ok).toBe(true);
    await setSignupPolicy(t.db, admin, { mode: "open" });
    expect((await ssoSignIn(t.db, open, claims({}, "anywhere.test"))).ok).toBe(true);
    await setSignupPolicy(t.db, admin, { mode: "invite_only" });
  });

  it("admits exactly one account when the same first sign-in arrives twice at once", async () => {
    const who = claims();
    const [a, b] = await Promise.all([ssoSignIn(t.db, policy, who), ssoSignIn(t.db, policy, who)]);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.user.id).toBe(b.user.id);
    expect(await t.db.user.count({ where: { email: who.email } })).toBe(1);
  });
});

describe("linking existing accounts", () => {
  it("links a password account only when the provider verified the e-mail, and keeps the password working", async () => {
    const member = await newActor(t.db, { name: "Pat Password" });
    const sub = `linked-${++counter}`;
    const before = await footprint();
    const unverified = await ssoSignIn(t.db, policy, {
      subject: sub,
      email: member.email,
      emailVerified: false,
    });
    expect(unverified).toEqual({ ok: false, refusal: "email_not_verified" });
    expect(await footprint()).toEqual(before);
    expect(await lastFailure(member.email)).toMatchObject({ actorId: member.userId });

    // A verified address links, whatever the domain rules (the account exists already).
    const linked = await ssoSignIn(
      t.db,
      { issuer: ISSUER, allowedDomains: [] },
      {
        subject: sub,
        email: member.email.toUpperCase(),
        emailVerified: true,
      },
    );
    if (!linked.ok) throw new Error(`refused: ${linked.refusal}`);
    expect(linked).toMatchObject({ isNewUser: false, user: { id: member.userId, name: "Pat Password" } });
    expect(await t.db.ssoIdentity.findMany({ where: { userId: member.userId } })).toMatchObject([
      { issuer: ISSUER, subject: sub },
    ]);
    expect(
      await t.db.auditEntry.count({ where: { action: "auth.sso_linked", actorId: member.userId } }),
    ).toBe(1);
    expect(await verifyCredentials(t.db, { email: member.email, password: member.password })).not.toBeNull();

    // Another subject claiming the same address at this issuer is not linked too.
    expect(
      await ssoSignIn(t.db, policy, { subject: `${sub}-x`, email: member.email, emailVerified: true }),
    ).toEqual({
      ok: false,
      refusal: "linked_elsewhere",
    });
  });

  it("refuses a deactivated user, by identity or by e-mail, and opens no session", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const who = claims();
    const first = await ssoSignIn(t.db, policy, who);
    if (!first.ok) throw new Error(`refused: ${first.refusal}`);
    await deactivateUser(t.db, admin, { userId: first.user.id });
    const unlinked = await newActor(t.db);
    await deactivateUser(t.db, admin, { userId: unlinked.userId });
    const before = await footprint();
    expect(await ssoSignIn(t.db, policy, who)).toEqual({ ok: false, refusal: "deactivated" });
    expect(
      await ssoSignIn(t.db, policy, {
        subject: `d-${++counter}`,
        email: unlinked.email,
        emailVerified: true,
      }),
    ).toEqual({
      ok: false,
      refusal: "deactivated",
    });
    expect(await footprint()).toEqual(before);
    expect(await lastFailure(who.email)).toMatchObject({
      actorId: first.user.id,
      details: { reason: "deactivated" },
    });
  });
});

describe("roles from the admin group", () => {
  const grouped: TSsoPolicy = { ...policy, adminGroup: "parley-admins" };

  it("makes a new account in the group an admin, and follows the group at each sign-in", async () => {
    const who = claims({ groups: ["parley-admins"] });
    const first = await ssoSignIn(t.db, grouped, who);
    if (!first.ok) throw new Error(`refused: ${first.refusal}`);
    expect(first.user.role).toBe("admin");
    const left = await ssoSignIn(t.db, grouped, { ...who, groups: [] });
    expect(left).toMatchObject({ ok: true, user: { role: "member" } });
    expect(await t.db.user.findUniqueOrThrow({ where: { id: first.user.id } })).toMatchObject({
      role: "member",
    });
    expect(
      await t.db.auditEntry.findMany({ where: { action: "user.role_changed", targetId: first.user.id } }),
    ).toMatchObject([
      { actorId: null, details: { before: "admin", after: "member", via: "sso admin group" } },
    ]);
    // The rule off: roles are Parley's to manage, nothing changes.
    const back = await ssoSignIn(t.db, policy, { ...who, groups: ["parley-admins"] });
    expect(back).toMatchObject({ ok: true, user: { role: "member" } });
  });

  it("never changes the owner and never makes one", async () => {
    expect(mappedRole("owner", grouped, [])).toBe("owner");
    expect(mappedRole("owner", grouped, ["parley-admins"])).toBe("owner");
    expect(mappedRole("guest", grouped, ["parley-admins"])).toBe("admin");
    expect(mappedRole("guest", grouped, [])).toBe("guest");
    const owner = await newActor(t.db, { role: "owner" });
    const res = await ssoSignIn(t.db, grouped, {
      subject: `o-${++counter}`,
      email: owner.email,
      emailVerified: true,
    });
    expect(res).toMatchObject({ ok: true, user: { role: "owner" } });
  });
});

describe("SSO-only mode", () => {
  it("is for admins, needs SSO configured, is audited, and refuses password sign-in and sign-up but the break-glass owner", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const member = await newActor(t.db);
    const owner = await newActor(t.db, { role: "owner" });
    await expectParley(setSsoOnly(t.db, member, { ssoOnly: true }, true), "FORBIDDEN");
    await expectParley(getSsoSettings(t.db, member, true), "FORBIDDEN");
    await expectParley(setSsoOnly(t.db, admin, { ssoOnly: true }, false), "BAD_REQUEST", /not configured/);
    await expectParley(setSsoOnly(t.db, admin, { ssoOnly: "yes" }, true), "BAD_REQUEST");
    expect((await getWorkspaceStatus(t.db)).ssoOnly).toBe(false);

    expect(await setSsoOnly(t.db, admin, { ssoOnly: true }, true, { ip: "192.0.2.9" })).toEqual({
      ssoOnly: true,
      isConfigured: true,
    });
    await setSsoOnly(t.db, admin, { ssoOnly: true }, true); // no change, no entry
    expect(
      await t.db.auditEntry.findMany({
        where: { action: "workspace.sso_only_changed", actorId: admin.userId },
      }),
    ).toMatchObject([{ ip: "192.0.2.9", details: { before: false, after: true } }]);
    expect((await getWorkspaceStatus(t.db)).ssoOnly).toBe(true);

    try {
      expect(await verifyCredentials(t.db, { email: member.email, password: member.password })).toBeNull();
      expect(await lastFailure(member.email)).toMatchObject({
        details: { reason: expect.stringMatching(/SSO only/) },
      });
      // The owner too, unless the server's break-glass setting is on — and then only the owner.
      expect(await verifyCredentials(t.db, { email: owner.email, password: owner.password })).toBeNull();
      expect(
        await verifyCredentials(
          t.db,
          { email: owner.email, password: owner.password },
          { isOwnerBreakGlass: true },
        ),
      ).not.toBeNull();
      expect(
        await verifyCredentials(
          t.db,
          { email: admin.email, password: admin.password },
          { isOwnerBreakGlass: true },
        ),
      ).toBeNull();
      await expectParley(
        signUp(t.db, {
          name: "New",
          email: `new-${++counter}@acme.test`,
          password: "violet harbor lantern 42",
        }),
        "FORBIDDEN",
        /single sign-on only/,
      );
      // SSO itself still works.
      expect((await ssoSignIn(t.db, policy, claims())).ok).toBe(true);
    } finally {
      await setSsoOnly(t.db, admin, { ssoOnly: false }, true);
    }
    expect(await verifyCredentials(t.db, { email: member.email, password: member.password })).not.toBeNull();
  });
});
