/**
 * Emoji for the composer's `:shortcode:` autocomplete and the emoji picker. The data comes from the
 * emojibase-data package (CLDR names and groups, Slack's shortcodes from the iamcal set: `:tada:`,
 * `:thumbsup:`, `:+1:`), bundled with the app and loaded on first use as a chunk of our own build:
 * nothing is fetched from anywhere else at run time.
 *
 * Only emoji up to MAX_EMOJI_VERSION are offered, so every one of them draws as a picture with the
 * emoji fonts people have (Noto Color Emoji 2.042 on Debian 12 stops at Emoji 15.0). To offer newer
 * emoji, raise it once the fonts in use draw them. Skin tones are not offered yet.
 */

import { customEmojiCode, customEmojiUrl } from "./custom-emoji";

/** One emoji as the UI offers it. */
export type TEmoji = {
  /** The characters to insert, in Unicode's fully-qualified form (so 👍 from anywhere is one reaction). */
  emoji: string;
  /** CLDR name, e.g. "party popper": the accessible name of its button. */
  name: string;
  /** Shortcodes without colons, Slack's first ("tada"). */
  shortcodes: string[];
  tags: string[];
  group: number;
  /** Custom emoji only: its picture (`emoji` is then its `:name:`, what a pick inserts or reacts with). */
  imageUrl?: string;
};

export type TEmojiGroup = { key: string; label: string; emojis: TEmoji[] };

export type TEmojiIndex = {
  emojis: TEmoji[];
  groups: TEmojiGroup[];
  byShortcode: ReadonlyMap<string, TEmoji>;
};

/** The newest Emoji version offered (see the file header). */
export const MAX_EMOJI_VERSION = 15;

/** The fields of emojibase-data's `data.json` entries this module reads. */
export type TRawEmoji = {
  emoji: string;
  label: string;
  hexcode: string;
  group?: number;
  order?: number;
  tags?: string[];
  version: number;
};

/** emojibase's "components" group: skin tone and hair swatches, not emoji to send. */
const COMPONENT_GROUP = 2;

/**
 * Drops a variation selector that the emoji does not need: emojibase writes 👍 as U+1F44D U+FE0F,
 * while Unicode's fully-qualified form (and what keyboards send) is U+1F44D alone. Characters that
 * are text by default (❤ U+2764) keep theirs.
 */
export function normalizeEmoji(emoji: string): string {
  return emoji.replace(/(\p{Emoji_Presentation})\uFE0F/gu, "$1");
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Builds the index from emojibase-data's data, shortcodes (hexcode → code or codes) and group names. */
export function buildEmojiIndex(
  raw: readonly TRawEmoji[],
  shortcodes: Readonly<Record<string, string | string[]>>,
  groupNames: readonly { key: string; message: string; order: number }[],
): TEmojiIndex {
  const emojis = raw
    .filter((e) => e.group !== undefined && e.group !== COMPONENT_GROUP && e.version <= MAX_EMOJI_VERSION)
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
    .map((e): TEmoji => {
      const codes = shortcodes[e.hexcode];
      const list = codes === undefined ? [] : Array.isArray(codes) ? codes : [codes];
      return {
        emoji: normalizeEmoji(e.emoji),
        name: e.label,
        shortcodes: list.length > 0 ? list : [e.label.toLowerCase().replace(/[^a-z0-9+-]+/g, "_")],
        tags: e.tags ?? [],
        group: e.group ?? 0,
      };
    });
  const byShortcode = new Map<string, TEmoji>();
  for (const e of emojis) {
    for (const code of e.shortcodes) if (!byShortcode.has(code)) byShortcode.set(code, e);
  }
  const groups = [...groupNames]
    .sort((a, b) => a.order - b.order)
    .map((g) => ({
      key: g.key,
      label: capitalize(g.message),
      emojis: emojis.filter((e) => e.group === g.order),
    }))
    .filter((g) => g.emojis.length > 0);
  return { emojis, groups, byShortcode };
}

/** True when `q` starts `name` or a run of its words ("popper", "party pop"). */
function nameMatches(name: string, q: string): boolean {
  const words = name.toLowerCase().split(/[\s:,]+/);
  return words.some((_, i) => words.slice(i).join(" ").startsWith(q));
}

/** How well `e` matches `q` (lower is better), or null when it does not. */
function score(e: TEmoji, q: string): number | null {
  const code = q.replace(/\s+/g, "_");
  if (e.shortcodes.includes(code)) return 0;
  if (e.shortcodes.some((c) => c.startsWith(code))) return 1;
  if (e.shortcodes.some((c) => c.includes(`_${code}`))) return 2;
  if (nameMatches(e.name, q)) return 3;
  if (e.tags.some((t) => t.startsWith(q))) return 4;
  return null;
}

/** Emoji matching a search ("tad", ":thumbs", "party"), best first, at most `limit`. */
export function searchEmoji(index: TEmojiIndex, query: string, limit = Number.POSITIVE_INFINITY): TEmoji[] {
  const q = query.trim().toLowerCase().replace(/^:|:$/g, "");
  if (!q) return [];
  const scored: { e: TEmoji; s: number; i: number }[] = [];
  index.emojis.forEach((e, i) => {
    const s = score(e, q);
    if (s !== null) scored.push({ e, s, i });
  });
  return scored
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .slice(0, limit)
    .map((x) => x.e);
}

/** The workspace's custom emoji as picker entries (`emoji` is `:name:`). */
export function customEmojiEntries(list: readonly { id: string; name: string }[]): TEmoji[] {
  return list.map((e) => ({
    emoji: customEmojiCode(e.name),
    name: e.name,
    shortcodes: [e.name],
    tags: [],
    group: -1,
    imageUrl: customEmojiUrl(e.id),
  }));
}

/** Custom emoji matching a search first, then standard ones (as `searchEmoji`), at most `limit`. */
export function searchAllEmoji(
  index: TEmojiIndex,
  custom: readonly TEmoji[],
  query: string,
  limit = Number.POSITIVE_INFINITY,
): TEmoji[] {
  const own = searchEmoji({ emojis: [...custom], groups: [], byShortcode: new Map() }, query, limit);
  return [...own, ...searchEmoji(index, query, limit)].slice(0, limit);
}

/** The ":sho" being typed just before the caret: where its ":" is and the letters after it. */
export type TEmojiTrigger = { start: number; query: string };

/**
 * Finds a shortcode being typed right before `caret`: a ":" that starts the text or follows a space
 * or an opening bracket, then at least two shortcode characters ("10:30" and URLs never match).
 */
export function emojiTrigger(text: string, caret: number): TEmojiTrigger | null {
  const match = /(?:^|[\s([{]):([a-z0-9_+-]{2,})$/i.exec(text.slice(0, caret));
  if (!match?.[1]) return null;
  return { start: caret - match[1].length - 1, query: match[1] };
}

/**
 * When the text just before `caret` is a complete known ":shortcode:", the text with it replaced by
 * its emoji and where the caret goes; null otherwise (Slack swaps it as the closing ":" is typed).
 */
export function completeShortcode(
  text: string,
  caret: number,
  index: TEmojiIndex,
): { text: string; caret: number } | null {
  const match = /(?:^|[\s([{]):([a-z0-9_+-]{2,}):$/i.exec(text.slice(0, caret));
  const code = match?.[1];
  const e = code ? index.byShortcode.get(code.toLowerCase()) : undefined;
  if (!code || !e) return null;
  const start = caret - code.length - 2;
  return { text: text.slice(0, start) + e.emoji + text.slice(caret), caret: start + e.emoji.length };
}

let loading: Promise<TEmojiIndex> | null = null;

/** Loads the emoji data once (a chunk of this app's own build) and indexes it. */
export function loadEmojiIndex(): Promise<TEmojiIndex> {
  loading ??= Promise.all([
    import("emojibase-data/en/data.json"),
    import("emojibase-data/en/shortcodes/iamcal.json"),
    import("emojibase-data/en/messages.json"),
  ])
    .then(([data, codes, messages]) =>
      buildEmojiIndex(
        data.default as unknown as TRawEmoji[],
        codes.default as Record<string, string | string[]>,
        messages.default.groups,
      ),
    )
    .catch((err: unknown) => {
      loading = null; // let a later attempt try again
      throw err;
    });
  return loading;
}
