/**
 * Issue 15: the Slack-compatible Web API driven by the real `@slack/web-api` WebClient (pinned dev
 * dependency) pointed at the same framework-free handler the web app mounts on /api/slack/, here
 * on a plain node:http server. A bot made through the admin procedures, with a token scoped to two
 * channels, posts, threads, edits, deletes, reads with the client's own pagination, manages
 * channels and reacts; its messages reach a member through the Event log like anyone's; and the
 * refusals use Slack's codes (invalid_auth, channel_not_found, not_in_channel, missing_scope,
 * ratelimited).
 */
import type { Server } from "node:http";
import {
  AuthRateLimiter,
  addMembers,
  authLimitsFrom,
  createChannel,
  getHistory,
  messageTs,
  parseMessageTs,
  verifyCredentials,
} from "@parley/core";
import { EventKind } from "@parley/protocol";
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackHandler } from "../src/slack/index.ts";
import { signedInCaller, TEST_ENV, useApiTestDb } from "./helpers.ts";
import { serve, slackError } from "./slack-serve.ts";

const { db } = useApiTestDb("Slack Corp", 6);

type TWorld = Awaited<ReturnType<typeof seed>>;
let w: TWorld;
let servers: Server[] = [];
let base = "";

async function seed() {
  const owner = await signedInCaller(db(), "owner");
  const member = await signedInCaller(db(), "member");
  const memberUser = await db().user.findUniqueOrThrow({ where: { id: member.actor.userId } });
  const channel = (name: string, isPrivate = false, memberIds: string[] = [member.actor.userId]) =>
    createChannel(db(), owner.actor, { name, isPrivate, memberIds });
  const [scoped, scopedPrivate, unscoped, hidden] = await Promise.all([
    channel("deploys"),
    channel("ops-private", true),
    channel("random-talk"),
    channel("secret-plans", true),
  ]);
  const bot = await owner.caller.bots.create({ name: "Deploy Bot" });
  await addMembers(db(), owner.actor, { conversationId: scopedPrivate.id, userIds: [bot.id] });
  const scope = { channelIds: [scoped.id, scopedPrivate.id], canRead: true, canWrite: true };
  const made = await owner.caller.bots.createToken({ botId: bot.id, name: "ci", ...scope });
  const readOnly = await owner.caller.bots.createToken({
    botId: bot.id,
    name: "reader",
    ...scope,
    canWrite: false,
  });
  return {
    owner,
    member,
    memberUser,
    scoped,
    scopedPrivate,
    unscoped,
    hidden,
    bot,
    token: made.token,
    readOnly,
  };
}

const client = (token: string | undefined, url = base) =>
  new WebClient(token, { slackApiUrl: url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });

beforeAll(async () => {
  w = await seed();
  const started = await serve(createSlackHandler({ db: db(), env: TEST_ENV }));
  servers.push(started.server);
  base = started.base;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

describe("Slack-compatible Web API through @slack/web-api's WebClient", () => {
  it("auth.test names the bot, its workspace and the server", async () => {
    const res = await client(w.token).auth.test();
    expect(res).toMatchObject({ ok: true, user_id: w.bot.id, user: "Deploy Bot", team: "Slack Corp" });
    expect(res.url).toBe("https://chat.example.test/"); // PUBLIC_URL
    expect(res.bot_id).toEqual(expect.any(String));
  });

  it("posts (after joining) through the send path: mrkdwn becomes markdown and a member gets the event", async () => {
    const bot = client(w.token);
    // In scope but not a member yet: Slack's not_in_channel, nothing stored.
    expect(await slackError(bot.chat.postMessage({ channel: w.scoped.id, text: "early" }))).toBe(
      "not_in_channel",
    );
    const joined = await bot.conversations.join({ channel: w.scoped.id });
    expect(joined.channel?.is_member).toBe(true);

    const posted = await bot.chat.postMessage({
      channel: w.scoped.id,
      text: "*Deployed* _v2_ ~old~ to <https://example.test/run/1|prod> &amp; done `*raw*`",
    });
    expect(posted.ok).toBe(true);
    expect(posted.channel).toBe(w.scoped.id);
    const body = "**Deployed** _v2_ ~~old~~ to [prod](https://example.test/run/1) & done `*raw*`";
    expect(posted.message?.text).toBe(body);
    // ts: "<seconds>.<six digits of seq>", parseable back to this message's seq.
    const ts = posted.ts ?? "";
    expect(ts).toMatch(/^\d+\.\d{6}$/);
    const stored = await db().message.findFirstOrThrow({ where: { conversationId: w.scoped.id, body } });
    expect(stored.senderId).toBe(w.bot.id);
    expect(parseMessageTs(ts)).toEqual({
      seconds: Math.floor(stored.createdAt.getTime() / 1000),
      seqLow: stored.seq,
    });
    // The usual event path: a message.created event in the channel's log, which the member reads.
    const event = await db().event.findUniqueOrThrow({
      where: { conversationId_seq: { conversationId: w.scoped.id, seq: stored.seq } },
    });
    expect(event.kind).toBe(EventKind.MessageCreated);
    expect(event.actorId).toBe(w.bot.id);
    const seen = await getHistory(db(), w.member.actor, { conversationId: w.scoped.id });
    expect(seen.messages.map((m) => m.body)).toContain(body);
  });

  it("renders blocks as text sections and threads replies with thread_ts", async () => {
    const bot = client(w.token);
    const root = await bot.chat.postMessage({
      channel: w.scoped.id,
      text: "fallback",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "Release" } },
        { type: "section", text: { type: "mrkdwn", text: "*all* green" } },
        { type: "divider" },
      ],
    });
    expect(root.message?.text).toBe("**Release**\n\n**all** green\n\n---");
    const reply = await bot.chat.postMessage({ channel: w.scoped.id, text: "details", thread_ts: root.ts });
    expect(reply.message?.thread_ts).toBe(root.ts);
    const stored = await db().message.findFirstOrThrow({
      where: { conversationId: w.scoped.id, body: "details" },
    });
    const rootRow = await db().message.findFirstOrThrow({
      where: { conversationId: w.scoped.id, seq: stored.seq - 1 },
    });
    expect(stored.threadRootId).toBe(rootRow.id);
    // An unknown thread_ts is refused and stores nothing.
    const before = await db().message.count();
    expect(
      await slackError(bot.chat.postMessage({ channel: w.scoped.id, text: "x", thread_ts: "1.999999" })),
    ).toBe("thread_not_found");
    expect(await db().message.count()).toBe(before);
  });

  it("updates and deletes its message by ts", async () => {
    const bot = client(w.token);
    const posted = await bot.chat.postMessage({ channel: w.scoped.id, text: "typo" });
    const updated = await bot.chat.update({ channel: w.scoped.id, ts: posted.ts ?? "", text: "*fixed*" });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: "**fixed**" });
    const row = await db().message.findFirstOrThrow({
      where: { conversationId: w.scoped.id, body: "**fixed**" },
    });
    expect(row.editedAt).not.toBeNull();
    const deleted = await bot.chat.delete({ channel: w.scoped.id, ts: posted.ts ?? "" });
    expect(deleted).toMatchObject({ ok: true, ts: posted.ts });
    expect((await db().message.findUniqueOrThrow({ where: { id: row.id } })).deletedAt).not.toBeNull();
    expect(await slackError(bot.chat.delete({ channel: w.scoped.id, ts: posted.ts ?? "" }))).toBe(
      "message_not_found",
    );
    // Someone else's message: Slack's cant_update_message / cant_delete_message.
    const theirs = await w.member.caller.messages.send({
      conversationId: w.scoped.id,
      clientMsgId: crypto.randomUUID(),
      body: "mine",
    });
    if (theirs.duplicate) throw new Error("a fresh send");
    const theirTs = messageTs(theirs.message.createdAt, theirs.message.seq);
    expect(await slackError(bot.chat.update({ channel: w.scoped.id, ts: theirTs, text: "hijack" }))).toBe(
      "cant_update_message",
    );
    expect(await slackError(bot.chat.delete({ channel: w.scoped.id, ts: theirTs }))).toBe(
      "cant_delete_message",
    );
  });

  it("pages history and replies with the client's paginate helper", async () => {
    const bot = client(w.token);
    const channel = w.scopedPrivate.id;
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) {
      sent.push((await bot.chat.postMessage({ channel, text: `line ${i}` })).ts ?? "");
    }
    const pages: string[][] = [];
    for await (const page of bot.paginate("conversations.history", { channel, limit: 3 })) {
      pages.push(
        (((page as { messages?: unknown }).messages as { ts: string }[] | undefined) ?? []).map((m) => m.ts),
      );
    }
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((p) => p.length <= 3)).toBe(true);
    const all = pages.flat();
    expect(all).toEqual([...sent].reverse());

    // latest/oldest by ts (exclusive by default) pick the messages between.
    const between = await bot.conversations.history({ channel, oldest: sent[1], latest: sent[5] });
    expect(between.messages?.map((m) => m.ts)).toEqual([sent[4], sent[3], sent[2]]);

    const root = sent[0] ?? "";
    const replyTs: string[] = [];
    for (let i = 0; i < 5; i++) {
      replyTs.push((await bot.chat.postMessage({ channel, text: `reply ${i}`, thread_ts: root })).ts ?? "");
    }
    const seen: string[] = [];
    let calls = 0;
    for await (const page of bot.paginate("conversations.replies", { channel, ts: root, limit: 2 })) {
      calls += 1;
      seen.push(
        ...(((page as { messages?: unknown }).messages as { ts: string }[] | undefined) ?? []).map(
          (m) => m.ts,
        ),
      );
    }
    expect(calls).toBe(3);
    expect(seen).toEqual([root, ...replyTs]);
    // A reply's ts opens the same thread.
    const viaReply = await bot.conversations.replies({ channel, ts: replyTs[2] ?? "", limit: 10 });
    expect(viaReply.messages?.[0]?.ts).toBe(root);
  });

  it("lists, describes, creates, joins and invites within the token's scope", async () => {
    const bot = client(w.token);
    const listed = await bot.conversations.list({ types: "public_channel,private_channel" });
    const ids = listed.channels?.map((c) => c.id) ?? [];
    expect(ids.sort()).toEqual([w.scoped.id, w.scopedPrivate.id].sort());
    const info = await bot.conversations.info({ channel: w.scopedPrivate.id });
    expect(info.channel).toMatchObject({ id: w.scopedPrivate.id, name: "ops-private", is_private: true });

    const members: string[] = [];
    for await (const page of bot.paginate("conversations.members", {
      channel: w.scopedPrivate.id,
      limit: 1,
    })) {
      members.push(...(((page as { members?: unknown }).members as string[] | undefined) ?? []));
    }
    expect(members).toEqual(expect.arrayContaining([w.bot.id, w.member.actor.userId, w.owner.actor.userId]));

    // A channel the bot makes joins its token's scope, so it can invite and post there.
    const created = await bot.conversations.create({ name: "bot-room" });
    const roomId = created.channel?.id ?? "";
    expect(created.channel).toMatchObject({ name: "bot-room", is_member: true });
    await bot.conversations.invite({ channel: roomId, users: w.member.actor.userId });
    const roomMembers = await bot.conversations.members({ channel: roomId });
    expect(roomMembers.members).toEqual(expect.arrayContaining([w.bot.id, w.member.actor.userId]));
    expect((await bot.chat.postMessage({ channel: roomId, text: "hello room" })).ok).toBe(true);
    expect(await slackError(bot.conversations.create({ name: "bot-room" }))).toBe("name_taken");
  });

  it("answers users.list, users.info and users.lookupByEmail, with bots marked", async () => {
    const bot = client(w.token);
    const everyone: { id?: string; is_bot?: boolean }[] = [];
    for await (const page of bot.paginate("users.list", { limit: 2 })) {
      everyone.push(
        ...(((page as { members?: unknown }).members as { id?: string; is_bot?: boolean }[] | undefined) ??
          []),
      );
    }
    expect(everyone.find((u) => u.id === w.bot.id)?.is_bot).toBe(true);
    expect(everyone.find((u) => u.id === w.member.actor.userId)?.is_bot).toBe(false);
    const info = await bot.users.info({ user: w.member.actor.userId });
    expect(info.user).toMatchObject({ id: w.member.actor.userId, real_name: w.memberUser.name });
    const found = await bot.users.lookupByEmail({ email: w.memberUser.email.toUpperCase() });
    expect(found.user?.id).toBe(w.member.actor.userId);
    expect(await slackError(bot.users.lookupByEmail({ email: "nobody@nowhere.test" }))).toBe(
      "users_not_found",
    );
    expect(await slackError(bot.users.info({ user: crypto.randomUUID() }))).toBe("user_not_found");
  });

  it("adds and removes reactions, with Slack's already_reacted and no_reaction", async () => {
    const bot = client(w.token);
    const posted = await bot.chat.postMessage({ channel: w.scoped.id, text: "react to me" });
    const target = { channel: w.scoped.id, timestamp: posted.ts ?? "", name: "thumbsup" };
    expect((await bot.reactions.add(target)).ok).toBe(true);
    expect(await slackError(bot.reactions.add(target))).toBe("already_reacted");
    const page = await bot.conversations.history({ channel: w.scoped.id, limit: 1 });
    expect(page.messages?.[0]?.reactions).toEqual([{ name: "thumbsup", users: [w.bot.id], count: 1 }]);
    expect((await bot.reactions.remove(target)).ok).toBe(true);
    expect(await slackError(bot.reactions.remove(target))).toBe("no_reaction");
  });

  it("refuses bad tokens, unknown and unscoped channels and missing scopes with Slack's codes, writing nothing", async () => {
    expect(await slackError(client("pbt_not-a-real-token").auth.test())).toBe("invalid_auth");
    expect(await slackError(client("xoxb-123").auth.test())).toBe("invalid_auth");
    expect(await slackError(client(undefined).auth.test())).toBe("not_authed");
    const bot = client(w.token);
    const before = await db().message.count();
    // Unknown ids and a private channel the bot is not in answer alike.
    expect(await slackError(bot.chat.postMessage({ channel: crypto.randomUUID(), text: "x" }))).toBe(
      "channel_not_found",
    );
    expect(await slackError(bot.chat.postMessage({ channel: "C024BE91L", text: "x" }))).toBe(
      "channel_not_found",
    );
    expect(await slackError(bot.conversations.history({ channel: w.hidden.id }))).toBe("channel_not_found");
    // A public channel outside the scope: readable by the bot user, not by this token.
    expect(await slackError(bot.chat.postMessage({ channel: w.unscoped.id, text: "x" }))).toBe(
      "not_in_channel",
    );
    expect(await slackError(bot.conversations.history({ channel: w.unscoped.id }))).toBe("not_in_channel");
    expect(await slackError(bot.conversations.join({ channel: w.unscoped.id }))).toBe("not_in_channel");
    // A read-only token reads but does not write.
    const reader = client(w.readOnly.token);
    expect((await reader.conversations.history({ channel: w.scoped.id, limit: 1 })).ok).toBe(true);
    expect(await slackError(reader.chat.postMessage({ channel: w.scoped.id, text: "x" }))).toBe(
      "missing_scope",
    );
    expect(await db().message.count()).toBe(before);
    expect(await db().membership.count({ where: { conversationId: w.unscoped.id, userId: w.bot.id } })).toBe(
      0,
    );
    // The bot user cannot sign in with a password.
    const botUser = await db().user.findUniqueOrThrow({ where: { id: w.bot.id } });
    expect(await verifyCredentials(db(), { email: botUser.email, password: "!bot" })).toBeNull();
  });

  it("takes JSON bodies and the token argument, and a person's personal access token", async () => {
    const res = await fetch(`${base}chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ token: w.token, channel: w.scoped.id, text: "via json" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, channel: w.scoped.id, message: { text: "via json" } });
    const unknown = await fetch(`${base}files.nonsense`, { method: "POST" });
    expect(await unknown.json()).toEqual({ ok: false, error: "unknown_method" });

    const pat = await w.member.caller.tokens.create({ name: "slack sdk" });
    const person = client(pat.token);
    expect((await person.auth.test()).user_id).toBe(w.member.actor.userId);
    // A person's token has the person's rights: every channel they can read.
    const listed = await person.conversations.list({ types: "public_channel,private_channel" });
    expect(listed.channels?.map((c) => c.id)).toEqual(
      expect.arrayContaining([w.scoped.id, w.unscoped.id, w.hidden.id]),
    );
  });

  it("stops a revoked token at once and records bots and tokens in the audit log", async () => {
    const made = await w.owner.caller.bots.createToken({
      botId: w.bot.id,
      name: "short-lived",
      channelIds: [w.scoped.id],
      canRead: true,
      canWrite: false,
    });
    expect((await client(made.token).auth.test()).ok).toBe(true);
    const listed = await w.owner.caller.bots.list();
    const mine = listed.find((b) => b.id === w.bot.id)?.tokens.find((t) => t.id === made.id);
    expect(mine?.lastUsedAt).not.toBeNull();
    expect(mine?.channels).toEqual([{ id: w.scoped.id, name: "deploys" }]);
    await w.owner.caller.bots.revokeToken({ id: made.id });
    expect(await slackError(client(made.token).auth.test())).toBe("invalid_auth");
    const stored = await db().botToken.findUniqueOrThrow({ where: { id: made.id } });
    expect(stored.tokenHash).not.toContain(made.token);
    expect(stored.tokenHash).toHaveLength(64);
    const actions = await db().auditEntry.findMany({
      where: { targetId: w.bot.id },
      select: { action: true },
    });
    const counts = actions.reduce<Record<string, number>>((acc, a) => {
      acc[a.action] = (acc[a.action] ?? 0) + 1;
      return acc;
    }, {});
    expect(counts).toMatchObject({ "bot.created": 1, "bot.token_created": 3, "bot.token_revoked": 1 });
  });

  it("rate-limits per token: 429 with Retry-After, Slack's ratelimited", async () => {
    const limiter = new AuthRateLimiter({ limits: { ...authLimitsFrom(TEST_ENV), apiCallsPerMinute: 2 } });
    const { server, base: limitedBase } = await serve(
      createSlackHandler({ db: db(), env: TEST_ENV, rateLimiter: limiter }),
    );
    servers.push(server);
    const bot = client(w.token, limitedBase);
    await bot.auth.test();
    await bot.auth.test();
    const res = await fetch(`${limitedBase}auth.test`, {
      method: "POST",
      headers: { authorization: `Bearer ${w.token}` },
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.json()).toEqual({ ok: false, error: "ratelimited" });
    const err = await bot.auth.test().catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("slack_webapi_rate_limited_error");
    // Another token has its own budget.
    expect((await client(w.readOnly.token, limitedBase).auth.test()).ok).toBe(true);
  });
});
