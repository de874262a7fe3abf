/**
 * The audit log through tRPC (real Postgres): each admin action and security event writes exactly
 * one entry with the right actor, target, address and user agent; only admins read or export it;
 * filters and cursor paging; the CSV is escaped and formula-safe; retention removes exactly the
 * old entries; the table refuses UPDATE, DELETE and TRUNCATE outside the retention job.
 */
import { parseEnv, type TEnv } from "@parley/config";
import { createChannel, exportAuditCsv, pruneAuditEntries, verifyCredentials } from "@parley/core";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode } from "./helpers.ts";

let t: TTestDb;
let env: TEnv;
const UA = "AuditTest/1.0 (integration)";

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "Audit" });
  env = parseEnv({
    DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
    AUTH_SECRET: "test-secret-test-secret-test-secret!",
    PUBLIC_URL: "https://chat.example.test",
  });
});
afterAll(async () => {
  await t?.drop();
});

let ipCounter = 0;
async function callerFor(role: "admin" | "member" | "owner" = "member", ip = `203.0.113.${++ipCounter}`) {
  const user = await seedUser(t.db, { role });
  const actor = { userId: user.id, role: user.role };
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  const ctx = await createContext({ db: t.db, sessionId: session.id, env, clientAddress: ip, userAgent: UA });
  return { user, actor, ip, sessionId: session.id, caller: createCaller(ctx) };
}

/** The entries of `action` whose actor or target is `id`, oldest first. */
const entriesOf = (action: string, where: { actorId?: string | null; targetId?: string } = {}) =>
  t.db.auditEntry.findMany({ where: { action, ...where }, orderBy: [{ at: "asc" }, { id: "asc" }] });

describe("recording", () => {
  it("token created and revoked: one entry each, with actor, target, address and user agent, never the secret", async () => {
    const me = await callerFor();
    const token = await me.caller.tokens.create({ name: "ci bot" });
    await me.caller.tokens.revoke({ id: token.id });
    const [created] = await entriesOf("token.created", { actorId: me.user.id });
    const [revoked, extra] = await entriesOf("token.revoked", { actorId: me.user.id });
    expect(extra).toBeUndefined();
    for (const e of [created, revoked]) {
      expect(e).toMatchObject({
        actorLabel: me.user.email,
        targetType: "token",
        targetId: token.id,
        targetLabel: "ci bot",
        ip: me.ip,
        userAgent: UA,
      });
    }
    expect(await t.db.auditEntry.count({ where: { action: "token.created", actorId: me.user.id } })).toBe(1);
    const all = JSON.stringify(await t.db.auditEntry.findMany({ where: { actorId: me.user.id } }));
    expect(all).not.toContain(token.token);
    expect(all).not.toContain(token.token.slice(12));
    // Revoking again fails and records nothing more.
    await expectCode(me.caller.tokens.revoke({ id: token.id }), "NOT_FOUND");
    expect(await entriesOf("token.revoked", { actorId: me.user.id })).toHaveLength(1);
  });

  it("deactivate and reactivate: one entry each naming the admin and the person; no-ops and refusals write nothing", async () => {
    const admin = await callerFor("admin");
    const bob = await callerFor();
    await bob.caller.tokens.create({ name: "bob's" });
    await admin.caller.users.deactivate({ userId: bob.user.id });
    await admin.caller.users.deactivate({ userId: bob.user.id }); // already deactivated
    const deactivated = await entriesOf("user.deactivated", { targetId: bob.user.id });
    expect(deactivated).toHaveLength(1);
    expect(deactivated[0]).toMatchObject({
      actorId: admin.user.id,
      actorLabel: admin.user.email,
      targetType: "user",
      targetLabel: bob.user.email,
      ip: admin.ip,
      userAgent: UA,
      details: { role: "member", sessionsRevoked: 1, tokensRevoked: 1 },
    });
    await admin.caller.users.reactivate({ userId: bob.user.id });
    await admin.caller.users.reactivate({ userId: bob.user.id }); // already active
    expect(await entriesOf("user.reactivated", { targetId: bob.user.id })).toHaveLength(1);

    // An admin may not deactivate an owner: refused, and nothing recorded.
    const owner = await callerFor("owner");
    await expectCode(admin.caller.users.deactivate({ userId: owner.user.id }), "FORBIDDEN");
    expect(await entriesOf("user.deactivated", { targetId: owner.user.id })).toHaveLength(0);
  });

  it("workspace settings: one entry with before and after of the changed fields only", async () => {
    const admin = await callerFor("admin");
    await admin.caller.workspace.update({
      name: "Audit log",
      allowOpenSignup: true,
      auditRetentionDays: 365,
    });
    // The older open-sign-up flag is a sign-up mode change, recorded as such.
    expect(await entriesOf("workspace.signup_mode_changed", { actorId: admin.user.id })).toMatchObject([
      {
        targetType: "workspace",
        targetId: "1",
        ip: admin.ip,
        details: { before: "invite_only", after: "open" },
      },
    ]);
    const [entry, extra] = await entriesOf("workspace.updated", { actorId: admin.user.id });
    expect(extra).toBeUndefined();
    expect(entry).toMatchObject({
      targetType: "workspace",
      targetId: "1",
      ip: admin.ip,
      details: { before: { name: "Audit" }, after: { name: "Audit log" } },
    });
    // Nothing changed: nothing recorded. Bad input: refused, nothing changed or recorded.
    await admin.caller.workspace.update({ allowOpenSignup: true });
    await expectCode(admin.caller.workspace.update({ auditRetentionDays: -1 }), "BAD_REQUEST");
    await expectCode(admin.caller.workspace.update({ auditRetentionDays: 1.5 }), "BAD_REQUEST");
    expect(await entriesOf("workspace.updated", { actorId: admin.user.id })).toHaveLength(1);
    expect(await entriesOf("workspace.signup_mode_changed", { actorId: admin.user.id })).toHaveLength(1);
    await admin.caller.workspace.update({ name: "Audited", allowOpenSignup: false, auditRetentionDays: 90 });
    const second = (await entriesOf("workspace.updated", { actorId: admin.user.id }))[1];
    expect(second?.details).toEqual({
      before: { name: "Audit log", auditRetentionDays: 365 },
      after: { name: "Audited", auditRetentionDays: 90 },
    });
    expect(await entriesOf("workspace.signup_mode_changed", { actorId: admin.user.id })).toHaveLength(2);
    expect(await admin.caller.audit.retention()).toEqual({ days: 90 });
    await admin.caller.workspace.update({ name: "Audit", auditRetentionDays: 365 });
  });

  it("sessions, invites, channel archiving: one entry each; the invite secret is never recorded", async () => {
    const admin = await callerFor("admin");
    const other = await t.db.authSession.create({
      data: { userId: admin.user.id, expiresAt: new Date(Date.now() + 3600_000) },
    });
    await admin.caller.sessions.revoke({ id: other.id });
    expect(await entriesOf("session.revoked", { targetId: other.id })).toMatchObject([
      { actorId: admin.user.id, targetType: "session", ip: admin.ip },
    ]);
    const invite = await admin.caller.auth.createInvite({ maxUses: 3, expiresInDays: 2 });
    const invites = await entriesOf("invite.created", { targetId: invite.id });
    expect(invites).toMatchObject([{ actorId: admin.user.id, details: { maxUses: 3 } }]);
    expect(JSON.stringify(invites)).not.toContain(invite.token);

    const member = await callerFor();
    const channel = await createChannel(t.db, member.actor, { name: "audited-channel" });
    await admin.caller.conversations.archive({ conversationId: channel.id });
    await admin.caller.conversations.archive({ conversationId: channel.id }); // idempotent
    await admin.caller.conversations.unarchive({ conversationId: channel.id });
    expect(await entriesOf("channel.archived", { targetId: channel.id })).toMatchObject([
      { actorId: admin.user.id, targetLabel: "#audited-channel", details: { asWorkspaceAdmin: true } },
    ]);
    expect(await entriesOf("channel.unarchived", { targetId: channel.id })).toHaveLength(1);
  });

  it("renaming a channel and removing someone from it: one entry each, by its owner or by an admin's power; leaving, no-ops and refusals write nothing", async () => {
    const admin = await callerFor("admin");
    const owner = await callerFor();
    const [bob, carol, dee] = [await callerFor(), await callerFor(), await callerFor()];
    const channel = await createChannel(t.db, owner.actor, {
      name: "audit-rename-before",
      memberIds: [bob.user.id, carol.user.id, dee.user.id],
    });
    const id = channel.id;

    await owner.caller.conversations.rename({ conversationId: id, name: "audit-rename-owner" });
    await owner.caller.conversations.rename({ conversationId: id, name: "audit-rename-owner" }); // no change
    await expectCode(bob.caller.conversations.rename({ conversationId: id, name: "audit-bob" }), "FORBIDDEN");
    // The admin is not in the channel: only their workspace role lets them rename it.
    await admin.caller.conversations.rename({ conversationId: id, name: "audit-rename-admin" });
    expect(await entriesOf("channel.renamed", { targetId: id, actorId: owner.user.id })).toMatchObject([
      {
        actorLabel: owner.user.email,
        targetType: "channel",
        targetLabel: "#audit-rename-owner",
        ip: owner.ip,
        userAgent: UA,
        details: {
          kind: "public_channel",
          asWorkspaceAdmin: false,
          before: "audit-rename-before",
          after: "audit-rename-owner",
        },
      },
    ]);
    expect(await entriesOf("channel.renamed", { targetId: id, actorId: admin.user.id })).toMatchObject([
      {
        targetLabel: "#audit-rename-admin",
        ip: admin.ip,
        details: { asWorkspaceAdmin: true, before: "audit-rename-owner", after: "audit-rename-admin" },
      },
    ]);
    expect(await entriesOf("channel.renamed", { targetId: id })).toHaveLength(2);

    await admin.caller.conversations.removeMember({ conversationId: id, userId: bob.user.id });
    await owner.caller.conversations.removeMember({ conversationId: id, userId: carol.user.id });
    await expectCode(
      owner.caller.conversations.removeMember({ conversationId: id, userId: carol.user.id }),
      "NOT_FOUND",
    );
    await expectCode(
      dee.caller.conversations.removeMember({ conversationId: id, userId: owner.user.id }),
      "FORBIDDEN",
    );
    // Removing yourself is leaving: the member's own action, not an admin's.
    await dee.caller.conversations.removeMember({ conversationId: id, userId: dee.user.id });
    expect(await entriesOf("channel.member_removed", { targetId: id, actorId: admin.user.id })).toMatchObject(
      [
        {
          actorLabel: admin.user.email,
          targetType: "channel",
          targetLabel: "#audit-rename-admin",
          ip: admin.ip,
          userAgent: UA,
          details: { kind: "public_channel", asWorkspaceAdmin: true, userId: bob.user.id },
        },
      ],
    );
    expect(await entriesOf("channel.member_removed", { targetId: id, actorId: owner.user.id })).toMatchObject(
      [{ ip: owner.ip, details: { asWorkspaceAdmin: false, userId: carol.user.id } }],
    );
    expect(await entriesOf("channel.member_removed", { targetId: id })).toHaveLength(2);
  });

  it("default channels: one entry per change, naming the admin and the channel; no-ops and members write nothing", async () => {
    const admin = await callerFor("admin");
    const member = await callerFor();
    const channel = await createChannel(t.db, member.actor, { name: "audit-default" });
    const id = channel.id;
    await expectCode(
      member.caller.conversations.setDefault({ conversationId: id, isDefault: true }),
      "FORBIDDEN",
    );
    await admin.caller.conversations.setDefault({ conversationId: id, isDefault: true });
    await admin.caller.conversations.setDefault({ conversationId: id, isDefault: true }); // already
    expect(await entriesOf("channel.default_changed", { targetId: id })).toMatchObject([
      {
        actorId: admin.user.id,
        actorLabel: admin.user.email,
        targetType: "channel",
        targetLabel: "#audit-default",
        ip: admin.ip,
        userAgent: UA,
        details: { isDefault: true },
      },
    ]);
    await admin.caller.conversations.setDefault({ conversationId: id, isDefault: false });
    const entries = await entriesOf("channel.default_changed", { targetId: id });
    expect(entries).toHaveLength(2);
    expect(entries.map((e) => e.details)).toContainEqual({ isDefault: false });
  });

  it("an admin deleting someone else's message is recorded without the body; deleting your own is not", async () => {
    const admin = await callerFor("admin");
    const member = await callerFor();
    const channel = await createChannel(t.db, member.actor, { name: "deletions" });
    const secretBody = "the launch code is 0000";
    const sent = await member.caller.messages.send({
      conversationId: channel.id,
      clientMsgId: crypto.randomUUID(),
      body: secretBody,
    });
    const own = await member.caller.messages.send({
      conversationId: channel.id,
      clientMsgId: crypto.randomUUID(),
      body: "mine",
    });
    await member.caller.messages.delete({ messageId: own.message.id });
    await admin.caller.messages.delete({ messageId: sent.message.id });
    const entries = await entriesOf("message.deleted_by_admin", { targetId: sent.message.id });
    expect(entries).toMatchObject([{ actorId: admin.user.id, details: { senderId: member.user.id } }]);
    expect(JSON.stringify(entries)).not.toContain(secretBody);
    expect(await entriesOf("message.deleted_by_admin", { targetId: own.message.id })).toHaveLength(0);
  });

  it("sign-in success and failure (core's verifyCredentials, which next-auth's authorize calls): the attempted e-mail, never the password", async () => {
    const user = await seedUser(t.db, { password: "correct-horse-battery-audit" });
    const ip = "198.51.100.77";
    const ok = await verifyCredentials(t.db, {
      email: user.email,
      password: user.password,
      ip,
      userAgent: UA,
    });
    expect(ok).not.toBeNull();
    await verifyCredentials(t.db, { email: user.email, password: "wrong-guess-xyz", ip, userAgent: UA });
    await verifyCredentials(t.db, { email: "nobody-here@example.test", password: "wrong-guess-xyz", ip });
    expect(await entriesOf("auth.sign_in", { actorId: user.id })).toMatchObject([
      { targetType: "session", targetId: ok?.sessionId, ip, userAgent: UA, actorLabel: user.email },
    ]);
    expect(await entriesOf("auth.sign_in_failed", { actorId: user.id })).toMatchObject([
      { actorLabel: user.email, ip, details: { reason: "wrong password" } },
    ]);
    const unknown = await t.db.auditEntry.findMany({
      where: { action: "auth.sign_in_failed", actorLabel: "nobody-here@example.test" },
    });
    expect(unknown).toMatchObject([{ actorId: null, ip, details: { reason: "unknown e-mail" } }]);
    const all = JSON.stringify(
      await t.db.auditEntry.findMany({ where: { action: { startsWith: "auth." } } }),
    );
    expect(all).not.toContain("wrong-guess-xyz");
    expect(all).not.toContain(user.password);
  });
});

describe("reading", () => {
  it("only admins list, read the retention or export; members get FORBIDDEN, anonymous UNAUTHORIZED", async () => {
    const member = await callerFor();
    await expectCode(member.caller.audit.list({}), "FORBIDDEN");
    await expectCode(member.caller.audit.actions(), "FORBIDDEN");
    await expectCode(member.caller.audit.retention(), "FORBIDDEN");
    await expectCode(member.caller.workspace.update({ auditRetentionDays: 1 }), "FORBIDDEN");
    const anon = createCaller(await createContext({ db: t.db, env }));
    await expectCode(anon.audit.list({}), "UNAUTHORIZED");
    const before = await t.db.auditEntry.count({ where: { action: "audit.exported" } });
    await expect(exportAuditCsv(t.db, member.actor, {})).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await t.db.auditEntry.count({ where: { action: "audit.exported" } })).toBe(before);
    // The admin's view, for contrast.
    const admin = await callerFor("admin");
    expect((await admin.caller.audit.list({ limit: 1 })).entries).toHaveLength(1);
  });

  it("filters by action, actor and time, and pages by cursor without gaps or repeats", async () => {
    const admin = await callerFor("admin");
    const actor = await callerFor();
    for (let i = 0; i < 5; i++) await actor.caller.tokens.create({ name: `paging-${i}` });
    const mine = await admin.caller.audit.list({ actorId: actor.user.id });
    expect(mine.entries.map((e) => e.targetLabel)).toEqual([4, 3, 2, 1, 0].map((i) => `paging-${i}`));
    expect(mine.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.caller.audit.list({
        action: "token.created",
        actorId: actor.user.id,
        limit: 2,
        cursor,
      });
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(mine.entries.map((e) => e.id));

    const byLabel = await admin.caller.audit.list({ actor: actor.user.email.slice(0, 12).toUpperCase() });
    expect(byLabel.entries.every((e) => e.actorLabel.startsWith(actor.user.email.slice(0, 12)))).toBe(true);
    expect(byLabel.entries.length).toBeGreaterThanOrEqual(5);
    // LIKE wildcards are literal: "%" matches only labels containing "%".
    expect((await admin.caller.audit.list({ actor: "%" })).entries).toHaveLength(0);
    expect(
      (await admin.caller.audit.list({ actor: "_" })).entries.every((e) => e.actorLabel.includes("_")),
    ).toBe(true);

    const future = new Date(Date.now() + 3600_000);
    expect((await admin.caller.audit.list({ from: future })).entries).toHaveLength(0);
    const onlyOld = await admin.caller.audit.list({
      to: new Date(mine.entries[4]!.at.getTime()),
      actorId: actor.user.id,
    });
    expect(onlyOld.entries).toHaveLength(0);
    expect(
      (await admin.caller.audit.list({ from: mine.entries[4]!.at, actorId: actor.user.id })).entries,
    ).toHaveLength(5);
    await expectCode(admin.caller.audit.list({ cursor: "not-a-cursor" }), "BAD_REQUEST");
    await expectCode(admin.caller.audit.list({ action: "made.up" as "auth.sign_in" }), "BAD_REQUEST");
  });

  it("exports CSV with a header, quoted fields and formula-safe cells, and records the export once", async () => {
    const admin = await callerFor("admin");
    const actor = await callerFor();
    await actor.caller.tokens.create({ name: '=SUM(1,2) "x"' });
    await actor.caller.tokens.create({ name: "+cmd|' /C calc'!A0" });
    await actor.caller.tokens.create({ name: "@risky, -2" });
    const lines = await exportAuditCsv(
      t.db,
      admin.actor,
      { actorId: actor.user.id },
      { ip: admin.ip, userAgent: UA },
    );
    let csv = "";
    for await (const line of lines) csv += line;
    const rows = csv.split("\r\n").filter(Boolean);
    expect(rows[0]).toBe(
      '"time","actor","actor_id","action","target_type","target_id","target","address","user_agent","details"',
    );
    expect(rows).toHaveLength(4);
    expect(csv).toContain(`"'=SUM(1,2) ""x"""`);
    expect(csv).toContain(`"'+cmd|' /C calc'!A0"`);
    expect(csv).toContain(`"'@risky, -2"`);
    expect(csv).toContain(`"${actor.user.email}"`);
    expect(csv).toContain(`"${actor.ip}"`);
    expect(await entriesOf("audit.exported", { actorId: admin.user.id })).toMatchObject([
      { ip: admin.ip, userAgent: UA, details: { filter: { actorId: actor.user.id } } },
    ]);
  });
});

describe("append-only and retention", () => {
  it("refuses UPDATE, DELETE and TRUNCATE on the table", async () => {
    const [entry] = await t.db.auditEntry.findMany({ take: 1 });
    expect(entry).toBeDefined();
    await expect(t.db.auditEntry.update({ where: { id: entry!.id }, data: { action: "x" } })).rejects.toThrow(
      /append-only/,
    );
    await expect(t.db.auditEntry.deleteMany({ where: { id: entry!.id } })).rejects.toThrow(/append-only/);
    await expect(t.db.$executeRawUnsafe(`TRUNCATE "AuditEntry"`)).rejects.toThrow(/append-only/);
    expect(await t.db.auditEntry.findUnique({ where: { id: entry!.id } })).toEqual(entry);
  });

  it("removes exactly the entries older than the retention, in batches, and records that it did", async () => {
    const admin = await callerFor("admin");
    const day = 24 * 3600_000;
    const now = Date.now();
    const ages = [40, 31, 30.5, 29, 5]; // days
    for (const [i, age] of ages.entries()) {
      await t.db.$executeRaw`
        INSERT INTO "AuditEntry" (id, at, "actorLabel", action, details)
        VALUES (gen_random_uuid(), ${new Date(now - age * day)}, ${`retention-${i}`}, 'auth.sign_in_failed', '{}')`;
    }
    await admin.caller.workspace.update({ auditRetentionDays: 0 });
    expect(await pruneAuditEntries(t.db, { batchSize: 2, now: new Date(now) })).toBe(0);
    await admin.caller.workspace.update({ auditRetentionDays: 30 });
    const total = await t.db.auditEntry.count();
    expect(await pruneAuditEntries(t.db, { batchSize: 2, now: new Date(now) })).toBe(3);
    const left = await t.db.auditEntry.findMany({ where: { actorLabel: { startsWith: "retention-" } } });
    expect(left.map((e) => e.actorLabel).sort()).toEqual(["retention-3", "retention-4"]);
    expect(await t.db.auditEntry.count()).toBe(total - 3 + 1);
    expect(await entriesOf("audit.pruned")).toMatchObject([
      { actorId: null, details: { removed: 3, retentionDays: 30 } },
    ]);
    expect(await pruneAuditEntries(t.db, { now: new Date(now) })).toBe(0);
    await admin.caller.workspace.update({ auditRetentionDays: 365 });
  });
});
