/**
 * The workspace export in Slack's export format (`format: "slack"`), so a workspace can move to
 * Slack or to anything that reads Slack exports — Parley's own importer included
 * (core/src/slack-import): a zip of `users.json`, `channels.json` and one folder per public
 * channel of `YYYY-MM-DD.json` day files (UTC), as https://slack.com/help/articles/220556107
 * describes. It holds what the Parley-format workspace export holds (scopes.ts: every user,
 * public channels with their members and messages; private channels, DMs and group DMs are not
 * in it) — minus the file bytes: like Slack's own export, files are listed on their messages
 * (`files`: id, name, mimetype, size), not included.
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

/** Writes the Slack-format workspace export (see the file header); resolves with its size in bytes. */
export async function writeSlackFormatExport(
  db: TDb,
  storage: TStorage,
  key: string,
  options: {
    plan: TScopePlan;
    cut: Date;
    batchSize: number;
    /** Called after every batch with the messages written so far; may throw to stop the run. */
    onBatch: (messages: number) => void;
  },
): Promise<number> {
  const { plan, cut, batchSize } = options;
  const zip = zipInto(storage, key);
  try {
    const users = await allPages((after: { id: string } | null) =>
      readUserBatch(db, after?.id ?? null, cut, batchSize),
    );
    zip.add(
      "users.json",
      users.map((u) => ({
        id: u.id,
        name: u.email.split("@")[0],
        real_name: u.name,
        deleted: u.deactivatedAt !== null,
        is_admin: u.role === "admin" || u.role === "owner",
        is_owner: u.role === "owner",
        profile: { email: u.email, real_name: u.name, display_name: u.name, status_text: u.statusText },
      })),
    );
    const channels = (
      await allPages((after: { id: string } | null) =>
        readChannelBatch(db, after?.id ?? null, cut, batchSize),
      )
    ).filter((c) => c.kind === "public_channel" && plan.cuts.some((cut) => cut.id === c.id));
    const listed: object[] = [];
    let written = 0;
    for (const channel of channels) {
      const upto = plan.cuts.find((c) => c.id === channel.id)?.lastSeq ?? 0;
      const members = await allPages((after: { userId: string } | null) =>
        readMembershipBatch(db, channel.id, after?.userId ?? null, cut, batchSize),
      );
      const days = new Map<string, object[]>();
      const tsOf = new Map<string, string>();
      const pins: object[] = [];
      let afterSeq = 0;
      for (;;) {
        const batch = await readMessageBatch(db, {
          conversationId: channel.id,
          afterSeq,
          uptoSeq: upto,
          limit: batchSize,
          withDeleted: true,
          onlyPublic: true,
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
      const folder = channel.name ?? channel.id;
      for (const day of [...days.keys()].sort()) zip.add(`${folder}/${day}.json`, days.get(day));
      listed.push({
        id: channel.id,
        name: channel.name,
        created: Math.floor(Date.parse(channel.createdAt) / 1000),
        creator: channel.createdById ?? undefined,
        is_archived: channel.archivedAt !== null,
        is_general: false,
        members: members.map((m) => m.userId),
        topic: { value: channel.topic ?? "", creator: "", last_set: 0 },
        purpose: { value: "", creator: "", last_set: 0 },
        ...(pins.length > 0 ? { pins } : {}),
      });
    }
    zip.add("channels.json", listed);
    return await zip.finish();
  } catch (err) {
    await zip.abort(err as Error);
    throw err;
  }
}

/** One message as Slack writes it, or null for a deleted one nobody needs (see the file header). */
function toSlackMessage(
  m: TExportMessage,
  ts: string,
  tsOf: ReadonlyMap<string, string>,
  files: readonly TSlackFileRow[],
): object | null {
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
