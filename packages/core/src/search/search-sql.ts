/**
 * The SQL pieces of a message search (search.ts runs them): the tsquery of a parsed query (words
 * by prefix in English stems or as written, parts of words through the SearchWord lexicon,
 * phrases, exclusions), the conditions that pick the readable conversations, and the filters on
 * an index row (MessageSearch `s`) or on Message (`m`, filters-only searches). Two statements use
 * them, so each piece binds its values into the parameter list of the statement it belongs to.
 */
import { isGuestSql } from "../guests.ts";
import type { TParsedSearch } from "./query.ts";

/** A statement's parameter list: `bind(value)` appends a value and returns its `$n`. */
export class Params {
  readonly values: unknown[] = [];
  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A tsquery lexeme: the word quoted (quotes and backslashes escaped), optionally a prefix. */
function lexeme(word: string, isPrefix: boolean): string {
  return `'${word.replace(/\\/g, "\\\\").replace(/'/g, "''")}'${isPrefix ? ":*" : ""}`;
}

/**
 * The prefix of fact lexemes (`#from:<id>`, `#has:link`, `#is:thread`, `#mentions:<id>` …) the
 * indexer adds to an index row's tsvector: the text-search parser never makes a word starting
 * with "#", so no query word (nor its prefix match) can reach them.
 */
export const FACT = "#";

/** Shortest word also matched inside longer words (a trigram needs three characters). */
const MIN_PARTIAL_WORD = 3;
/** Most whole words one partial word expands to (the shortest first). */
const MAX_PARTIAL_EXPANSIONS = 32;

/** Escapes LIKE's wildcards (and its escape character) in `text`. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

/**
 * SQL text: ` | 'w1' | 'w2'…` for the lexicon's words that contain `word`, found by trigram in
 * SearchWord, but only when no indexed word starts with it (then the prefix match `:*` is the
 * match: a common word does not also pull in every word it hides in, which would multiply the
 * rows a search reads); '' otherwise. Each word is quoted as a tsquery lexeme (\ and ' doubled).
 */
function partialWords(p: Params, word: string): string {
  const lower = likeEscape(word.toLowerCase());
  const quoted = String.raw`'''' || replace(replace(x.word, '\', '\\'), '''', '''''') || ''''`;
  return `COALESCE((SELECT string_agg(' | ' || ${quoted}, '')
    FROM (SELECT sw.word FROM "SearchWord" sw
      WHERE sw.word LIKE ${p.bind(`%${lower}%`)}
        AND NOT EXISTS (SELECT 1 FROM "SearchWord" pw WHERE pw.word LIKE ${p.bind(`${lower}%`)})
      ORDER BY length(sw.word), sw.word LIMIT ${MAX_PARTIAL_EXPANSIONS}) x), '')`;
}

/** What a search asks beyond its text: the open conversation or thread. */
export type TSearchScopeInput = { conversationId?: string | undefined; threadRootId?: string | undefined };

/**
 * Compiles a parsed query. `head` gets the values of the first statement (the tsquery and the
 * readable conversations: `conversations`, conditions on `c`), `rows` those of the statements
 * that read rows (`where` on the index row `s`, `onMessage` on `m`).
 */
export function compile(
  parsed: TParsedSearch,
  actorId: string,
  scope: TSearchScopeInput,
  head: Params,
  rows: Params,
) {
  // Conversations: the readable ones (public, or a member now), narrowed by in:/conversationId.
  // Guests: member conversations only (guests.ts), by the stored role.
  const actor = `${head.bind(actorId)}::uuid`;
  const conversations = [
    `((c.kind = 'public_channel' AND NOT ${isGuestSql(actor)}) OR EXISTS (
      SELECT 1 FROM "Membership" mm WHERE mm."conversationId" = c.id AND mm."userId" = ${actor}))`,
  ];
  const where: string[] = [];
  const onMessage: string[] = [];
  // Each word: an English stem prefix or the word as written (prefix); all words must match.
  const parts: string[] = [];
  for (const word of parsed.words) {
    const w = head.bind(lexeme(word, true));
    const alternatives = word.length >= MIN_PARTIAL_WORD ? `(${w}::text || ${partialWords(head, word)})` : w;
    parts.push(`(to_tsquery('english', ${alternatives}) || to_tsquery('simple', ${alternatives}))`);
  }
  for (const phrase of parsed.phrases) {
    const ph = head.bind(phrase);
    parts.push(`(phraseto_tsquery('english', ${ph}) || phraseto_tsquery('simple', ${ph}))`);
  }
  for (const word of parsed.excluded) {
    const x = head.bind(word);
    parts.push(`!!(phraseto_tsquery('english', ${x}) || phraseto_tsquery('simple', ${x}))`);
  }

  if (scope.conversationId) conversations.push(`c.id = ${head.bind(scope.conversationId)}::uuid`);
  if (scope.threadRootId) {
    const root = rows.bind(scope.threadRootId);
    where.push(`(s."messageId" = ${root}::uuid OR s."threadRootId" = ${root}::uuid)`);
    onMessage.push(`(m.id = ${root}::uuid OR m."threadRootId" = ${root}::uuid)`);
  }
  const userMatch = (p: Params, value: string) => {
    const v = p.bind(value.toLowerCase());
    return `SELECT id FROM "User" WHERE lower(name) = ${v} OR email = ${v} OR split_part(email, '@', 1) = ${v}`;
  };
  if (parsed.inChannels.length > 0) {
    const names = head.bind(parsed.inChannels.map((n) => n.toLowerCase()));
    conversations.push(
      `c.kind IN ('public_channel', 'private_channel') AND lower(c.name) = ANY(${names}::text[])`,
    );
  }
  for (const person of parsed.inPeople) {
    conversations.push(`c.kind IN ('dm', 'group_dm') AND EXISTS (
      SELECT 1 FROM "Membership" pm WHERE pm."conversationId" = c.id AND pm."userId" IN (${userMatch(head, person)}))`);
  }
  // Each filter: with words, a fact lexeme of the index row's tsvector (indexer.ts), AND-ed into
  // the tsquery so the GIN index applies it before any row is read; filters only, a condition on
  // Message (`onMessage`).
  const hasWords = parts.length > 0;
  const filter = (fact: (p: Params) => string, onRow: (p: Params) => string) => {
    if (hasWords) parts.push(fact(head));
    else onMessage.push(onRow(rows));
  };
  const lexemeOf = (p: Params, name: string) => `${p.bind(`'${FACT}${name}'`)}::tsquery`;
  if (parsed.from.length > 0) {
    filter(
      (p) => `COALESCE((SELECT string_agg('''${FACT}from:' || u.id || '''', ' | ') FROM "User" u
        WHERE ${parsed.from.map((f) => `u.id IN (${userMatch(p, f)})`).join(" OR ")})::tsquery,
        ${lexemeOf(p, "nobody")})`,
      (p) => `(${parsed.from.map((f) => `m."senderId" IN (${userMatch(p, f)})`).join(" OR ")})`,
    );
  }
  if (parsed.fromMe)
    filter(
      (p) => lexemeOf(p, `from:${actorId}`),
      (p) => `m."senderId" = ${p.bind(actorId)}::uuid`,
    );
  for (const has of parsed.has) {
    const mime =
      has === "image" ? `AND a.mime LIKE 'image/%'` : has === "voice" ? `AND a.mime LIKE 'audio/%'` : "";
    filter(
      (p) => lexemeOf(p, `has:${has}`),
      () =>
        has === "link"
          ? `m.body ~* 'https?://'`
          : `EXISTS (SELECT 1 FROM "Attachment" a WHERE a."messageId" = m.id AND a.status = 'ready' ${mime})`,
    );
  }
  if (parsed.isThread) {
    filter(
      (p) => lexemeOf(p, "is:thread"),
      () => `(m."threadRootId" IS NOT NULL OR m."replyCount" > 0)`,
    );
  }
  if (parsed.isPinned)
    filter(
      (p) => lexemeOf(p, "is:pinned"),
      () => `m."pinnedAt" IS NOT NULL`,
    );
  if (parsed.mentionsMe) {
    filter(
      (p) => `(${lexemeOf(p, `mentions:${actorId}`)} || ${lexemeOf(p, "mentions:all")})`,
      (p) => {
        const me = p.bind(actorId);
        return `(${me}::uuid = ANY(m."mentionedUserIds") OR m."mentionsAll")`;
      },
    );
  }
  // Dates bound the time windows of a search with words (search.ts), and Message's rows.
  const both = (onIndex: string, onRow: string) => {
    where.push(onIndex);
    onMessage.push(onRow);
  };
  if (parsed.after) {
    const at = rows.bind(parsed.after);
    both(`s."createdAt" >= ${at}::timestamp(3)`, `m."createdAt" >= ${at}::timestamp(3)`);
  }
  if (parsed.before) {
    const at = rows.bind(parsed.before);
    both(`s."createdAt" < ${at}::timestamp(3)`, `m."createdAt" < ${at}::timestamp(3)`);
  }
  return { conversations, where, onMessage, tsquery: parts.length > 0 ? parts.join(" && ") : null };
}
