/**
 * Slack's export format, as far as the importer reads it (https://slack.com/help/articles/220556107):
 * `users.json`, `channels.json` (public), `groups.json` (private), `dms.json`, `mpims.json` (group
 * DMs) and one folder per conversation — named by the channel's name, the DM's id or the group
 * DM's name — of `YYYY-MM-DD.json` files, each an array of messages. The schemas are lenient
 * (Slack adds fields all the time; unknown ones are ignored) but every field the importer uses is
 * checked, so a malformed file is refused with its name before anything is written.
 *
 * Also here: the pure conversions (a Slack `ts` to a Date, Slack's escaped text to Parley's body,
 * names to what Parley accepts), unit-tested in format.test.ts.
 */
import { z } from "zod";
import { errorTemplate } from "../errors.ts";

/** A Slack timestamp: seconds since the epoch with a microsecond fraction, unique per channel. */
export const ZSlackTs = z.string().regex(/^\d{1,12}(\.\d{1,6})?$/, errorTemplate("is not a Slack timestamp"));

const ZSlackId = z.string().min(1).max(64);

export const ZSlackUser = z.object({
  id: ZSlackId,
  name: z.string().optional(),
  real_name: z.string().optional(),
  deleted: z.boolean().optional(),
  is_bot: z.boolean().optional(),
  profile: z
    .object({
      email: z.string().optional(),
      real_name: z.string().optional(),
      display_name: z.string().optional(),
    })
    .optional(),
});
export type TSlackUser = z.output<typeof ZSlackUser>;

const ZPin = z.object({ id: ZSlackTs, created: z.number().optional(), user: z.string().optional() });

/** A channel (channels.json, groups.json), DM (dms.json) or group DM (mpims.json). */
export const ZSlackConversation = z.object({
  id: ZSlackId,
  name: z.string().optional(),
  created: z.number().optional(),
  creator: z.string().optional(),
  is_archived: z.boolean().optional(),
  members: z.array(z.string()).default([]),
  topic: z.object({ value: z.string() }).optional(),
  purpose: z.object({ value: z.string() }).optional(),
  pins: z.array(ZPin).optional(),
});
export type TSlackConversation = z.output<typeof ZSlackConversation>;

const ZSlackFile = z.object({
  id: z.string().optional(),
  name: z.string().nullish(),
  title: z.string().nullish(),
  mimetype: z.string().nullish(),
  size: z.number().nullish(),
  url_private: z.string().nullish(),
  mode: z.string().optional(),
});

export const ZSlackMessage = z.object({
  type: z.string().optional(),
  subtype: z.string().optional(),
  ts: ZSlackTs,
  user: z.string().optional(),
  bot_id: z.string().optional(),
  username: z.string().optional(),
  text: z.string().default(""),
  thread_ts: ZSlackTs.optional(),
  parent_user_id: z.string().optional(),
  hidden: z.boolean().optional(),
  edited: z.object({ user: z.string().optional(), ts: ZSlackTs }).optional(),
  reactions: z
    .array(
      z.object({
        name: z.string().min(1),
        users: z.array(z.string()).default([]),
        count: z.number().optional(),
      }),
    )
    .optional(),
  files: z.array(ZSlackFile).optional(),
  pinned_to: z.array(z.string()).optional(),
  user_profile: z
    .object({ real_name: z.string().optional(), display_name: z.string().optional() })
    .optional(),
  bot_profile: z.object({ name: z.string().optional() }).optional(),
});
export type TSlackMessage = z.output<typeof ZSlackMessage>;

export const ZSlackUsers = z.array(ZSlackUser);
export const ZSlackConversations = z.array(ZSlackConversation);
export const ZSlackDay = z.array(ZSlackMessage);

/**
 * Subtypes that are Slack's own notices, not something someone wrote: membership comes from
 * channels.json, topics from its `topic`, pins from `pins`, so these are skipped (and counted).
 */
export const NOTICE_SUBTYPES: ReadonlySet<string> = new Set([
  "channel_join",
  "channel_leave",
  "group_join",
  "group_leave",
  "channel_topic",
  "channel_purpose",
  "channel_name",
  "group_topic",
  "group_purpose",
  "group_name",
  "channel_archive",
  "channel_unarchive",
  "group_archive",
  "group_unarchive",
  "pinned_item",
  "unpinned_item",
  "bot_add",
  "bot_remove",
  "message_changed",
  "message_deleted",
  "reminder_add",
]);

/** `1700000000.123456` → its Date (millisecond precision, as Parley stores times). */
export function tsToDate(ts: string): Date {
  // From the digits, not a float: 1700000000.123 × 1000 is 1700000000122.9999 in binary.
  const [seconds = "0", fraction = ""] = ts.split(".");
  return new Date(Number(seconds) * 1000 + Number(fraction.padEnd(6, "0").slice(0, 3)));
}

/** Orders two Slack timestamps numerically (they are not zero-padded). */
export function compareTs(a: string, b: string): number {
  const [as, af = ""] = a.split(".");
  const [bs, bf = ""] = b.split(".");
  const d = Number(as) - Number(bs);
  if (d !== 0) return d;
  return Number(af.padEnd(6, "0")) - Number(bf.padEnd(6, "0"));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as Parley stores it: control characters (other than tab and line breaks) removed and lone
 * surrogates replaced — what a Parley client could never send, an export may hold.
 */
export function cleanText(text: string): string {
  return text.replace(CONTROL, "").replace(LONE_SURROGATE, "\uFFFD");
}

/** A one-line name (people, files): cleaned, line breaks as spaces, trimmed, at most `max` characters. */
export function cleanLine(text: string, max = 80): string {
  const line = cleanText(text)
    .replace(/[\n\r\u2028\u2029\t]+/g, " ")
    .trim();
  return [...line].slice(0, max).join("");
}

/**
 * Slack's message text as a Parley body: `<@U123>` and `<@U123|name>` become `<@parleyId>` for
 * known users (`@name` otherwise), Slack's escapes (`&lt;`, `&gt;`, `&amp;`) are undone outside
 * `<…>` tokens, which Parley keeps as Slack writes them (`<!channel>`, `<#C1|general>`, links).
 */
export function convertText(text: string, userIdFor: (slackId: string) => string | undefined): string {
  const out: string[] = [];
  const token = /<([^<>]*)>/g;
  let last = 0;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    out.push(unescapeSlack(text.slice(last, m.index)));
    const inner = m[1] ?? "";
    if (inner.startsWith("@")) {
      const [id = "", label] = inner.slice(1).split("|");
      const mapped = userIdFor(id);
      out.push(mapped ? `<@${mapped}>` : `@${unescapeSlack(label ?? id)}`);
    } else {
      out.push(m[0]);
    }
    last = m.index + m[0].length;
  }
  out.push(unescapeSlack(text.slice(last)));
  return cleanText(out.join(""));
}

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/**
 * A Slack channel name as a Parley one (`^[a-z0-9_-]{1,80}$`): lower-cased, accents dropped,
 * anything else as `-`; `fallback` (e.g. `channel-c0123`) when nothing is left.
 */
export function channelNameFrom(name: string, fallback: string): string {
  const ascii = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  return ascii === "" ? fallback.slice(0, 80) : ascii;
}

/**
 * The candidates for an imported channel's name, in order: its own, then `<name>-slack`,
 * `<name>-slack-2`, … (the documented rule for a name already taken by a channel the import did
 * not create).
 */
export function channelNameCandidate(base: string, attempt: number): string {
  if (attempt === 0) return base;
  const suffix = attempt === 1 ? "-slack" : `-slack-${attempt}`;
  return `${base.slice(0, 80 - suffix.length)}${suffix}`;
}
