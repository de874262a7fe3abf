/**
 * Message search over the index the indexer keeps (indexer.ts), permission-filtered IN the query:
 * only messages of conversations the actor can read now (public channels, and private channels,
 * DMs and group DMs they are a member of), never deleted ones (the index has no row for them and
 * the query checks `deletedAt` again). Words match by prefix in English stems or as written
 * (`deplo` finds "deployments", `parseJSON` finds itself), and from three characters also inside
 * words (`ploym` finds "deployment": the lexicon's words containing it, by trigram, when no word
 * starts with it); phrases word for word.
 */
import type { Db } from "@parley/db";
import { z } from "zod";
import type { Actor } from "../actor.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { hasText, type ParsedSearch, parseSearchQuery } from "./query.ts";

export const ZSearchMessages = z.strictObject({
  query: z.string().max(500),
  /** Relevance (default when the query has words) or newest first. */
  sort: z.enum(["relevance", "date"]).optional(),
  /** Only this conversation (search inside the open channel or DM). */
  conversationId: z.uuid().optional(),
  /** Only this thread (its root and replies). */
  threadRootId: z.uuid().optional(),
  /** From the previous page's `nextCursor`. */
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(50).optional(),
  /** Sent by tRPC's infinite queries with the cursor; pages only go forward. */
  direction: z.enum(["forward", "backward"]).optional(),
});
export type TSearchMessages = z.infer<typeof ZSearchMessages>;

/** Marks around matched words in `snippet` (control characters: never in rendered text). */
export const SNIPPET_START = "\u0002";
export const SNIPPET_END = "\u0003";

export type SearchHit = {
  messageId: string;
  conversationId: string;
  conversationKind: string;
  /** Channel name; null for DMs. */
  conversationName: string | null;
  seq: number;
  senderId: string;
  senderName: string;
  threadRootId: string | null;
  createdAt: Date;
  /** The matching part of the text with SNIPPET_START/SNIPPET_END around matches. */
  snippet: string;
};

export type SearchResult = { hits: SearchHit[]; nextCursor: string | null };

/** A tsquery lexeme: the word quoted (quotes and backslashes escaped), optionally a prefix. */
function lexeme(word: string, isPrefix: boolean): string {
  return `'${word.replace(/\\/g, "\\\\").replace(/'/g, "''")}'${isPrefix ? ":*" : ""}`;
}

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
function partialWords(p: (value: unknown) => string, word: string): string {
  const lower = likeEscape(word.toLowerCase());
  const quoted = String.raw`'''' || replace(replace(x.word, '\', '\\'), '''', '''''') || ''''`;
  return `COALESCE((SELECT string_agg(' | ' || ${quoted}, '')
    FROM (SELECT sw.word FROM "SearchWord" sw
      WHERE sw.word LIKE ${p(`%${lower}%`)}
        AND NOT EXISTS (SELECT 1 FROM "SearchWord" pw WHERE pw.word LIKE ${p(`${lower}%`)})
      ORDER BY length(sw.word), sw.word LIMIT ${MAX_PARTIAL_EXPANSIONS}) x), '')`;
}

/** Builds the WHERE conditions and the tsquery expression; values go to `params` ($n). */
function compile(parsed: ParsedSearch, actorId: string, input: TSearchMessages, params: unknown[]) {
  const p = (value: unknown) => param(params, value);
  const me = p(actorId);
  // Conversations: the readable ones (public, or a member now), narrowed by in:/conversationId.
  const conversations = [
    `(c.kind = 'public_channel' OR EXISTS (
      SELECT 1 FROM "Membership" mm WHERE mm."conversationId" = c.id AND mm."userId" = ${me}::uuid))`,
  ];
  const where: string[] = [];
  const onMessage: string[] = [];
  // Each word: an English stem prefix or the word as written (prefix); all words must match.
  const parts: string[] = [];
  for (const word of parsed.words) {
    const w = p(lexeme(word, true));
    const alternatives = word.length >= MIN_PARTIAL_WORD ? `(${w}::text || ${partialWords(p, word)})` : w;
    parts.push(`(to_tsquery('english', ${alternatives}) || to_tsquery('simple', ${alternatives}))`);
  }
  for (const phrase of parsed.phrases) {
    const ph = p(phrase);
    parts.push(`(phraseto_tsquery('english', ${ph}) || phraseto_tsquery('simple', ${ph}))`);
  }
  for (const word of parsed.excluded) {
    const x = p(word);
    parts.push(`!!(phraseto_tsquery('english', ${x}) || phraseto_tsquery('simple', ${x}))`);
  }
  const tsquery = parts.length > 0 ? parts.join(" && ") : null;
  // Only exclusions: `@@ !!x` keeps what lacks x (no index to help; filters narrow it).
  if (tsquery) where.push(`s.tsv @@ q.q`);

  if (input.conversationId) conversations.push(`c.id = ${p(input.conversationId)}::uuid`);
  if (input.threadRootId) {
    const root = p(input.threadRootId);
    where.push(`(s."messageId" = ${root}::uuid OR s."threadRootId" = ${root}::uuid)`);
    onMessage.push(`(m.id = ${root}::uuid OR m."threadRootId" = ${root}::uuid)`);
  }
  const userMatch = (value: string) => {
    const v = p(value.toLowerCase());
    return `SELECT id FROM "User" WHERE lower(name) = ${v} OR email = ${v} OR split_part(email, '@', 1) = ${v}`;
  };
  if (parsed.inChannels.length > 0) {
    const names = p(parsed.inChannels.map((n) => n.toLowerCase()));
    conversations.push(
      `c.kind IN ('public_channel', 'private_channel') AND lower(c.name) = ANY(${names}::text[])`,
    );
  }
  for (const person of parsed.inPeople) {
    conversations.push(`c.kind IN ('dm', 'group_dm') AND EXISTS (
      SELECT 1 FROM "Membership" pm WHERE pm."conversationId" = c.id AND pm."userId" IN (${userMatch(person)}))`);
  }
  // Each filter on the index row (`where`, with words) and on Message (`onMessage`, filters only).
  const both = (onIndex: string, onRow: string) => {
    where.push(onIndex);
    onMessage.push(onRow);
  };
  if (parsed.from.length > 0) {
    const senders = parsed.from.map((f) => `IN (${userMatch(f)})`);
    both(
      `(${senders.map((x) => `s."senderId" ${x}`).join(" OR ")})`,
      `(${senders.map((x) => `m."senderId" ${x}`).join(" OR ")})`,
    );
  }
  if (parsed.fromMe) both(`s."senderId" = ${me}::uuid`, `m."senderId" = ${me}::uuid`);
  for (const has of parsed.has) {
    if (has === "link") both(`s."hasLink"`, `m.body ~* 'https?://'`);
    else {
      const mime =
        has === "image" ? `AND a.mime LIKE 'image/%'` : has === "voice" ? `AND a.mime LIKE 'audio/%'` : "";
      both(
        `s."${has === "image" ? "hasImage" : has === "voice" ? "hasVoice" : "hasFile"}"`,
        `EXISTS (SELECT 1 FROM "Attachment" a WHERE a."messageId" = m.id AND a.status = 'ready' ${mime})`,
      );
    }
  }
  if (parsed.isThread) both(`s."isThread"`, `(m."threadRootId" IS NOT NULL OR m."replyCount" > 0)`);
  if (parsed.isPinned) both(`s."isPinned"`, `m."pinnedAt" IS NOT NULL`);
  if (parsed.mentionsMe) {
    both(
      `(${me}::uuid = ANY(s."mentionedUserIds") OR s."mentionsAll")`,
      `(${me}::uuid = ANY(m."mentionedUserIds") OR m."mentionsAll")`,
    );
  }
  if (parsed.after) {
    const at = p(parsed.after);
    both(`s."createdAt" >= ${at}::timestamp(3)`, `m."createdAt" >= ${at}::timestamp(3)`);
  }
  if (parsed.before) {
    const at = p(parsed.before);
    both(`s."createdAt" < ${at}::timestamp(3)`, `m."createdAt" < ${at}::timestamp(3)`);
  }
  return { conversations, where, onMessage, tsquery };
}

/** Searches the messages `actor` can read; see the header and query.ts for the language. */
export async function searchMessages(db: Db, actor: Actor, rawInput: TSearchMessages): Promise<SearchResult> {
  const input = parseInput(ZSearchMessages, rawInput);
  const parsed = parseSearchQuery(input.query);
  const params: unknown[] = [];
  const { conversations, where, onMessage, tsquery } = compile(parsed, actor.userId, input, params);
  const limit = input.limit ?? 20;
  const sort = input.sort ?? (hasText(parsed) ? "relevance" : "date");
  const offset = input.cursor === undefined ? 0 : Number(input.cursor);
  if (!Number.isInteger(offset) || offset < 0 || offset > 10_000) {
    throw new ParleyError("BAD_REQUEST", "Invalid cursor: pass the nextCursor of the previous page");
  }
  const byRank = sort === "relevance" && tsquery !== null;
  const options = tsquery
    ? param(params, `StartSel=${SNIPPET_START}, StopSel=${SNIPPET_END}, MaxWords=35, MinWords=15`)
    : "";
  // Phase 1 finds the page's message ids: the readable conversations first (a small set, so the
  // permission rule costs one probe per conversation, not one per message), then the index (or,
  // with filters only, Message itself: no need to wait for the indexer). Phase 2 decorates the
  // page's rows only (names, snippet).
  // With words: the index rows alone rank, order and filter (what the filters ask is on them).
  // Filters only: Message itself, as it is now. A message deleted since the indexer's last round
  // is dropped in phase 2.
  const found = tsquery
    ? `SELECT s."messageId" AS id, s."createdAt", ${byRank ? "ts_rank(s.tsv, q.q)" : "0::real"} AS rank
       FROM "MessageSearch" s
       WHERE s."conversationId" IN (SELECT id FROM readable) AND ${where.join(" AND ")}`
    : `SELECT m.id, m."createdAt", 0::real AS rank
       FROM "Message" m
       WHERE m."conversationId" IN (SELECT id FROM readable) AND m."deletedAt" IS NULL
         ${onMessage.map((w) => `AND ${w}`).join(" ")}`;
  const sql = `
    WITH q AS MATERIALIZED (SELECT ${tsquery ?? "NULL::tsquery"} AS q),
    readable AS MATERIALIZED (
      SELECT c.id FROM "Conversation" c WHERE ${conversations.join(" AND ")}
    ),
    page AS MATERIALIZED (
      SELECT f.* FROM (${found.replaceAll("q.q", "(SELECT q FROM q)")}) f
      ORDER BY ${byRank ? "f.rank DESC, " : ""}f."createdAt" DESC, f.id DESC
      LIMIT ${limit + 1} OFFSET ${offset}
    )
    SELECT m.id AS "messageId", m."conversationId", c.kind::text AS "conversationKind",
      c.name AS "conversationName", m.seq, m."senderId", u.name AS "senderName", m."threadRootId",
      m."createdAt", (SELECT count(*) FROM page)::int AS "found",
      ${
        tsquery
          ? `ts_headline('english', COALESCE(s.text, m.body), (SELECT q FROM q), ${options})`
          : `left(COALESCE(s.text, m.body), 200)`
      } AS snippet
    FROM page
    JOIN "Message" m ON m.id = page.id
    JOIN "Conversation" c ON c.id = m."conversationId"
    JOIN "User" u ON u.id = m."senderId"
    LEFT JOIN "MessageSearch" s ON s."messageId" = m.id
    WHERE m."deletedAt" IS NULL
    ORDER BY ${byRank ? "page.rank DESC, " : ""}page."createdAt" DESC, page.id DESC`;
  const rows = await db.$queryRawUnsafe<(SearchHit & { found: number })[]>(sql, ...params);
  // `found` counts the page before deleted messages were dropped: more may follow even if fewer show.
  const hits = rows.slice(0, limit).map(({ found: _found, ...hit }) => hit);
  const isMore = (rows[0]?.found ?? 0) > limit;
  return { hits, nextCursor: isMore ? String(offset + limit) : null };
}

function param(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}
