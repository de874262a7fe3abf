/**
 * Whether one new message notifies one member — the single rule push and e-mail share (and the
 * web app's desktop notifications mirror). Pure: the caller loads the preferences and passes the
 * clock, so every branch is unit-tested (should-notify.test.ts).
 *
 * Order: never my own or an empty message; never in a muted conversation (mute is the
 * per-conversation "nothing"); never during do-not-disturb (for N hours, or the daily window in
 * the user's time zone); then what the message is to me (a DM, a mention of me, a broadcast
 * @channel/@here/@everyone unless I ignore them in that channel, one of my keywords, or just a
 * message) against the level in force: the conversation's own (`all`, `mentions`) or else my
 * global one (`dms_and_mentions`, `mentions`, `nothing`).
 */

/** Global levels: every DM message + mentions (default), mentions only, nothing. */
export const NOTIFY_LEVELS = ["dms_and_mentions", "mentions", "nothing"] as const;
export type TNotifyLevel = (typeof NOTIFY_LEVELS)[number];

/** Per-conversation levels besides mute ("nothing"): follow the global level, all, mentions. */
export const CONVERSATION_NOTIFY_LEVELS = ["default", "all", "mentions"] as const;
export type TConversationNotifyLevel = (typeof CONVERSATION_NOTIFY_LEVELS)[number];

/** A user's global preferences (NotificationSettings). */
export type TNotificationPrefs = {
  userId: string;
  level: TNotifyLevel;
  /** Lower-cased words that count as a mention. */
  keywords: readonly string[];
  dndUntil: Date | null;
  /** Daily do-not-disturb window, minutes after local midnight; start > end wraps midnight. */
  dndStartMinute: number | null;
  dndEndMinute: number | null;
  timeZone: string;
};

/** The member's settings in the message's conversation (Membership). */
export type TConversationNotifyPrefs = {
  kind: "public_channel" | "private_channel" | "dm" | "group_dm";
  level: TConversationNotifyLevel;
  muted: boolean;
  ignoreBroadcasts: boolean;
};

/** The facts of a message that decide. */
export type TNotificationMessage = {
  senderId: string;
  body: string;
  mentionedUserIds: readonly string[];
  mentionsAll: boolean;
  /** Files it carries (a DM with only a voice message still notifies). */
  attachmentCount: number;
};

/** Why a message notifies: the first that applies, in this order. */
export type TNotifyReason = "dm" | "mention" | "broadcast" | "keyword" | "message";

/** Every default (no NotificationSettings row). */
export function defaultNotifyPrefs(userId: string): TNotificationPrefs {
  return {
    userId,
    level: "dms_and_mentions",
    keywords: [],
    dndUntil: null,
    dndStartMinute: null,
    dndEndMinute: null,
    timeZone: "UTC",
  };
}

/** Minutes after local midnight of `now` in `timeZone` (an IANA name; UTC when unknown). */
export function minuteOfDay(now: Date, timeZone: string): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hour: "numeric",
      minute: "numeric",
      hourCycle: "h23",
    }).formatToParts(now);
  } catch {
    return now.getUTCHours() * 60 + now.getUTCMinutes();
  }
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return (part("hour") % 24) * 60 + part("minute");
}

/** True while do-not-disturb holds at `now`: the "for N hours" end or the daily window. */
export function isDoNotDisturb(prefs: TNotificationPrefs, now: Date): boolean {
  if (prefs.dndUntil && prefs.dndUntil.getTime() > now.getTime()) return true;
  const { dndStartMinute: start, dndEndMinute: end } = prefs;
  if (start === null || end === null || start === end) return false;
  const minute = minuteOfDay(now, prefs.timeZone);
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

const MENTION_TOKENS = /<[@!][^>]*>/g;

/** True when the body has one of the keywords as a whole word (any case; mention tokens ignored). */
export function matchesKeyword(body: string, keywords: readonly string[]): boolean {
  if (keywords.length === 0) return false;
  const text = body.replace(MENTION_TOKENS, " ").toLowerCase();
  return keywords.some((keyword) => {
    const k = keyword.trim().toLowerCase();
    if (!k) return false;
    let from = 0;
    for (;;) {
      const at = text.indexOf(k, from);
      if (at < 0) return false;
      const before = at === 0 ? "" : text[at - 1]!;
      const after = text[at + k.length] ?? "";
      if (!/[\p{L}\p{N}_]/u.test(before) && !/[\p{L}\p{N}_]/u.test(after)) return true;
      from = at + 1;
    }
  });
}

/** What the message is to the member, before any level: see NotifyReason. */
function reasonOf(
  prefs: TNotificationPrefs,
  conversation: TConversationNotifyPrefs,
  message: TNotificationMessage,
): TNotifyReason {
  if (conversation.kind === "dm" || conversation.kind === "group_dm") return "dm";
  if (message.mentionedUserIds.some((id) => id.toLowerCase() === prefs.userId.toLowerCase()))
    return "mention";
  if (message.mentionsAll && !conversation.ignoreBroadcasts) return "broadcast";
  if (matchesKeyword(message.body, prefs.keywords)) return "keyword";
  return "message";
}

/**
 * Whether `message` notifies the member now, and why (null: it does not). See the file header
 * for the order of the rules.
 */
export function shouldNotify(
  prefs: TNotificationPrefs,
  conversation: TConversationNotifyPrefs,
  message: TNotificationMessage,
  now: Date,
): TNotifyReason | null {
  if (message.senderId.toLowerCase() === prefs.userId.toLowerCase()) return null;
  if (!message.body.trim() && message.attachmentCount === 0) return null;
  if (conversation.muted) return null;
  if (isDoNotDisturb(prefs, now)) return null;
  const reason = reasonOf(prefs, conversation, message);
  if (conversation.level === "all") return reason;
  if (conversation.level === "mentions" || (conversation.level === "default" && prefs.level === "mentions")) {
    // Under "mentions only" a DM counts only for what it says: a mention, a broadcast, a keyword.
    const said =
      reason === "dm" ? reasonOf(prefs, { ...conversation, kind: "public_channel" }, message) : reason;
    return said === "message" ? null : said;
  }
  if (prefs.level === "nothing") return null;
  return reason === "message" ? null : reason;
}

/** The notification tag of a conversation: the service worker and the open tab replace and close by it. */
export function notificationTag(conversationId: string): string {
  return `parley:${conversationId}`;
}

/**
 * A body as one line of plain text for a notification: mention tokens as @names (`names`: user id →
 * name, user group id → handle), markup dropped, ≤ 140 characters.
 */
export function notificationText(body: string, names: ReadonlyMap<string, string> = new Map()): string {
  const text = body
    .replace(/<@([0-9a-fA-F-]{36})>/g, (_m, id: string) => `@${names.get(id.toLowerCase()) ?? "someone"}`)
    .replace(/<!(channel|here|everyone)>/g, "@$1")
    // A user group's token: its @handle when `names` has it (by group id), else "@group".
    .replace(
      /<!subteam\^([0-9a-fA-F-]{36})>/g,
      (_m, id: string) => `@${names.get(id.toLowerCase()) ?? "group"}`,
    )
    .replace(/[*_~`>#]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}
