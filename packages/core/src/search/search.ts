/**
 * Message search over the index the indexer keeps (indexer.ts), permission-filtered IN the query:
 * only messages of conversations the actor can read now (public channels, and private channels,
 * DMs and group DMs they are a member of), never deleted ones (the index has no row for them and
 * the query checks `deletedAt` again). Words match by prefix in English stems or as written
 * (`deplo` finds "deployments", `parseJSON` finds itself), and from three characters also inside
 * words (`ploym` finds "deployment": the lexicon's words containing it, by trigram, when no word
 * starts with it); phrases word for word. The SQL pieces are in search-sql.ts.
 *
 * A search with words reads the index in time windows, newest first — a day back, then as far
 * back as the matches seen so far suggest (twice that, at least double), the one reaching past
 * the oldest row unbounded — and stops once it has enough rows: a common word
 * reads a day's matches, not a year's (each match read costs a heap row). Newest first, enough
 * is the page; by relevance, enough is the newest RANK_CANDIDATES matches, which are ranked with
 * `ts_rank` (older matches follow them by date): relevance among recent messages, which is what a
 * chat's search is for, at a bounded cost.
 */
import type { TDb } from "@parley/db";
import { z } from "zod";
import type { TActor } from "../actor.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { ZId } from "../schemas.ts";
import type { TTx } from "../tx.ts";
import { hasText, parseSearchQuery } from "./query.ts";
import { compile, Params } from "./search-sql.ts";

export const ZSearchMessages = z.strictObject({
  query: z.string().max(500),
  /** Relevance (default when the query has words) or newest first. */
  sort: z.enum(["relevance", "date"]).optional(),
  /** Only this conversation (search inside the open channel or DM). */
  conversationId: ZId.optional(),
  /** Only this thread (its root and replies). */
  threadRootId: ZId.optional(),
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

export type TSearchHit = {
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

export type TSearchResult = { hits: TSearchHit[]; nextCursor: string | null };

/** Newest matches a relevance order ranks (older ones follow them, newest first). */
export const RANK_CANDIDATES = 100;
/** The first time window (a day back), and how much further back each next one reaches at least. */
const FIRST_WINDOW_MS = 86_400_000;
const WINDOW_GROWTH = 2;
/** Deepest page: the offset in `nextCursor`. */
const MAX_OFFSET = 10_000;

type Row = { id: string; createdAt: Date; rank: number };

/** Searches the messages `actor` can read; see the header and query.ts for the language. */
export async function searchMessages(
  db: TDb,
  actor: TActor,
  rawInput: TSearchMessages,
): Promise<TSearchResult> {
  const input = parseInput(ZSearchMessages, rawInput);
  const parsed = parseSearchQuery(input.query);
  const offset = input.cursor === undefined ? 0 : Number(input.cursor);
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
    throw new ParleyError("BAD_REQUEST", "Invalid cursor: pass the nextCursor of the previous page");
  }
  const limit = input.limit ?? 20;
  const head = new Params();
  const rows = new Params();
  const { conversations, where, onMessage, tsquery } = compile(parsed, actor.userId, input, head, rows);
  // First: the tsquery (with the lexicon's words for parts of words) and the readable
  // conversations (a small set: the permission rule costs one probe per conversation, not one per
  // message), as values, so the planner of the row statements sees both.
  // Also the oldest index row's time: the window reaching past it is the last.
  const [first] = await db.$queryRawUnsafe<{ q: string | null; ids: string[]; oldest: Date | null }[]>(
    `SELECT ${tsquery ? `(${tsquery})::text` : "NULL::text"} AS q,
       ARRAY(SELECT c.id FROM "Conversation" c WHERE ${conversations.join(" AND ")}) AS ids,
       ${tsquery ? `(SELECT min("createdAt") FROM "MessageSearch")` : "NULL::timestamp"} AS oldest`,
    ...head.values,
  );
  const ids = first?.ids ?? [];
  if (ids.length === 0) return { hits: [], nextCursor: null };
  const want = offset + limit + 1;
  let page: Row[];
  if (tsquery) {
    const byRank = (input.sort ?? (hasText(parsed) ? "relevance" : "date")) === "relevance";
    const found = await newestMatches(db, {
      q: first?.q ?? "",
      ids,
      where,
      rows,
      want: byRank ? Math.max(want, RANK_CANDIDATES) : want,
      withRank: byRank,
      after: parsed.after,
      before: parsed.before,
      oldest: first?.oldest ?? null,
    });
    page = (byRank ? rankOrder(found) : found).slice(offset, want);
  } else {
    // Filters only: Message itself, as it is now (no need to wait for the indexer).
    const p = cloneParams(rows);
    page = await db.$queryRawUnsafe<Row[]>(
      `SELECT m.id, m."createdAt", 0::real AS rank FROM "Message" m
       WHERE m."conversationId" = ANY(${p.bind(ids)}::uuid[]) AND m."deletedAt" IS NULL
         ${onMessage.map((w) => `AND ${w}`).join(" ")}
       ORDER BY m."createdAt" DESC, m.id DESC
       LIMIT ${p.bind(limit + 1)}::int OFFSET ${p.bind(offset)}::int`,
      ...p.values,
    );
  }
  const hits = await decorate(db, page.slice(0, limit), tsquery ? (first?.q ?? null) : null);
  // More may follow even when deleted messages made this page shorter.
  return { hits, nextCursor: page.length > limit ? String(offset + limit) : null };
}

/** Copies a parameter list, so a statement can bind more values after the shared ones. */
function cloneParams(from: Params): Params {
  const p = new Params();
  for (const value of from.values) p.bind(value);
  return p;
}

/**
 * The newest `want` index rows matching `q` in the conversations `ids` under `where`, newest
 * first, read window by window (see the header); `rank` is ts_rank when asked, else 0.
 */
type WindowOptions = {
  q: string;
  ids: string[];
  where: string[];
  rows: Params;
  want: number;
  withRank: boolean;
  after: Date | null;
  before: Date | null;
  oldest: Date | null;
};

async function newestMatches(db: TDb, o: WindowOptions): Promise<Row[]> {
  // One transaction, with plain index scans off: the planner, misjudging how many rows the
  // filters keep, would walk the createdAt index through a whole window (every row of 64 days
  // read to keep 31, at 300,000 messages). Bitmaps — the words' GIN AND the window's range —
  // read only the matches inside the window.
  // Waits for a pooled connection like a write does, rather than failing a search under load.
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL enable_indexscan = off");
      return readWindows(tx, o);
    },
    { maxWait: 15_000, timeout: 20_000 },
  );
}

async function readWindows(db: TTx, o: WindowOptions): Promise<Row[]> {
  const found: Row[] = [];
  const top = o.before ? Math.min(o.before.getTime(), Date.now()) : Date.now();
  let hi: Date | null = o.before;
  let span = FIRST_WINDOW_MS;
  while (found.length < o.want) {
    const bound = top - span;
    const isLast =
      o.oldest === null || bound <= o.oldest.getTime() || (o.after !== null && bound <= o.after.getTime());
    const lo = isLast ? o.after : new Date(bound);
    const p = cloneParams(o.rows);
    const q = p.bind(o.q);
    const conditions = [
      `s."conversationId" = ANY(${p.bind(o.ids)}::uuid[])`,
      `s.tsv @@ ${q}::tsquery`,
      ...o.where,
      ...(lo ? [`s."createdAt" >= ${p.bind(lo)}::timestamp(3)`] : []),
      ...(hi ? [`s."createdAt" < ${p.bind(hi)}::timestamp(3)`] : []),
    ];
    const rows = await db.$queryRawUnsafe<Row[]>(
      `SELECT x.id, x."createdAt", ${o.withRank ? `ts_rank(x.tsv, ${q}::tsquery)` : "0::real"} AS rank
       FROM (
         SELECT s."messageId" AS id, s."createdAt", s.tsv FROM "MessageSearch" s
         WHERE ${conditions.join(" AND ")}
         ORDER BY s."createdAt" DESC, s."messageId" DESC
         LIMIT ${p.bind(o.want - found.length)}::int
       ) x
       ORDER BY x."createdAt" DESC, x.id DESC`,
      ...p.values,
    );
    found.push(...rows);
    if (isLast) break;
    hi = lo;
    // The next window reaches back far enough for the rows still wanted at the density seen so
    // far (twice that, at least WINDOW_GROWTH times as far): a rare match reaches far at once, a
    // window that came close is only doubled (a bitmap reads every match in its window).
    span *= Math.max(WINDOW_GROWTH, (2 * o.want) / Math.max(found.length, 1));
  }
  return found;
}

/** The newest RANK_CANDIDATES rows by rank (ties: newest first), then the rest newest first. */
function rankOrder(newestFirst: Row[]): Row[] {
  const ranked = newestFirst.slice(0, RANK_CANDIDATES).sort((a, b) => b.rank - a.rank);
  return [...ranked, ...newestFirst.slice(RANK_CANDIDATES)];
}

/**
 * Names, sender, place and a snippet for a page of message ids, in the page's order; deleted
 * messages are left out. The snippet marks matches of `q` (ts_headline) or, without words, is the
 * start of the text.
 */
async function decorate(db: TDb, page: Row[], q: string | null): Promise<TSearchHit[]> {
  if (page.length === 0) return [];
  const p = new Params();
  const ids = p.bind(page.map((r) => r.id));
  const text = `regexp_replace(m.body, '<[@!][^>]*>', ' ', 'g') || COALESCE((SELECT ' ' || string_agg(a.name, ' ')
      FROM "Attachment" a WHERE a."messageId" = m.id AND a.status = 'ready'), '')`;
  const snippet = q
    ? `ts_headline('english', ${text}, ${p.bind(q)}::tsquery,
        ${p.bind(`StartSel=${SNIPPET_START}, StopSel=${SNIPPET_END}, MaxWords=35, MinWords=15`)})`
    : `left(${text}, 200)`;
  return db.$queryRawUnsafe<TSearchHit[]>(
    `SELECT m.id AS "messageId", m."conversationId", c.kind::text AS "conversationKind",
       c.name AS "conversationName", m.seq, m."senderId", u.name AS "senderName", m."threadRootId",
       m."createdAt", ${snippet} AS snippet
     FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS pg(id, n)
     JOIN "Message" m ON m.id = pg.id
     JOIN "Conversation" c ON c.id = m."conversationId"
     JOIN "User" u ON u.id = m."senderId"
     WHERE m."deletedAt" IS NULL
     ORDER BY pg.n`,
    ...p.values,
  );
}
