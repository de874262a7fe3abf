/**
 * The workspace export in Slack's export format (`format: "slack"`), so a workspace can move to
 * Slack or to anything that reads Slack exports — Parley's own importer included
 * (core/src/slack-import). The layout is the one https://slack.com/help/articles/220556107
 * documents: a zip of `users.json`, `channels.json` and one folder per channel of
 * `YYYY-MM-DD.json` day files (UTC), each an array of messages (`type`, `user`, `text`, `ts`,
 * `thread_ts`, `reply_count` / `replies` / `reply_users` / `latest_reply` on thread roots,
 * `parent_user_id` on replies, `edited`, `reactions`, `files`). By default it holds what Slack's
 * standard export holds, and what the Parley-format workspace export holds (scopes.ts): every user
 * and the public channels. With `includePrivate` — the owner's explicit choice, Slack's "all
 * channels and conversations" export — also `groups.json` (private channels, a folder per name),
 * `dms.json` (a folder per DM id) and `mpims.json` (group DMs, a folder per `mpdm-a--b--c-1`
 * name). Like Slack's own export, files are listed on their messages (`files`: id, name, mimetype,
 * size), not included.
 *
 * Ids are Parley's (a user's Slack id is their Parley id), so `<@id>` mentions stay valid. A
 * message's `ts` is its `createdAt` in seconds with the milliseconds and `seq % 1000` as the six
 * fractional digits: unique within a channel and in time order. Deleted messages are left out,
 * except a deleted thread root that still has replies, written as Slack writes it (`tombstone`).
 * The zip is streamed (yazl) into storage; one channel's day files are held in memory until the
 * channel is done (a channel's history is read in batches of `batchSize`).
 */
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import yazl from "yazl";
import {
  readChannelBatch,
  readMembershipBatch,
  readMessageBatch,
  readPrivateConversationBatch,
  readUserBatch,
  type TExportMessage,
} from "./rows.ts";
import type { TScopePlan } from "./scopes.ts";

/** A Parley time and seq as a Slack `ts` (see the file header). */
export function slackTs(createdAt: string | Date, seq: number): string {
  const ms = new Date(createdAt).getTime();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + (seq % 1000)).padStart(6, "0")}`;
}

// Tokens Slack writes unescaped: mentions, channel links, broadcasts, links.
const TOKEN = /<(?:[@#!][^<>\s]*|(?:https?|mailto):[^<>\s]*)>/g;

/** A Parley body as Slack text: `&`, `<` and `>` escaped outside Slack's own `<…>` tokens. */
export function slackText(body: string): string {
  const escaped = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  let out = "";
  let last = 0;
  for (const m of body.matchAll(TOKEN)) {
    out += escaped(body.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + escaped(body.slice(last));
}

type TSlackFileRow = { id: string; messageId: string; name: string; mime: string; size: bigint };

/** A zip written straight into storage (yazl). */
function zipInto(storage: TStorage, key: string) {
  const zip = new yazl.ZipFile();
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const body = new PassThrough();
  const piped = pipeline(zip.outputStream, counter, body);
  const stored = storage.putObject(key, body, { contentType: "application/zip" });
  Promise.all([piped, stored]).catch(() => {});
  return {
    add: (name: string, value: unknown) => zip.addBuffer(Buffer.from(JSON.stringify(value, null, 4)), name),
    async finish(): Promise<number> {
      zip.end();
      await Promise.all([piped, stored]);
      return bytes;
    },
    async abort(err: Error): Promise<void> {
      body.destroy(err);
      await Promise.allSettled([piped, stored]);
    },
  };
}

/** Every page of `read` (keyset by the last row), concatenated. */
async function allPages<T>(read: (after: T | null) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (let page = await read(null); page.length > 0; page = await read(page[page.length - 1] as T)) {
    rows.push(...page);
  }
  return rows;
}

type TSlackMessage = Record<string, unknown> & { ts: string; user?: string; thread_ts?: string };

/** What writing one conversation's folder gives back for its listing. */
type TWrittenConversation = { pins: object[] };

/** Writes the Slack-format workspace export (see the file header); resolves with its size in bytes. */
export async function writeSlackFormatExport(
  db: TDb,
  storage: TStorage,
  key: string,
  options: {
    plan: TScopePlan;
    /** Private channels (groups.json), DMs (dms.json) and group DMs (mpims.json) too. */
    includePrivate?: boolean;
    cut: Date;
    batchSize: number;
    /** Called after every batch with the messages written so far; may throw to stop the run. */
    onBatch: (messages: number) => void;
  },
): Promise<number> {
  const { plan, cut, batchSize } = options;
  const uptoOf = new Map(plan.cuts.map((c) => [c.id, c.lastSeq]));
  const zip = zipInto(storage, key);
  let written = 0;
  /** One conversation's day files under `folder`; its pins for the listing. */
  const writeConversation = async (folder: string, conversationId: string): Promise<TWrittenConversation> => {
    const days = new Map<string, TSlackMessage[]>();
    const tsOf = new Map<string, string>();
    const roots = new Map<string, TSlackMessage>();
    const pins: object[] = [];
    let afterSeq = 0;
    for (;;) {
      const batch = await readMessageBatch(db, {
        conversationId,
        afterSeq,
        uptoSeq: uptoOf.get(conversationId) ?? 0,
        limit: batchSize,
        withDeleted: true,
        onlyPublic: !options.includePrivate,
      });
      if (batch.length === 0) break;
      afterSeq = batch[batch.length - 1]?.seq ?? afterSeq;
      const fileIds = batch.flatMap((m) => m.fileIds);
      const files = fileIds.length
        ? await db.$queryRaw<TSlackFileRow[]>`
            SELECT id, "messageId", name, mime, size FROM "Attachment" WHERE id = ANY(${fileIds}::uuid[]) ORDER BY id`
        : [];
      for (const m of batch) {
        const ts = slackTs(m.createdAt, m.seq);
        tsOf.set(m.id, ts);
        const message = toSlackMessage(m, ts, tsOf, files);
        if (!message) continue;
        if (message.thread_ts === ts) roots.set(ts, message);
        else if (message.thread_ts) addReply(roots.get(message.thread_ts), message);
        if (m.pinnedAt && !m.deletedAt) {
          pins.push({
            id: ts,
            type: "C",
            created: Math.floor(Date.parse(m.pinnedAt) / 1000),
            user: m.pinnedById,
          });
        }
        const day = m.createdAt.slice(0, 10);
        const list = days.get(day) ?? [];
        list.push(message);
        days.set(day, list);
      }
      written += batch.length;
      options.onBatch(written);
    }
    for (const day of [...days.keys()].sort()) zip.add(`${folder}/${day}.json`, days.get(day));
    return { pins };
  };
  try {
    const users = await allPages((after: { id: string } | null) =>
      readUserBatch(db, after?.id ?? null, cut, batchSize),
    );
    const handleOf = new Map(users.map((u) => [u.id, slackHandle(u.email)]));
    // Bots are few (made by admins): one read for the flag instead of a column in every user row.
    const botIds = new Set(
      (await db.user.findMany({ where: { isBot: true }, select: { id: true } })).map((u) => u.id),
    );
    zip.add(
      "users.json",
      users.map((u) => ({
        id: u.id,
        name: handleOf.get(u.id),
        real_name: u.name,
        deleted: u.deactivatedAt !== null,
        is_admin: u.role === "admin" || u.role === "owner",
        is_owner: u.role === "owner",
        is_bot: botIds.has(u.id),
        profile: { email: u.email, real_name: u.name, display_name: u.name, status_text: u.statusText },
      })),
    );
    const channels = (
      await allPages((after: { id: string } | null) =>
        readChannelBatch(db, after?.id ?? null, cut, batchSize),
      )
    ).filter((c) => c.kind === "public_channel" && uptoOf.has(c.id));
    const listed: object[] = [];
    for (const channel of channels) {
      const members = await allPages((after: { userId: string } | null) =>
        readMembershipBatch(db, channel.id, after?.userId ?? null, cut, batchSize),
      );
      const { pins } = await writeConversation(channel.name ?? channel.id, channel.id);
      listed.push({
        ...channelListing({
          ...channel,
          memberIds: members.map((m) => m.userId),
          topic: channel.topic ?? "",
        }),
        ...(pins.length > 0 ? { pins } : {}),
      });
    }
    zip.add("channels.json", listed);
    if (options.includePrivate)
      await writePrivate(db, zip, writeConversation, handleOf, { cut, batchSize, uptoOf });
    return await zip.finish();
  } catch (err) {
    await zip.abort(err as Error);
    throw err;
  }
}

/** A user's Slack handle (`name`): the local part of their address, as Slack's own exports have it. */
function slackHandle(email: string): string {
  return email.slice(0, email.lastIndexOf("@")) || email;
}

/** channels.json's and groups.json's fields (https://slack.com/help/articles/220556107). */
function channelListing(c: {
  id: string;
  name: string | null;
  createdAt: string;
  createdById?: string | null;
  archivedAt: string | null;
  memberIds: string[];
  topic: string;
}): object {
  return {
    id: c.id,
    name: c.name,
    created: Math.floor(Date.parse(c.createdAt) / 1000),
    creator: c.createdById ?? undefined,
    is_archived: c.archivedAt !== null,
    is_general: false,
    members: c.memberIds,
    topic: { value: c.topic, creator: "", last_set: 0 },
    purpose: { value: "", creator: "", last_set: 0 },
  };
}

/**
 * groups.json (private channels), dms.json and mpims.json (group DMs) and their folders — a
 * private channel's folder is its name, a DM's its id, a group DM's its `mpdm-a--b--c-1` name, as
 * in Slack's "all channels and conversations" export.
 */
async function writePrivate(
  db: TDb,
  zip: ReturnType<typeof zipInto>,
  writeConversation: (folder: string, id: string) => Promise<TWrittenConversation>,
  handleOf: ReadonlyMap<string, string | undefined>,
  options: { cut: Date; batchSize: number; uptoOf: ReadonlyMap<string, number> },
): Promise<void> {
  const conversations = (
    await allPages((after: { id: string } | null) =>
      readPrivateConversationBatch(db, after?.id ?? null, options.cut, options.batchSize),
    )
  ).filter((c) => options.uptoOf.has(c.id));
  const groups: object[] = [];
  const dms: object[] = [];
  const mpims: object[] = [];
  for (const c of conversations) {
    const created = Math.floor(Date.parse(c.createdAt) / 1000);
    if (c.kind === "dm") {
      await writeConversation(c.id, c.id);
      dms.push({ id: c.id, created, members: c.memberIds });
    } else if (c.kind === "group_dm") {
      const handles = c.memberIds.map((id) => handleOf.get(id) ?? id).sort();
      const name = `mpdm-${handles.join("--")}-1`;
      await writeConversation(name, c.id);
      mpims.push({ ...channelListing({ ...c, name }), creator: c.createdById ?? c.memberIds[0] });
    } else {
      const { pins } = await writeConversation(c.name ?? c.id, c.id);
      groups.push({ ...channelListing(c), ...(pins.length > 0 ? { pins } : {}) });
    }
  }
  zip.add("groups.json", groups);
  zip.add("dms.json", dms);
  zip.add("mpims.json", mpims);
}

/** Records a reply on its thread root as Slack does (`replies`, `reply_users`, `latest_reply`). */
function addReply(root: TSlackMessage | undefined, reply: TSlackMessage): void {
  if (!root) return;
  if (root.user) reply.parent_user_id = root.user;
  const replies = (root.replies as { user?: string; ts: string }[] | undefined) ?? [];
  replies.push({ user: reply.user, ts: reply.ts });
  root.replies = replies;
  const users = [...new Set(replies.flatMap((r) => (r.user ? [r.user] : [])))];
  root.reply_users = users;
  root.reply_users_count = users.length;
  root.latest_reply = reply.ts;
}

/** One message as Slack writes it, or null for a deleted one nobody needs (see the file header). */
function toSlackMessage(
  m: TExportMessage,
  ts: string,
  tsOf: ReadonlyMap<string, string>,
  files: readonly TSlackFileRow[],
): TSlackMessage | null {
  const rootTs = m.threadRootId ? tsOf.get(m.threadRootId) : undefined;
  const thread = rootTs
    ? { thread_ts: rootTs }
    : m.replyCount > 0
      ? { thread_ts: ts, reply_count: m.replyCount }
      : {};
  if (m.deletedAt) {
    if (m.replyCount === 0 || m.threadRootId) return null;
    return {
      type: "message",
      subtype: "tombstone",
      ts,
      user: "USLACKBOT",
      text: "This message was deleted.",
      hidden: true,
      ...thread,
    };
  }
  const reactions = new Map<string, string[]>();
  for (const r of m.reactions) {
    const name = r.emoji.startsWith(":") ? r.emoji.slice(1, -1) : r.emoji;
    reactions.set(name, [...(reactions.get(name) ?? []), r.userId]);
  }
  const attached = files.filter((f) => f.messageId === m.id);
  return {
    type: "message",
    ...(m.alsoInChannel && rootTs ? { subtype: "thread_broadcast" } : {}),
    ts,
    user: m.senderId,
    text: slackText(m.body),
    ...thread,
    ...(m.editedAt ? { edited: { user: m.senderId, ts: slackTs(m.editedAt, 0) } } : {}),
    ...(reactions.size > 0
      ? { reactions: [...reactions].map(([name, users]) => ({ name, users, count: users.length })) }
      : {}),
    ...(attached.length > 0
      ? {
          files: attached.map((f) => ({
            id: f.id,
            name: f.name,
            title: f.name,
            mimetype: f.mime,
            size: Number(f.size),
            mode: "hosted",
          })),
        }
      : {}),
    ...(m.pinnedAt ? { pinned_to: [m.conversationId] } : {}),
  };
}
