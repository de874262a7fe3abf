/**
 * Issue 15, Settings → Bots: admins make bots and scoped tokens; bad input is refused with a clear
 * error and writes nothing; a bot cannot sign in or be given a password; bots carry `isBot` in
 * people and member lists. (The tokens at work: slack-web-api.integration.test.ts.)
 */
import { createChannel, openDm, verifyCredentials } from "@parley/core";
import { tableDigests } from "@parley/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { expectCode, signedInCaller, useApiTestDb } from "./helpers.ts";

const { db } = useApiTestDb("Bots", 4);
let owner: Awaited<ReturnType<typeof signedInCaller>>;
let member: Awaited<ReturnType<typeof signedInCaller>>;
let channelId: string;

beforeAll(async () => {
  owner = await signedInCaller(db(), "owner");
  member = await signedInCaller(db(), "member");
  channelId = (await createChannel(db(), owner.actor, { name: "alerts", memberIds: [member.actor.userId] }))
    .id;
});

/** Runs a refused call and checks no table changed. */
async function refusedWithoutWrites(
  call: () => Promise<unknown>,
  code: "BAD_REQUEST" | "NOT_FOUND",
  text?: RegExp,
) {
  const before = await tableDigests(db());
  await expectCode(call(), code, text);
  const after = await tableDigests(db());
  expect(Object.keys(after).filter((t) => after[t] !== before[t])).toEqual([]);
}

describe("bots (admins)", () => {
  it("makes a bot that is a member-role user marked isBot, listed with a bot flag, in no channel", async () => {
    const bot = await owner.caller.bots.create({ name: "Alert Bot" });
    const row = await db().user.findUniqueOrThrow({ where: { id: bot.id } });
    expect(row).toMatchObject({ isBot: true, role: "member", deactivatedAt: null });
    expect(await db().membership.count({ where: { userId: bot.id } })).toBe(0);
    const people = await member.caller.users.list();
    expect(people.find((p) => p.id === bot.id)?.isBot).toBe(true);
    expect(people.find((p) => p.id === member.actor.userId)?.isBot).toBe(false);
    await owner.caller.conversations.addMembers({ conversationId: channelId, userIds: [bot.id] });
    const members = await member.caller.conversations.members({ conversationId: channelId });
    expect(members.find((m) => m.userId === bot.id)?.isBot).toBe(true);
    expect((await owner.caller.bots.list()).map((b) => b.name)).toContain("Alert Bot");
  });

  it("refuses bad token requests with a clear error and writes nothing", async () => {
    const bot = await owner.caller.bots.create({ name: "Strict Bot" });
    const base = { botId: bot.id, name: "t", channelIds: [channelId], canRead: true, canWrite: true };
    await refusedWithoutWrites(
      () => owner.caller.bots.createToken({ ...base, canRead: false, canWrite: false }),
      "BAD_REQUEST",
      /allow reading, writing or both/,
    );
    await refusedWithoutWrites(
      () => owner.caller.bots.createToken({ ...base, channelIds: [] }),
      "BAD_REQUEST",
      /at least one channel/,
    );
    const dm = await openDm(db(), owner.actor, { userIds: [member.actor.userId] });
    await refusedWithoutWrites(
      () => owner.caller.bots.createToken({ ...base, channelIds: [channelId, dm.id] }),
      "BAD_REQUEST",
      /must be a channel/,
    );
    // A person is not a bot; a deactivated bot gets no new token.
    await refusedWithoutWrites(
      () => owner.caller.bots.createToken({ ...base, botId: member.actor.userId }),
      "NOT_FOUND",
      /Bot not found/,
    );
    await owner.caller.users.deactivate({ userId: bot.id });
    await refusedWithoutWrites(() => owner.caller.bots.createToken(base), "NOT_FOUND", /Bot not found/);
  });

  it("revokes a token once; a second revoke is NOT_FOUND", async () => {
    const bot = await owner.caller.bots.create({ name: "Once Bot" });
    const made = await owner.caller.bots.createToken({
      botId: bot.id,
      name: "t",
      channelIds: [channelId],
      canRead: true,
      canWrite: false,
    });
    expect(made.token).toMatch(/^pbt_[A-Za-z0-9_-]{40,}$/);
    expect(made.prefix).toBe(made.token.slice(0, 12));
    await owner.caller.bots.revokeToken({ id: made.id });
    await refusedWithoutWrites(
      () => owner.caller.bots.revokeToken({ id: made.id }),
      "NOT_FOUND",
      /Token not found/,
    );
    const listed = (await owner.caller.bots.list()).find((b) => b.id === bot.id);
    expect(listed?.tokens).toEqual([]);
  });

  it("never lets a bot sign in or have a password reset link", async () => {
    const bot = await owner.caller.bots.create({ name: "Locked Bot" });
    const { email } = await db().user.findUniqueOrThrow({ where: { id: bot.id } });
    expect(await verifyCredentials(db(), { email, password: "!bot" })).toBeNull();
    const failed = await db().auditEntry.findFirstOrThrow({
      where: { action: "auth.sign_in_failed", actorId: bot.id },
      orderBy: { at: "desc" },
    });
    expect(failed.details).toMatchObject({ reason: "bot account" });
    await refusedWithoutWrites(
      () => owner.caller.users.createPasswordReset({ userId: bot.id }),
      "BAD_REQUEST",
      /Bots have no password/,
    );
  });
});
