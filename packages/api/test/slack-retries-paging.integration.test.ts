/**
 * Issue 15, two promises of the Slack-compatible API checked with the real `@slack/web-api`
 * WebClient (slack-serve.ts serves the handler the web app mounts on /api/slack/):
 * - a bot's post is idempotent by `client_msg_id`: the same post again (a retry after a lost
 *   answer), also two at once, stores one message and answers the same `ts`; a post without one
 *   is a new message every time (docs/integrations.md says so); an id already used in another
 *   channel is refused, storing nothing.
 */

import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { addMembers, createChannel } from "@parley/core";
import { type ChatPostMessageArguments, WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackHandler } from "../src/slack/index.ts";
import { signedInCaller, TEST_ENV, useApiTestDb } from "./helpers.ts";
import { serve, slackError } from "./slack-serve.ts";

const { db } = useApiTestDb("Slack Retries", 6);

let server: Server;
let base = "";
let owner: Awaited<ReturnType<typeof signedInCaller>>;
let botId = "";
let token = "";
let channel = "";
let other = "";

const client = () =>
  new WebClient(token, { slackApiUrl: base, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });

beforeAll(async () => {
  owner = await signedInCaller(db(), "owner");
  const bot = await owner.caller.bots.create({ name: "Retry Bot" });
  botId = bot.id;
  [channel, other] = (await Promise.all(
    ["retries", "retries-other"].map(async (name) => {
      const made = await createChannel(db(), owner.actor, { name });
      await addMembers(db(), owner.actor, { conversationId: made.id, userIds: [bot.id] });
      return made.id;
    }),
  )) as [string, string];
  const made = await owner.caller.bots.createToken({
    botId: bot.id,
    name: "retries",
    channelIds: [channel, other],
    canRead: true,
    canWrite: true,
  });
  token = made.token;
  const started = await serve(createSlackHandler({ db: db(), env: TEST_ENV }));
  server = started.server;
  base = started.base;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** The bot's messages in `conversationId` with this body. */
const stored = (conversationId: string, body: string) =>
  db().message.findMany({
    where: { conversationId, senderId: botId, body },
    select: { id: true, seq: true },
  });

describe("chat.postMessage with client_msg_id, through the WebClient", () => {
  it("stores a repeated post once and answers the first post's ts", async () => {
    const bot = client();
    // The WebClient sends every argument; Slack's own clients put client_msg_id on their posts.
    const args = {
      channel,
      text: "deploy *finished*",
      client_msg_id: randomUUID(),
    } as ChatPostMessageArguments;
    const first = await bot.chat.postMessage(args);
    expect(first).toMatchObject({ ok: true, channel, message: { text: "deploy **finished**" } });
    const again = await bot.chat.postMessage(args);
    expect(again).toMatchObject({ ok: true, channel, ts: first.ts });
    // Upper case is the same UUID.
    const upper = { ...args, client_msg_id: (args as { client_msg_id: string }).client_msg_id.toUpperCase() };
    expect((await bot.chat.postMessage(upper as ChatPostMessageArguments)).ts).toBe(first.ts);
    expect(await stored(channel, "deploy **finished**")).toHaveLength(1);

    // Two at once (a retry racing the first attempt): one message, one ts.
    const racing = { channel, text: "racing", client_msg_id: randomUUID() } as ChatPostMessageArguments;
    const [a, b] = await Promise.all([bot.chat.postMessage(racing), bot.chat.postMessage(racing)]);
    expect(a.ts).toBe(b.ts);
    expect(await stored(channel, "racing")).toHaveLength(1);
  });

  it("does not deduplicate posts without client_msg_id", async () => {
    const bot = client();
    const one = await bot.chat.postMessage({ channel, text: "no id" });
    const two = await bot.chat.postMessage({ channel, text: "no id" });
    expect(two.ts).not.toBe(one.ts);
    expect(await stored(channel, "no id")).toHaveLength(2);
  });

  it("refuses a client_msg_id already used in another channel, storing nothing", async () => {
    const bot = client();
    const id = randomUUID();
    await bot.chat.postMessage({ channel, text: "first use", client_msg_id: id } as ChatPostMessageArguments);
    const before = await db().message.count();
    const reused = { channel: other, text: "second use", client_msg_id: id } as ChatPostMessageArguments;
    expect(await slackError(bot.chat.postMessage(reused))).toBe("invalid_arguments");
    expect(await db().message.count()).toBe(before);
  });
});
