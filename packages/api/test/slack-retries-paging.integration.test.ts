/**
 * Issue 15, two promises of the Slack-compatible API checked with the real `@slack/web-api`
 * WebClient (slack-serve.ts serves the handler the web app mounts on /api/slack/):
 * - a bot's post is idempotent by `client_msg_id`: the same post again (a retry after a lost
 *   answer), also two at once, stores one message and answers the same `ts`; a post without one
 *   is a new message every time (docs/integrations.md says so); an id already used in another
 *   channel is refused, storing nothing;
 * - `conversations.list` pages with `cursor`/`limit` (the client's `paginate`): every channel the
 *   token reaches exactly once across the pages — also when channels are made, renamed and
 *   archived between two pages — and `response_metadata.next_cursor` empty on the last page.
 */

import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { addMembers, archiveConversation, createChannel, renameChannel } from "@parley/core";
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
    const clientMsgId = randomUUID();
    const args = {
      channel,
      text: "deploy *finished*",
      client_msg_id: clientMsgId,
    } as ChatPostMessageArguments;
    const first = await bot.chat.postMessage(args);
    expect(first).toMatchObject({ ok: true, channel, message: { text: "deploy **finished**" } });
    const again = await bot.chat.postMessage(args);
    expect(again).toMatchObject({ ok: true, channel, ts: first.ts });
    // Upper case is the same UUID.
    const upper = {
      channel,
      text: "deploy *finished*",
      client_msg_id: clientMsgId.toUpperCase(),
    } as ChatPostMessageArguments;
    expect((await bot.chat.postMessage(upper)).ts).toBe(first.ts);
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

describe("conversations.list paging, through the WebClient", () => {
  /** Every channel id of every page of `conversations.list` (limit 4), and each page's cursor. */
  async function listAll(between?: (page: number) => Promise<void>) {
    const ids: string[] = [];
    const cursors: string[] = [];
    let page = 0;
    for await (const res of client().paginate("conversations.list", {
      types: "public_channel,private_channel",
      limit: 4,
    })) {
      const body = res as { channels?: { id?: string }[]; response_metadata?: { next_cursor?: string } };
      expect(body.channels?.length ?? 0).toBeLessThanOrEqual(4);
      ids.push(...(body.channels ?? []).map((c) => c.id ?? ""));
      cursors.push(body.response_metadata?.next_cursor ?? "missing");
      page++;
      await between?.(page);
    }
    return { ids, cursors };
  }

  it("lists every channel the token reaches exactly once, the last page's next_cursor empty", async () => {
    // A person's token reaches every public channel: 2 + 13 made here.
    const pat = await owner.caller.tokens.create({ name: "paging" });
    token = pat.token;
    const names = Array.from({ length: 13 }, (_, i) => `page-${String(i).padStart(2, "0")}`);
    const made: string[] = [];
    for (const name of names) made.push((await createChannel(db(), owner.actor, { name })).id);
    const expected = [channel, other, ...made].sort();

    const plain = await listAll();
    expect([...plain.ids].sort()).toEqual(expected);
    expect(plain.cursors).toHaveLength(Math.ceil(expected.length / 4));
    expect(plain.cursors.at(-1)).toBe("");
    expect(plain.cursors.slice(0, -1).every((c) => c !== "" && c !== "missing")).toBe(true);
    // The limit is honoured one call at a time too, and a garbled cursor is Slack's invalid_cursor.
    const first = await client().conversations.list({ limit: 4 });
    expect(first.channels).toHaveLength(4);
    expect(await slackError(client().conversations.list({ cursor: "bm9wZQ" }))).toBe("invalid_cursor");

    // The list changing between pages: channels made (one whose name sorts first), one renamed,
    // one archived. Every channel there from start to end is listed exactly once.
    const changing = await listAll(async (page) => {
      if (page !== 2) return;
      await createChannel(db(), owner.actor, { name: "aaa-made-while-paging" });
      await createChannel(db(), owner.actor, { name: "zzz-made-while-paging" });
      await renameChannel(db(), owner.actor, { conversationId: made[12]!, name: "a-renamed" });
      await archiveConversation(db(), owner.actor, { conversationId: made[11]! });
    });
    const seen = new Map<string, number>();
    for (const id of changing.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    expect(
      [...seen.values()].every((n) => n === 1),
      `listed twice: ${changing.ids.join(",")}`,
    ).toBe(true);
    for (const id of expected) expect(seen.get(id), `channel ${id}`).toBe(1);
    expect(changing.cursors.at(-1)).toBe("");
  });
});
