/**
 * The Slack-format workspace export (core/src/export/slack-format.ts) checked against Slack's
 * documented export layout (https://slack.com/help/articles/220556107), independently of Parley's
 * own importer: every file of the zip is parsed with a strict-enough zod schema of its kind written
 * here from Slack's documentation — users.json, channels.json, groups.json (private channels),
 * dms.json, mpims.json (group DMs), and one folder per conversation of `YYYY-MM-DD.json` day files
 * whose messages fall on that (UTC) day. The standard export holds public channels only; the
 * owner's full export (`includePrivate`) holds private channels, DMs and group DMs too, and
 * round-trips through the importer. Who may ask for which is checked here too.
 */
import { randomUUID } from "node:crypto";
import { dmKeyFor } from "@parley/db";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createBot } from "../src/bots/manage.ts";
import { addMembers } from "../src/conversations/members.ts";
import { createChannel, openDm } from "../src/conversations.ts";
import { requestExport } from "../src/export/requests.ts";
import { runPendingExports } from "../src/export/run.ts";
import { addReaction } from "../src/messages/reactions.ts";
import { sendMessage } from "../src/messages/send.ts";
import { importSlackZip } from "../src/slack-import/import.ts";
import { openStoredZip, type TSlackZip } from "../src/slack-import/zip.ts";
import { expectParley, newActor, stored, testStorage, useTestDb } from "./helpers.ts";

// ---- Slack's export layout, as documented (fields Slack always writes are required) ----
const ZTs = z.string().regex(/^\d{10}\.\d{6}$/);
const ZUserId = z.string().min(1);
const ZUsers = z.array(
  z.object({
    id: ZUserId,
    name: z.string().min(1),
    real_name: z.string(),
    deleted: z.boolean(),
    is_admin: z.boolean(),
    is_owner: z.boolean(),
    is_bot: z.boolean(),
    profile: z.object({ email: z.string().email(), real_name: z.string(), display_name: z.string() }),
  }),
);
const ZTopic = z.object({ value: z.string(), creator: z.string(), last_set: z.number().int() });
const ZPin = z.object({ id: ZTs, type: z.string(), created: z.number().int(), user: ZUserId });
const ZChannel = z.object({
  id: z.string().min(1),
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  created: z.number().int().positive(),
  creator: ZUserId,
  is_archived: z.boolean(),
  is_general: z.boolean(),
  members: z.array(ZUserId),
  topic: ZTopic,
  purpose: ZTopic,
  pins: z.array(ZPin).optional(),
});
const ZDm = z.object({
  id: z.string().min(1),
  created: z.number().int().positive(),
  members: z.array(ZUserId),
});
const ZMpim = ZChannel.extend({ name: z.string().regex(/^mpdm-.+(--.+)+-1$/) });
const ZMessage = z.object({
  type: z.literal("message"),
  subtype: z.enum(["thread_broadcast", "tombstone"]).optional(),
  ts: ZTs,
  user: ZUserId,
  text: z.string(),
  thread_ts: ZTs.optional(),
  reply_count: z.number().int().positive().optional(),
  reply_users_count: z.number().int().positive().optional(),
  reply_users: z.array(ZUserId).optional(),
  latest_reply: ZTs.optional(),
  replies: z.array(z.object({ user: ZUserId, ts: ZTs })).optional(),
  parent_user_id: ZUserId.optional(),
  edited: z.object({ user: ZUserId, ts: ZTs }).optional(),
  reactions: z
    .array(z.object({ name: z.string().min(1), users: z.array(ZUserId), count: z.number().int().positive() }))
    .optional(),
  files: z
    .array(z.object({ id: z.string(), name: z.string(), mimetype: z.string(), size: z.number().int() }))
    .optional(),
  pinned_to: z.array(z.string()).optional(),
  hidden: z.boolean().optional(),
});
type TMessage = z.output<typeof ZMessage>;
const DAY_FILE = /^(.+)\/(\d{4}-\d{2}-\d{2})\.json$/;
const TOP_LEVEL = new Set(["users.json", "channels.json", "groups.json", "dms.json", "mpims.json"]);

/** Every file of the zip checked against the layout; the parsed lists and day files. */
async function checkLayout(zip: TSlackZip) {
  const read = async <T>(name: string, schema: z.ZodType<T>) => schema.parse(await zip.readJson(name));
  const users = await read("users.json", ZUsers);
  const userIds = new Set(users.map((u) => u.id));
  const channels = await read("channels.json", z.array(ZChannel));
  const has = (name: string) => zip.names.includes(name);
  const groups = has("groups.json") ? await read("groups.json", z.array(ZChannel)) : null;
  const dms = has("dms.json") ? await read("dms.json", z.array(ZDm)) : null;
  const mpims = has("mpims.json") ? await read("mpims.json", z.array(ZMpim)) : null;
  // Folders: a channel's and a private channel's name, a DM's id, a group DM's name.
  const folders = new Map<string, string>();
  for (const c of channels) folders.set(c.name, c.id);
  for (const c of groups ?? []) folders.set(c.name, c.id);
  for (const c of dms ?? []) folders.set(c.id, c.id);
  for (const c of mpims ?? []) folders.set(c.name, c.id);
  const listed = [...channels, ...(groups ?? []), ...(dms ?? []), ...(mpims ?? [])];
  expect(folders.size, "one folder name per conversation").toBe(listed.length);
  for (const c of listed) for (const m of c.members) expect(userIds.has(m), `member ${m}`).toBe(true);
  const days = new Map<string, TMessage[]>(); // conversation id → its messages in file order
  for (const name of zip.names) {
    if (TOP_LEVEL.has(name)) continue;
    const match = DAY_FILE.exec(name);
    expect(match, `${name} is neither a list nor a day file`).not.toBeNull();
    const [, folder = "", day = ""] = match ?? [];
    const id = folders.get(folder);
    expect(id, `${name} belongs to no listed conversation`).toBeDefined();
    const messages = await read(name, z.array(ZMessage).min(1));
    for (const m of messages) {
      expect(new Date(Number(m.ts.split(".")[0]) * 1000).toISOString().slice(0, 10)).toBe(day);
      expect(userIds.has(m.user) || m.user === "USLACKBOT", `sender ${m.user}`).toBe(true);
    }
    days.set(id as string, [...(days.get(id as string) ?? []), ...messages]);
  }
  // Threads hold together: a reply names a root in its conversation; a root lists its replies.
  for (const messages of days.values()) {
    const byTs = new Map(messages.map((m) => [m.ts, m]));
    for (const m of messages) {
      if (!m.thread_ts || m.thread_ts === m.ts) continue;
      const root = byTs.get(m.thread_ts);
      expect(root?.reply_count, `root of ${m.ts}`).toBeGreaterThan(0);
      expect(root?.replies).toContainEqual({ user: m.user, ts: m.ts });
      expect(m.parent_user_id).toBe(root?.user);
    }
  }
  return { users, channels, groups, dms, mpims, days };
}

const t = useTestDb();
const store = testStorage("slacklayout");

/** Runs the queued export and opens its zip (the caller closes it). */
async function exportedZip(): Promise<TSlackZip> {
  const [result] = await runPendingExports(t.db, store.storage);
  expect(result?.status).toBe("ready");
  return openStoredZip(store.storage, result?.objectKey as string);
}

/** The history of a conversation as the round trip compares it. */
async function historyOf(conversationId: string) {
  const ms = await t.db.message.findMany({
    where: { conversationId, deletedAt: null },
    orderBy: { seq: "asc" },
    include: { reactions: true },
  });
  const index = new Map(ms.map((m, i) => [m.id, i]));
  return ms.map((m) => ({
    senderId: m.senderId,
    body: m.body,
    createdAt: m.createdAt,
    root: m.threadRootId ? index.get(m.threadRootId) : null,
    replyCount: m.replyCount,
    reactions: m.reactions.map((r) => [r.userId, r.emoji]).sort(),
  }));
}

describe("the Slack-format workspace export follows Slack's documented layout", () => {
  const run = randomUUID().slice(0, 8);
  const secret = `whispered-${run}`;
  let owner: Awaited<ReturnType<typeof newActor>>;
  let bob: Awaited<ReturnType<typeof newActor>>;
  let carol: Awaited<ReturnType<typeof newActor>>;
  const ids = { public: "", private: "", dm: "", groupDm: "", bot: "" };

  beforeAll(async () => {
    owner = await newActor(t.db, { role: "owner", name: "Owner" });
    bob = await newActor(t.db, { name: "Bob" });
    carol = await newActor(t.db, { name: "Carol" });
    ids.bot = (await createBot(t.db, owner, { name: `helper-${run}` })).id;
    const send = async (actor: typeof owner, conversationId: string, body: string, extra: object = {}) =>
      stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body, ...extra }));
    ids.public = (await createChannel(t.db, owner, { name: `open-${run}` })).id;
    await addMembers(t.db, owner, { conversationId: ids.public, userIds: [bob.userId] });
    const root = await send(owner, ids.public, "a public root");
    await send(bob, ids.public, "a public reply", { threadRootId: root.id });
    await send(owner, ids.public, "another public reply", { threadRootId: root.id });

    ids.private = (await createChannel(t.db, owner, { name: `hush-${run}`, isPrivate: true })).id;
    await addMembers(t.db, owner, { conversationId: ids.private, userIds: [bob.userId] });
    const privateRoot = await send(bob, ids.private, `${secret} in a private channel`);
    await send(owner, ids.private, "a private reply", { threadRootId: privateRoot.id });
    await addReaction(t.db, owner, { messageId: privateRoot.id, emoji: ":eyes:" });

    ids.dm = (await openDm(t.db, owner, { userIds: [bob.userId] })).id;
    await send(owner, ids.dm, `${secret} in a DM`);
    await send(bob, ids.dm, "a DM answer");
    ids.groupDm = (await openDm(t.db, owner, { userIds: [bob.userId, carol.userId] })).id;
    await send(carol, ids.groupDm, `${secret} in a group DM`);
  });

  it("asks for the full export only from the owner, only in Slack's format, and audits it", async () => {
    await expectParley(
      requestExport(t.db, bob, { scope: "workspace", format: "slack", includePrivate: true }),
      "FORBIDDEN",
    );
    await expectParley(
      requestExport(t.db, owner, { scope: "workspace", format: "parley", includePrivate: true }),
      "BAD_REQUEST",
      /Slack's format/,
    );
    await expectParley(
      requestExport(t.db, bob, { scope: "user", includePrivate: true }),
      "BAD_REQUEST",
      /Slack's format/,
    );
    expect(await t.db.dataExport.count({ where: { includePrivate: true } })).toBe(0);
  });

  it("standard export: public channels only — no groups.json, dms.json, mpims.json or their messages", async () => {
    const requested = await requestExport(t.db, owner, { scope: "workspace", format: "slack" });
    expect(requested.includePrivate).toBe(false);
    const zip = await exportedZip();
    try {
      const layout = await checkLayout(zip);
      expect([layout.groups, layout.dms, layout.mpims]).toEqual([null, null, null]);
      // Bots are flagged as Slack flags them; people are not.
      const isBot = new Map(layout.users.map((u) => [u.id, u.is_bot]));
      expect([isBot.get(ids.bot), isBot.get(bob.userId), isBot.get(owner.userId)]).toEqual([
        true,
        false,
        false,
      ]);
      expect(layout.channels.map((c) => c.id)).toContain(ids.public);
      expect(layout.channels.map((c) => c.id)).not.toContain(ids.private);
      expect(layout.days.get(ids.public)?.map((m) => m.text)).toEqual([
        "a public root",
        "a public reply",
        "another public reply",
      ]);
      const root = layout.days.get(ids.public)?.[0];
      expect(root).toMatchObject({ reply_count: 2, reply_users_count: 2, latest_reply: expect.any(String) });
      for (const name of zip.names) expect(JSON.stringify(await zip.readJson(name))).not.toContain(secret);
    } finally {
      await zip.close();
    }
  });

  it("full export: private channels, DMs and group DMs too, in Slack's layout, and back through the importer", async () => {
    const requested = await requestExport(t.db, owner, {
      scope: "workspace",
      format: "slack",
      includePrivate: true,
    });
    expect(requested.includePrivate).toBe(true);
    const audit = await t.db.auditEntry.findFirst({
      where: { action: "export.requested" },
      orderBy: { at: "desc" },
      select: { details: true },
    });
    expect(audit?.details).toMatchObject({ exportId: requested.id, format: "slack", includePrivate: true });
    const originals = {
      private: await historyOf(ids.private),
      dm: await historyOf(ids.dm),
      groupDm: await historyOf(ids.groupDm),
    };
    const zip = await exportedZip();
    try {
      const layout = await checkLayout(zip);
      expect(layout.groups?.find((g) => g.id === ids.private)).toMatchObject({
        name: `hush-${run}`,
        members: [owner.userId, bob.userId].sort(),
      });
      expect(layout.dms?.find((d) => d.id === ids.dm)?.members).toEqual([owner.userId, bob.userId].sort());
      expect(layout.mpims?.find((d) => d.id === ids.groupDm)?.members).toEqual(
        [owner.userId, bob.userId, carol.userId].sort(),
      );
      expect(zip.names.some((n) => n.startsWith(`${ids.dm}/`))).toBe(true);
      expect(layout.days.get(ids.private)?.[0]).toMatchObject({
        text: `${secret} in a private channel`,
        reply_count: 1,
        reactions: [{ name: "eyes", users: [owner.userId], count: 1 }],
      });
      expect(layout.days.get(ids.dm)?.map((m) => m.text)).toEqual([`${secret} in a DM`, "a DM answer"]);
      expect(layout.days.get(ids.groupDm)?.map((m) => m.user)).toEqual([carol.userId]);

      // Round trip: the DM and group DM are removed first (an import would merge into them), so
      // the importer has to make them again from the zip; the private channel arrives beside its
      // original as #hush-…-slack.
      await t.db.conversation.deleteMany({ where: { id: { in: [ids.dm, ids.groupDm] } } });
      await importSlackZip(t.db, zip, owner, { batchSize: 2 });
    } finally {
      await zip.close();
    }
    const importedPrivate = await t.db.conversation.findUniqueOrThrow({
      where: { name: `hush-${run}-slack` },
    });
    expect(importedPrivate.kind).toBe("private_channel");
    expect(await historyOf(importedPrivate.id)).toEqual(originals.private);
    const byMembers = async (userIds: string[]) =>
      (
        await t.db.conversation.findUniqueOrThrow({
          where: { dmKey: dmKeyFor(userIds) },
          select: { id: true },
        })
      ).id;
    expect(await historyOf(await byMembers([owner.userId, bob.userId]))).toEqual(originals.dm);
    expect(await historyOf(await byMembers([owner.userId, bob.userId, carol.userId]))).toEqual(
      originals.groupDm,
    );
  });
});
