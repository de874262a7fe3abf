/**
 * The validation pass: reads every file of the export the importer uses, checks it against
 * format.ts's schemas and returns the plan the writer follows. It writes nothing, so a malformed
 * export is refused (BAD_REQUEST naming the file and the problem) before any row exists. Message
 * files are parsed and dropped (only counts and the bots and unknown users they mention are kept);
 * the writer reads them again, one conversation at a time.
 */
import type { z } from "zod";
import { ParleyError } from "../errors.ts";
import {
  compareTs,
  NOTICE_SUBTYPES,
  type TSlackConversation,
  type TSlackMessage,
  type TSlackUser,
  ZSlackConversations,
  ZSlackDay,
  ZSlackUsers,
} from "./format.ts";
import type { TSlackZip } from "./zip.ts";

export type TImportKind = "public_channel" | "private_channel" | "dm" | "group_dm";

export type TPlannedConversation = {
  kind: TImportKind;
  slack: TSlackConversation;
  /** Its day files, oldest first. */
  days: string[];
  messages: number;
};

export type TPlan = {
  users: TSlackUser[];
  /** Senders and members that users.json does not list (bots, users of other workspaces): id → name. */
  extraUsers: Map<string, string>;
  conversations: TPlannedConversation[];
  totalMessages: number;
};

const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.json$/;

function parse<S extends z.ZodType>(schema: S, name: string, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const detail = issue?.message ?? "invalid";
  if (issue?.path.length) {
    throw new ParleyError("BAD_REQUEST", "{file} is not in Slack's export format at {path}: {detail}", {
      params: { file: name, path: issue.path.join("."), detail },
    });
  }
  throw new ParleyError("BAD_REQUEST", "{file} is not in Slack's export format: {detail}", {
    params: { file: name, detail },
  });
}

async function readList(zip: TSlackZip, name: string): Promise<TSlackConversation[]> {
  if (!zip.has(name)) return [];
  return parse(ZSlackConversations, name, await zip.readJson(name));
}

/** The sender of a message as a Slack id: its user, else its bot (`B…`), else null (skipped). */
export function senderOf(message: TSlackMessage): string | null {
  if (message.subtype === "bot_message" && message.bot_id) return message.bot_id;
  return message.user ?? message.bot_id ?? null;
}

/** Whether the importer writes this message (notices and hidden ones are skipped). */
export function isImported(message: TSlackMessage): boolean {
  // Slack marks tombstones hidden, but they hold threads together.
  if (message.subtype === "tombstone") return true;
  if (message.hidden) return false;
  if (message.subtype && NOTICE_SUBTYPES.has(message.subtype)) return false;
  return senderOf(message) !== null;
}

/** Validates the whole export (see the file header) and returns the plan. */
export async function planImport(zip: TSlackZip): Promise<TPlan> {
  if (!zip.has("users.json")) {
    throw new ParleyError("BAD_REQUEST", "This does not look like a Slack export: users.json is missing");
  }
  const users = parse(ZSlackUsers, "users.json", await zip.readJson("users.json"));
  const known = new Set(users.map((u) => u.id));
  const extraUsers = new Map<string, string>();
  const noteUser = (id: string | undefined, name: string | undefined) => {
    if (id && !known.has(id) && !extraUsers.has(id)) extraUsers.set(id, name ?? "");
  };
  const lists: [TImportKind, string, (c: TSlackConversation) => string | undefined][] = [
    ["public_channel", "channels.json", (c) => c.name],
    ["private_channel", "groups.json", (c) => c.name],
    ["dm", "dms.json", (c) => c.id],
    ["group_dm", "mpims.json", (c) => c.name],
  ];
  const folders = new Map<string, string[]>();
  for (const name of zip.names) {
    const slash = name.lastIndexOf("/");
    if (slash <= 0 || !DAY_FILE.test(name.slice(slash + 1))) continue;
    const folder = name.slice(0, slash);
    folders.set(folder, [...(folders.get(folder) ?? []), name]);
  }
  const conversations: TPlannedConversation[] = [];
  const seen = new Set<string>();
  let totalMessages = 0;
  for (const [kind, file, folderOf] of lists) {
    const list = (await readList(zip, file)).sort(
      (a, b) => (a.created ?? 0) - (b.created ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    for (const slack of list) {
      if (seen.has(slack.id))
        throw new ParleyError("BAD_REQUEST", "{file} lists {id} twice", { params: { file, id: slack.id } });
      seen.add(slack.id);
      if ((kind === "public_channel" || kind === "private_channel") && !slack.name) {
        throw new ParleyError("BAD_REQUEST", "{file}: channel {id} has no name", {
          params: { file, id: slack.id },
        });
      }
      for (const member of slack.members) noteUser(member, undefined);
      const folder = folderOf(slack) ?? slack.id;
      const days = (folders.get(folder) ?? []).sort();
      let count = 0;
      for (const day of days) {
        const messages = parse(ZSlackDay, day, await zip.readJson(day));
        for (const m of messages) {
          if (!isImported(m)) continue;
          count++;
          const sender = senderOf(m);
          if (sender) noteUser(sender, m.username ?? m.bot_profile?.name ?? m.user_profile?.real_name);
          for (const r of m.reactions ?? []) for (const u of r.users) noteUser(u, undefined);
        }
      }
      conversations.push({ kind, slack, days, messages: count });
      totalMessages += count;
    }
  }
  return { users, extraUsers, conversations, totalMessages };
}

/** A conversation's messages that the importer writes, in time order (one day file at a time). */
export async function* readMessages(
  zip: TSlackZip,
  planned: TPlannedConversation,
): AsyncGenerator<TSlackMessage> {
  for (const day of planned.days) {
    const messages = (ZSlackDay.parse(await zip.readJson(day)) as TSlackMessage[])
      .filter(isImported)
      .sort((a, b) => compareTs(a.ts, b.ts));
    yield* messages;
  }
}
