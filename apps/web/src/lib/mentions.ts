/**
 * Mentions as people type and read them. The wire format (`<@userId>`, `<!channel>`, …) lives in
 * @parley/protocol; this module converts between it and the "@Full Name" text the composer shows:
 * `encodeMentions` before sending or saving an edit, `decodeMentions` to put a message back in the
 * composer, `mentionTrigger` to find the "@que" being typed for the autocomplete.
 *
 * Names match case-insensitively, longest first, and only as whole words ("@Ann" is not the start
 * of "@Anna B", "@Ann," is Ann). Text inside `code` spans and fenced blocks is left as typed.
 */
import {
  BROADCAST_MENTIONS,
  broadcastMentionToken,
  groupMentionToken,
  MENTION_TOKEN_RE,
  type TBroadcastMention,
  userMentionToken,
} from "@parley/protocol";

/** A person who can be mentioned in a conversation (deactivated people are not suggested). */
export type TMentionable = {
  userId: string;
  name: string;
  isDeactivated?: boolean;
  /** The avatar shown in the autocomplete (initials when absent). */
  avatarId?: string | null;
};

/** The mentionable people of a user id → name map. */
export function mentionables(names: ReadonlyMap<string, string>): TMentionable[] {
  return [...names].map(([userId, name]) => ({ userId, name }));
}

/** A user group as the composer offers it: `@handle` mentions its members (see @parley/protocol). */
export type TMentionableGroup = { groupId: string; handle: string; name: string };

/** What the autocomplete offers: a member, a user group (`name` is its handle), or a broadcast. */
export type TMentionOption =
  | { kind: "user"; userId: string; name: string; avatarId?: string | null | undefined }
  | { kind: "group"; groupId: string; name: string; description: string }
  | { kind: "broadcast"; name: TBroadcastMention; description: string };

/** All three notify every member (see @parley/protocol); Slack's words for them. */
const BROADCAST_DESCRIPTIONS: Record<TBroadcastMention, string> = {
  channel: "Notify everyone in this conversation",
  here: "Notify everyone here",
  everyone: "Notify everyone",
};

/** Characters that continue a word: a name followed by one of them is a different, longer word. */
const WORD_CHAR = "[\\p{L}\\p{N}_]";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Splits text into prose and code (fenced blocks and `inline` spans), so code stays as typed. */
function splitCode(text: string): { text: string; isCode: boolean }[] {
  const parts: { text: string; isCode: boolean }[] = [];
  const CODE = /```[\s\S]*?(?:```|$)|`[^`\n]*`/g;
  let last = 0;
  for (const match of text.matchAll(CODE)) {
    const start = match.index ?? 0;
    if (start > last) parts.push({ text: text.slice(last, start), isCode: false });
    parts.push({ text: match[0], isCode: true });
    last = start + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), isCode: false });
  return parts;
}

/**
 * Turns "@Full Name" of members into `<@id>`, "@handle" of user groups into `<!subteam^id>` and
 * @channel/@here/@everyone into broadcast tokens. `preferred` (lower-cased name → user id) decides
 * between members who share a name: the one the author picked from the autocomplete. Anything that
 * is not a member's name or a group's handle stays as typed.
 */
export function encodeMentions(
  text: string,
  members: readonly TMentionable[],
  preferred?: ReadonlyMap<string, string>,
  groups: readonly TMentionableGroup[] = [],
): string {
  const byName = new Map<string, string>();
  for (const m of members) {
    const key = m.name.trim().toLowerCase();
    if (key && !byName.has(key)) byName.set(key, m.userId);
  }
  if (preferred) {
    for (const [name, userId] of preferred) {
      if (members.some((m) => m.userId === userId)) byName.set(name.toLowerCase(), userId);
    }
  }
  const byHandle = new Map(groups.map((g) => [g.handle.toLowerCase(), g.groupId]));
  // A member's name wins over a group's handle and a broadcast word (someone may be called "Here").
  const names = [...new Set([...byName.keys(), ...byHandle.keys(), ...BROADCAST_MENTIONS])].sort(
    (a, b) => b.length - a.length,
  );
  const re = new RegExp(`(?<!${WORD_CHAR})@(${names.map(escapeRegExp).join("|")})(?!${WORD_CHAR})`, "giu");
  return splitCode(text)
    .map((part) =>
      part.isCode
        ? part.text
        : part.text.replace(re, (whole, name: string) => {
            const key = name.toLowerCase();
            const userId = byName.get(key);
            if (userId) return userMentionToken(userId);
            const groupId = byHandle.get(key);
            if (groupId) return groupMentionToken(groupId);
            if ((BROADCAST_MENTIONS as readonly string[]).includes(key)) {
              return broadcastMentionToken(key as TBroadcastMention);
            }
            return whole;
          }),
    )
    .join("");
}

/**
 * Turns mention tokens back into "@Name" for editing. A user id with no known name stays a token,
 * so saving the edit keeps that mention instead of turning it into plain text.
 */
export function decodeMentions(
  text: string,
  names: ReadonlyMap<string, string>,
  groups: readonly TMentionableGroup[] = [],
): string {
  return text.replace(
    MENTION_TOKEN_RE,
    (whole, userId: string | undefined, broadcast: string | undefined, groupId: string | undefined) => {
      if (groupId) {
        const group = groups.find((g) => g.groupId === groupId.toLowerCase());
        return group ? `@${group.handle}` : whole;
      }
      if (!userId) return `@${broadcast}`;
      const name = names.get(userId.toLowerCase()) ?? names.get(userId);
      return name ? `@${name}` : whole;
    },
  );
}

/** The "@query" being typed just before the caret: where its "@" is and what follows it. */
export type TMentionTrigger = { start: number; query: string };

/**
 * Finds an "@" mention being typed right before `caret`: the "@" starts the text or follows a space
 * or an opening bracket, and up to three words follow it (full names have spaces).
 */
export function mentionTrigger(text: string, caret: number): TMentionTrigger | null {
  const before = text.slice(0, caret);
  const match = /(?:^|[\s([{])@([\p{L}\p{N}._'-]*(?: [\p{L}\p{N}._'-]+){0,2} ?)$/u.exec(before);
  if (!match) return null;
  const query = match[1] ?? "";
  if (query.startsWith(" ")) return null;
  return { start: caret - query.length - 1, query };
}

/** True when `query` starts the name or a run of its words ("bo" matches "Bob" and "Ann Bolt"). */
function nameMatches(name: string, query: string): boolean {
  if (!query) return true;
  const words = name.toLowerCase().split(/\s+/);
  return words.some((_, i) => words.slice(i).join(" ").startsWith(query));
}

/**
 * What the autocomplete lists for `query`: matching members (not `meId`; name starts first, then
 * alphabetical), then user groups whose handle or name matches, then matching broadcasts, at most
 * `limit`.
 */
export function mentionOptions(
  query: string,
  members: readonly TMentionable[],
  meId: string,
  limit = 8,
  groups: readonly TMentionableGroup[] = [],
): TMentionOption[] {
  const q = query.toLowerCase().trimEnd();
  const users = members
    .filter((m) => m.userId !== meId && !m.isDeactivated && nameMatches(m.name, q))
    .sort((a, b) => {
      const aStarts = a.name.toLowerCase().startsWith(q) ? 0 : 1;
      const bStarts = b.name.toLowerCase().startsWith(q) ? 0 : 1;
      return aStarts - bStarts || a.name.localeCompare(b.name);
    })
    .map((m): TMentionOption => ({ kind: "user", userId: m.userId, name: m.name, avatarId: m.avatarId }));
  const broadcasts = BROADCAST_MENTIONS.filter((b) => b.startsWith(q)).map(
    (name): TMentionOption => ({ kind: "broadcast", name, description: BROADCAST_DESCRIPTIONS[name] }),
  );
  const groupOptions = groups
    .filter((g) => g.handle.toLowerCase().startsWith(q) || nameMatches(g.name, q))
    .map((g): TMentionOption => ({ kind: "group", groupId: g.groupId, name: g.handle, description: g.name }));
  return [...users, ...groupOptions, ...broadcasts].slice(0, limit);
}

/** The text an option inserts in place of the "@query" (without the trailing space). */
export function mentionText(option: TMentionOption): string {
  return `@${option.name}`;
}
