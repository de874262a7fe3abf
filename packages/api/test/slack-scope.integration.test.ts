/**
 * Issue 15, the bot token's reach, method by method: every Slack method that names a channel,
 * called with a bot token about a public channel outside its scope answers `not_in_channel`,
 * about a private channel the bot is not in or an unknown id `channel_not_found` (the same answer:
 * it reveals nothing), and with a read-only token's writes `missing_scope` — and writes nothing
 * (every table compared). The handler is called directly (Request → Response).
 */
import { randomUUID } from "node:crypto";
import { addMembers, createBot, createBotToken, createChannel, messageTs, sendMessage } from "@parley/core";
import { seedUser } from "@parley/db/seed";
import { tableDigests } from "@parley/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { createSlackHandler } from "../src/slack/index.ts";
import { TEST_ENV, useApiTestDb } from "./helpers.ts";

const { db } = useApiTestDb("Slack Scope", 4);

type TCase = {
  method: string;
  args: (channel: string, ts: string) => Record<string, string>;
  writes: boolean;
};

/** Every method that names a channel, with arguments valid but for the channel. */
const CHANNEL_METHODS: TCase[] = [
  { method: "chat.postMessage", args: (channel) => ({ channel, text: "hi" }), writes: true },
  { method: "chat.update", args: (channel, ts) => ({ channel, ts, text: "edit" }), writes: true },
  { method: "chat.delete", args: (channel, ts) => ({ channel, ts }), writes: true },
  { method: "conversations.history", args: (channel) => ({ channel }), writes: false },
  { method: "conversations.replies", args: (channel, ts) => ({ channel, ts }), writes: false },
  { method: "conversations.info", args: (channel) => ({ channel }), writes: false },
  { method: "conversations.members", args: (channel) => ({ channel }), writes: false },
  { method: "conversations.join", args: (channel) => ({ channel }), writes: true },
  { method: "conversations.invite", args: (channel) => ({ channel, users: randomUUID() }), writes: true },
  {
    method: "reactions.add",
    args: (channel, ts) => ({ channel, timestamp: ts, name: "tada" }),
    writes: true,
  },
  {
    method: "reactions.remove",
    args: (channel, ts) => ({ channel, timestamp: ts, name: "tada" }),
    writes: true,
  },
  {
    method: "files.completeUploadExternal",
    args: (channel) => ({ channel_id: channel, files: JSON.stringify([{ id: randomUUID() }]) }),
    writes: true,
  },
];

let call: (
  method: string,
  token: string,
  args: Record<string, string>,
) => Promise<{ error?: string; ok: boolean }>;
let w: {
  token: string;
  readOnly: string;
  scoped: { id: string; ts: string };
  unscoped: { id: string; ts: string };
  hidden: { id: string; ts: string };
};

beforeAll(async () => {
  const owner = await seedUser(db(), { role: "owner" });
  const actor = { userId: owner.id, role: owner.role };
  const bot = await createBot(db(), actor, { name: "Scope Bot" });
  const channel = async (name: string, isPrivate: boolean, withBot: boolean) => {
    const c = await createChannel(db(), actor, { name, isPrivate, memberIds: withBot ? [bot.id] : [] });
    const sent = await sendMessage(db(), actor, {
      conversationId: c.id,
      clientMsgId: randomUUID(),
      body: "x",
    });
    if (sent.duplicate) throw new Error("fresh send");
    return { id: c.id, ts: messageTs(sent.message.createdAt, sent.message.seq) };
  };
  const scoped = await channel("scoped", false, true);
  const unscoped = await channel("unscoped", false, false);
  const hidden = await channel("hidden", true, false);
  await addMembers(db(), actor, { conversationId: unscoped.id, userIds: [bot.id] });
  const base = { botId: bot.id, channelIds: [scoped.id], canRead: true };
  const token = (await createBotToken(db(), actor, { ...base, name: "rw", canWrite: true })).token;
  const readOnly = (await createBotToken(db(), actor, { ...base, name: "ro", canWrite: false })).token;
  w = { token, readOnly, scoped, unscoped, hidden };
  const handler = createSlackHandler({ db: db(), env: TEST_ENV });
  call = async (method, bearer, args) => {
    const res = await handler(
      new Request(`http://localhost/api/slack/${method}`, {
        method: "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(args).toString(),
      }),
    );
    expect(res.status).toBe(200);
    return (await res.json()) as { ok: boolean; error?: string };
  };
});

/** The tables that changed while `run` ran, but the token's lastUsedAt (a call touches it). */
async function writesOf(run: () => Promise<unknown>): Promise<string[]> {
  const before = await tableDigests(db());
  await run();
  const after = await tableDigests(db());
  return Object.keys(after).filter((t) => after[t] !== before[t] && t !== "BotToken");
}

describe("a bot token reaches only its scoped channels, for every method", () => {
  it.each(CHANNEL_METHODS)("$method", async ({ method, args, writes }) => {
    // Even though the bot is a member of the unscoped channel, its token does not reach it.
    const outside = await call(method, w.token, args(w.unscoped.id, w.unscoped.ts));
    expect(outside).toEqual({ ok: false, error: "not_in_channel" });
    for (const channel of [w.hidden, { id: randomUUID(), ts: "1.000001" }]) {
      expect(await writesOf(() => call(method, w.token, args(channel.id, channel.ts)))).toEqual([]);
      expect(await call(method, w.token, args(channel.id, channel.ts))).toEqual({
        ok: false,
        error: "channel_not_found",
      });
    }
    expect(await writesOf(() => call(method, w.token, args(w.unscoped.id, w.unscoped.ts)))).toEqual([]);
    if (writes) {
      const refused = await call(method, w.readOnly, args(w.scoped.id, w.scoped.ts));
      expect(refused).toMatchObject({ ok: false, error: "missing_scope", needed: "chat:write" });
      expect(await writesOf(() => call(method, w.readOnly, args(w.scoped.id, w.scoped.ts)))).toEqual([]);
    } else {
      expect((await call(method, w.readOnly, args(w.scoped.id, w.scoped.ts))).ok).toBe(true);
    }
  });
});
