/**
 * The search query language people know from Slack: words (prefix-matched), "exact phrases",
 * -excluded words, and filters `in:#channel`, `in:@person` (DMs with them), `from:@person` (or
 * `from:me`), `has:file|image|voice|link`, `is:thread`, `is:pinned`, `mentions:me`,
 * `before:` / `after:` / `on:` YYYY-MM-DD (days in UTC). Values with spaces are quoted:
 * `from:@"Ada Lovelace"`. A word with a colon that is not a filter (`10:30`, `http://…`) is a word.
 * Pure: no database; search.ts turns the result into SQL.
 */
import { ParleyError } from "../errors.ts";

export const SEARCH_HAS = ["file", "image", "voice", "link"] as const;
export type TSearchHas = (typeof SEARCH_HAS)[number];

export type TParsedSearch = {
  /** Words every result contains (a word or a word starting with it). */
  words: string[];
  /** Phrases every result contains, word for word. */
  phrases: string[];
  /** Words no result contains. */
  excluded: string[];
  /** `in:#name`: channels by name. */
  inChannels: string[];
  /** `in:@person`: DMs and group DMs with that person (a name or e-mail). */
  inPeople: string[];
  /** `from:@person` (a name or e-mail); `from:me` is `fromMe`. */
  from: string[];
  fromMe: boolean;
  has: TSearchHas[];
  isThread: boolean;
  isPinned: boolean;
  mentionsMe: boolean;
  /** Half-open day bounds in UTC: createdAt ≥ after, < before. */
  after: Date | null;
  before: Date | null;
};

/** Longest query, in characters, and most words, phrases and filters in one. */
export const MAX_SEARCH_QUERY_LENGTH = 500;
export const MAX_SEARCH_TERMS = 20;

const FILTERS = new Set(["in", "from", "has", "is", "mentions", "before", "after", "on"]);
const DAY_MS = 86_400_000;

/** Splits on whitespace, keeping "quoted runs" (also after `-` or `key:`) together, quotes removed. */
function tokens(query: string): { text: string; isQuoted: boolean }[] {
  const out: { text: string; isQuoted: boolean }[] = [];
  const re = /(\S*?)"([^"]*)"?|(\S+)/g;
  for (const m of query.matchAll(re)) {
    if (m[3] !== undefined) out.push({ text: m[3], isQuoted: false });
    else out.push({ text: `${m[1] ?? ""}${m[2] ?? ""}`, isQuoted: true });
  }
  return out;
}

/** A YYYY-MM-DD day as the UTC instant it starts. */
function day(value: string, key: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const at = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  const date = new Date(at);
  if (!m || Number.isNaN(at) || date.getUTCDate() !== Number(m[3])) {
    throw new ParleyError("BAD_REQUEST", "{key}: expects a day as YYYY-MM-DD, e.g. {key}:2026-12-01", {
      params: { key },
    });
  }
  return date;
}

/** Parses a query; throws BAD_REQUEST with a message naming the part it cannot use. */
export function parseSearchQuery(query: string): TParsedSearch {
  if (query.length > MAX_SEARCH_QUERY_LENGTH) {
    throw new ParleyError("BAD_REQUEST", "A search is at most {max} characters", {
      params: { max: MAX_SEARCH_QUERY_LENGTH },
    });
  }
  const parsed: TParsedSearch = {
    words: [],
    phrases: [],
    excluded: [],
    inChannels: [],
    inPeople: [],
    from: [],
    fromMe: false,
    has: [],
    isThread: false,
    isPinned: false,
    mentionsMe: false,
    after: null,
    before: null,
  };
  let terms = 0;
  for (const token of tokens(query)) {
    const text = token.text;
    if (++terms > MAX_SEARCH_TERMS)
      throw new ParleyError("BAD_REQUEST", "A search has at most {max} words and filters", {
        params: { max: MAX_SEARCH_TERMS },
      });
    const colon = text.indexOf(":");
    const key = colon > 0 ? text.slice(0, colon).toLowerCase() : "";
    if (colon > 0 && FILTERS.has(key) && !text.startsWith("-")) {
      const value = text.slice(colon + 1).trim();
      if (value === "")
        throw new ParleyError("BAD_REQUEST", "{key}: needs a value, e.g. {example}", {
          params: { key, example: example(key) },
        });
      filter(parsed, key, value);
      continue;
    }
    if (text.startsWith("-") && text.length > 1) {
      parsed.excluded.push(text.slice(1));
    } else if (token.isQuoted && /\s/.test(text.trim())) {
      parsed.phrases.push(text.trim());
    } else if (text.trim() !== "" && text !== "-") {
      parsed.words.push(text.trim());
    }
  }
  return parsed;
}

function example(key: string): string {
  return (
    {
      in: "in:#general or in:@ada",
      from: "from:@ada or from:me",
      has: "has:file",
      is: "is:thread",
      mentions: "mentions:me",
    }[key] ?? `${key}:2026-12-01`
  );
}

function filter(parsed: TParsedSearch, key: string, value: string): void {
  const lower = value.toLowerCase();
  switch (key) {
    case "in":
      if (value.startsWith("#") && value.length > 1) parsed.inChannels.push(value.slice(1));
      else if (value.startsWith("@") && value.length > 1) parsed.inPeople.push(value.slice(1));
      else
        throw new ParleyError("BAD_REQUEST", "in: expects #channel or @person, e.g. {example}", {
          params: { example: example(key) },
        });
      return;
    case "from":
      if (lower === "me" || lower === "@me") parsed.fromMe = true;
      else parsed.from.push(value.startsWith("@") ? value.slice(1) : value);
      return;
    case "has":
      if (!(SEARCH_HAS as readonly string[]).includes(lower)) {
        throw new ParleyError("BAD_REQUEST", "has: expects {values}", {
          params: { values: SEARCH_HAS.join(", ") },
        });
      }
      if (!parsed.has.includes(lower as TSearchHas)) parsed.has.push(lower as TSearchHas);
      return;
    case "is":
      if (lower === "thread") parsed.isThread = true;
      else if (lower === "pinned") parsed.isPinned = true;
      else throw new ParleyError("BAD_REQUEST", "is: expects thread or pinned");
      return;
    case "mentions":
      if (lower !== "me" && lower !== "@me") throw new ParleyError("BAD_REQUEST", "mentions: expects me");
      parsed.mentionsMe = true;
      return;
    case "before": {
      const d = day(value, key);
      parsed.before = parsed.before && parsed.before < d ? parsed.before : d;
      return;
    }
    case "after": {
      const d = new Date(day(value, key).getTime() + DAY_MS);
      parsed.after = parsed.after && parsed.after > d ? parsed.after : d;
      return;
    }
    case "on": {
      const d = day(value, key);
      const end = new Date(d.getTime() + DAY_MS);
      parsed.after = parsed.after && parsed.after > d ? parsed.after : d;
      parsed.before = parsed.before && parsed.before < end ? parsed.before : end;
      return;
    }
  }
}

/** True when the query has words or phrases to match (else only filters: results by date). */
export function hasText(parsed: TParsedSearch): boolean {
  return parsed.words.length > 0 || parsed.phrases.length > 0;
}
