/**
 * Joining: the sign-up modes (open / invite-only / allowed domains), invite links with expiry,
 * use limits, revocation and e-mail binding, their race-safe redemption, the invite e-mail (to a
 * local `smtp-server`) and the audit entries each of these writes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEntries } from "../src/audit/list.ts";
import { signUp } from "../src/auth.ts";
import { sha256 } from "../src/ids.ts";
import { checkInvite, createInvite, listInvites, revokeInvite } from "../src/joining/invites.ts";
import { setSignupPolicy } from "../src/joining/policy.ts";
import { mailFrom, type TMailer } from "../src/notifications/email.ts";
import { getWorkspaceStatus } from "../src/workspace.ts";
import { expectParley, newActor, useTestDb } from "./helpers.ts";
import { startSmtpSink, type TArrivedMail } from "./smtp-sink.ts";

const t = useTestDb();
const password = "violet harbor lantern 42";
let counter = 0;
/** A fresh address at `domain`. */
const addr = (domain = "acme.test") => `joiner-${++counter}@${domain}`;

/** Everything a refused sign-up must leave untouched. */
async function footprint() {
  const [users, invites, redemptions, entries] = await Promise.all([
    t.db.user.count(),
    t.db.invite.findMany({ select: { id: true, uses: true }, orderBy: { id: "asc" } }),
    t.db.inviteRedemption.count(),
    t.db.auditEntry.count({ where: { action: { in: ["auth.signed_up", "invite.redeemed"] } } }),
  ]);
  return { users, invites, redemptions, entries };
}

async function entries(action: string, targetId?: string) {
  const admin = await newActor(t.db, { role: "admin" });
  const page = await listAuditEntries(t.db, admin, { action, limit: 100 });
  return page.entries.filter((e) => targetId === undefined || e.targetId === targetId);
}

describe("invite-only", () => {
  it("refuses without an invite and with unknown, expired, used-up, revoked or other-address invites, changing nothing", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    await setSignupPolicy(t.db, admin, { mode: "invite_only" });
    const expired = await createInvite(t.db, admin, {});
    await t.db.invite.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const usedUp = await createInvite(t.db, admin, { maxUses: 1 });
    await signUp(t.db, { name: "First", email: addr(), password, inviteToken: usedUp.token });
    const revoked = await createInvite(t.db, admin, { maxUses: 5 });
    expect(await revokeInvite(t.db, admin, { id: revoked.id })).toEqual({ revoked: true });
    const bound = await createInvite(t.db, admin, { email: "Bound@Acme.test" });
    expect(bound.email).toBe("bound@acme.test");

    const before = await footprint();
    const cases: [string | undefined, RegExp, string][] = [
      [undefined, /invitation only/, addr()],
      ["pli_not-a-real-invite", /not valid/, addr()],
      [expired.token, /expired/, addr()],
      [usedUp.token, /used up/, addr()],
      [revoked.token, /revoked/, addr()],
      [bound.token, /different e-mail address/, addr()],
    ];
    for (const [inviteToken, message, email] of cases) {
      await expectParley(signUp(t.db, { name: "Nope", email, password, inviteToken }), "FORBIDDEN", message);
    }
    expect(await footprint()).toEqual(before);

    // What the sign-up page shows before anyone types.
    const states = [expired, usedUp, revoked, { token: "pli_nope" }].map((i) => checkInvite(t.db, i));
    expect(await Promise.all(states)).toEqual([
      { state: "expired", email: null, refusal: expect.stringMatching(/expired/) },
      { state: "used_up", email: null, refusal: expect.stringMatching(/used up/) },
      { state: "revoked", email: null, refusal: expect.stringMatching(/revoked/) },
      { state: "unknown", email: null, refusal: expect.stringMatching(/not valid/) },
    ]);
    expect(await checkInvite(t.db, { token: bound.token })).toEqual({
      state: "valid",
      email: "bound@acme.test",
      refusal: null,
    });

    // The bound address gets in, with any capitalisation; that uses the invite up.
    const { user } = await signUp(t.db, {
      name: "Bound",
      email: "BOUND@acme.test",
      password,
      inviteToken: bound.token,
    });
    expect(user.email).toBe("bound@acme.test");
    expect(await checkInvite(t.db, { token: bound.token })).toMatchObject({ state: "used_up" });
  });

  it("admits exactly one of two concurrent sign-ups on an invite's last use", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    await setSignupPolicy(t.db, admin, { mode: "invite_only" });
    for (let round = 0; round < 3; round++) {
      const invite = await createInvite(t.db, admin, { maxUses: 2 });
      await signUp(t.db, { name: "Early", email: addr(), password, inviteToken: invite.token });
      const racers = [addr(), addr()];
      const results = await Promise.allSettled(
        racers.map((email) => signUp(t.db, { name: "Racer", email, password, inviteToken: invite.token })),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/used up/) });
      const row = await t.db.invite.findUniqueOrThrow({
        where: { id: invite.id },
        include: { redemptions: true },
      });
      expect(row.uses).toBe(2);
      expect(row.redemptions).toHaveLength(2);
      expect(await t.db.user.count({ where: { email: { in: racers } } })).toBe(1);
      expect(await entries("invite.redeemed", invite.id)).toHaveLength(2);
    }
  });
});

describe("allowed e-mail domains", () => {
  it("admits the listed domains in any case and refuses others and lookalikes unless invited", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    await setSignupPolicy(t.db, admin, { mode: "domains", domains: ["Example.com", "@corp.example.org"] });
    expect(await getWorkspaceStatus(t.db)).toMatchObject({
      signupMode: "domains",
      signupDomains: ["example.com", "corp.example.org"],
      allowOpenSignup: false,
    });
    const ann = await signUp(t.db, { name: "Ann", email: "Ann@EXAMPLE.com", password });
    expect(ann.user.email).toBe("ann@example.com");
    await signUp(t.db, { name: "Cal", email: "cal@corp.example.org", password });

    const before = await footprint();
    for (const email of [
      "mallory@evil-example.com",
      "mallory@example.com.evil.org",
      "mallory@sub.example.com",
      "mallory@example.co",
      "mallory@example.org",
    ]) {
      await expectParley(
        signUp(t.db, { name: "Mallory", email, password }),
        "FORBIDDEN",
        /only addresses at example\.com, corp\.example\.org/,
      );
    }
    expect(await footprint()).toEqual(before);

    // An invite is still a way in for another domain; a stale one is no obstacle for a listed one.
    const invite = await createInvite(t.db, admin, {});
    await signUp(t.db, { name: "Guest", email: addr("partner.test"), password, inviteToken: invite.token });
    await signUp(t.db, { name: "Dee", email: "dee@example.com", password, inviteToken: invite.token });
    expect((await t.db.invite.findUniqueOrThrow({ where: { id: invite.id } })).uses).toBe(1);
  });

  it("validates the policy (admins only, real domains, at least one in domains mode) and changes nothing on refusal", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const member = await newActor(t.db);
    await setSignupPolicy(t.db, admin, { mode: "invite_only", domains: ["keep.example"] });
    const stored = () =>
      t.db.workspace.findUniqueOrThrow({
        where: { id: 1 },
        select: { signupMode: true, signupDomains: true },
      });
    const before = await stored();
    await expectParley(setSignupPolicy(t.db, member, { mode: "open" }), "FORBIDDEN");
    await expectParley(
      setSignupPolicy(t.db, admin, { mode: "domains", domains: [] }),
      "BAD_REQUEST",
      /at least one/,
    );
    for (const bad of [
      "example",
      "exa mple.com",
      "-x.com",
      "x..com",
      "*.example.com",
      "a@b.com",
      "example.com/",
    ]) {
      await expectParley(setSignupPolicy(t.db, admin, { mode: "domains", domains: [bad] }), "BAD_REQUEST");
    }
    await expectParley(setSignupPolicy(t.db, admin, { mode: "closed" }), "BAD_REQUEST");
    expect(await stored()).toEqual(before);
  });
});

describe("audit and listing", () => {
  it("records mode and domain changes, invite creation, revocation and redemption; lists who made and used invites", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    await setSignupPolicy(t.db, admin, { mode: "invite_only", domains: [] });
    const mark = new Date();
    await setSignupPolicy(t.db, admin, { mode: "domains", domains: ["a.example", "b.example"] });
    await setSignupPolicy(t.db, admin, { mode: "domains", domains: ["b.example", "c.example"] });
    await setSignupPolicy(t.db, admin, { mode: "domains", domains: ["c.example", "b.example"] });
    await setSignupPolicy(t.db, admin, { mode: "domains", domains: ["c.example", "b.example"] }); // no change
    const since = (e: { at: Date; actorId: string | null }) => e.at >= mark && e.actorId === admin.userId;
    expect((await entries("workspace.signup_mode_changed")).filter(since)).toMatchObject([
      { details: { before: "invite_only", after: "domains" } },
    ]);
    const domainChanges = (await entries("workspace.signup_domains_changed")).filter(since);
    expect(domainChanges.map((e) => e.details)).toEqual([
      { before: ["b.example", "c.example"], after: ["c.example", "b.example"], added: [], removed: [] },
      {
        before: ["a.example", "b.example"],
        after: ["b.example", "c.example"],
        added: ["c.example"],
        removed: ["a.example"],
      },
      { before: [], after: ["a.example", "b.example"], added: ["a.example", "b.example"], removed: [] },
    ]);
    await setSignupPolicy(t.db, admin, { mode: "invite_only" });

    const maker = await newActor(t.db, { name: "Maker" });
    const invite = await createInvite(t.db, maker, { maxUses: 3, expiresInDays: 2 });
    const created = await entries("invite.created", invite.id);
    expect(created).toMatchObject([{ actorId: maker.userId, details: { maxUses: 3 } }]);
    expect(JSON.stringify(created)).not.toContain(invite.token);
    const stored = await t.db.invite.findUniqueOrThrow({ where: { id: invite.id } });
    expect(stored.tokenHash).toBe(sha256(invite.token));

    const newcomer = addr();
    const { user } = await signUp(t.db, {
      name: "Newcomer",
      email: newcomer,
      password,
      inviteToken: invite.token,
    });
    expect(await entries("invite.redeemed", invite.id)).toMatchObject([
      { actorId: user.id, actorLabel: newcomer, details: { createdById: maker.userId } },
    ]);

    // Someone else's invite: a member cannot revoke it (NOT_FOUND); its maker and admins can.
    const stranger = await newActor(t.db);
    await expectParley(revokeInvite(t.db, stranger, { id: invite.id }), "NOT_FOUND");
    await expectParley(listInvites(t.db, maker), "FORBIDDEN");
    expect(await revokeInvite(t.db, maker, { id: invite.id })).toEqual({ revoked: true });
    expect(await revokeInvite(t.db, admin, { id: invite.id })).toEqual({ revoked: false });
    expect(await entries("invite.revoked", invite.id)).toMatchObject([{ actorId: maker.userId }]);

    const listed = (await listInvites(t.db, admin)).find((i) => i.id === invite.id);
    expect(listed).toMatchObject({
      createdBy: { id: maker.userId, name: "Maker" },
      revokedBy: { id: maker.userId },
      uses: 1,
      maxUses: 3,
      state: "revoked",
      redemptions: [{ user: { id: user.id, email: newcomer } }],
    });
    expect(JSON.stringify(listed)).not.toContain("tokenHash");
  });
});

describe("e-mail invites", () => {
  let arrived: TArrivedMail[] = [];
  let mailer: TMailer;
  let closeSmtp: (() => Promise<void>) | undefined;
  const publicUrl = "https://chat.example.test";
  beforeAll(async () => {
    ({ arrived, mailer, close: closeSmtp } = await startSmtpSink());
  });
  afterAll(async () => {
    await closeSmtp?.();
  });

  it("sends the bound link when SMTP is set up, hands it back to copy when not, and is for admins only", async () => {
    const admin = await newActor(t.db, { role: "admin", name: "Ada Admin" });
    const delivery = { publicUrl, mailer, from: mailFrom({ PUBLIC_URL: publicUrl }) };
    const sent = await createInvite(
      t.db,
      admin,
      { email: "new.hire@acme.test", maxUses: 5 },
      undefined,
      delivery,
    );
    expect(sent).toMatchObject({ emailed: true, emailError: null, email: "new.hire@acme.test", maxUses: 1 });
    expect(arrived).toHaveLength(1);
    expect(arrived[0]).toMatchObject({
      to: "new.hire@acme.test",
      subject: "Ada Admin invited you to Test on Parley",
    });
    expect(arrived[0]?.text).toContain(`${publicUrl}/sign-up?invite=${sent.token}`);
    expect((await t.db.invite.findUniqueOrThrow({ where: { id: sent.id } })).emailedAt).not.toBeNull();

    const copy = await createInvite(t.db, admin, { email: "other@acme.test" }, undefined, {
      ...delivery,
      mailer: null,
    });
    expect(copy).toMatchObject({ emailed: false, url: `${publicUrl}/sign-up?invite=${copy.token}` });
    expect(copy.emailError).toMatch(/copy the link/);
    expect(arrived).toHaveLength(1);

    const member = await newActor(t.db);
    await expectParley(
      createInvite(t.db, member, { email: "x@acme.test" }, undefined, delivery),
      "FORBIDDEN",
    );
    await expectParley(createInvite(t.db, admin, { email: member.email }, undefined, delivery), "CONFLICT");
    await expectParley(
      createInvite(t.db, admin, { email: "not-an-address" }, undefined, delivery),
      "BAD_REQUEST",
    );
    expect(arrived).toHaveLength(1);
    expect(await t.db.invite.count({ where: { email: { in: ["x@acme.test", member.email] } } })).toBe(0);
  });
});
