/**
 * The search indexer: follows each conversation's Event log from its own cursor (SearchCursor,
 * the same log clients resume from) and keeps MessageSearch equal to the messages as they are now.
 * It never runs on the send path: sending writes no search row.
 *
 * One round is ONE statement: pick conversations whose log moved past their cursor, read the new
 * events, re-read the current state of every message they touched (created, edited, deleted,
 * files attached), upsert live messages' rows, drop deleted ones, and move the cursors — all in
 * one transaction, so a crash anywhere loses nothing and repeats nothing (the next round starts
 * from the cursors that committed with the rows). A row also carries what the filters ask (thread,
 * pinned, mentions, link, files), re-read when a pin, a reply (its root) or a delete touches it; and
 * the row's words join the lexicon (SearchWord) partial words are looked up in. The filters'
 * facts are also lexemes of the row's tsvector (`#from:<id>`, `#has:file`, `#is:thread`,
 * `#mentions:<id>` …: search-sql.ts FACT), so a search with words filters in the GIN index. Rows are rebuilt from the Message table, never
 * from event payloads: an edit's old text and a deleted message are gone from the index.
 */
import { Prisma, type TDb } from "@parley/db";
import { EventKind } from "@parley/protocol";
import { followLog, inScopeSql, type TFollowScope } from "../log-follower.ts";

/** Most conversations and events one round reads. */
export type TIndexRoundLimits = { conversations: number; events: number };

const DEFAULT_LIMITS: TIndexRoundLimits = { conversations: 200, events: 5_000 };

/** What one round did; `locked` false: another process's round held the lock, this one did nothing. */
export type TIndexRound = {
  conversations: number;
  events: number;
  indexed: number;
  removed: number;
  locked: boolean;
};

// One round's statement; in a scoped round (log-follower.ts) only the scope's conversations are read.
const roundSql = (limits: TIndexRoundLimits, scope: TFollowScope) => Prisma.sql`
WITH lock AS MATERIALIZED (
  -- One round at a time across processes (several web processes each run an indexer).
  SELECT pg_try_advisory_xact_lock(hashtext('parley.search-indexer')) AS ok
), picked AS MATERIALIZED (
  SELECT c.id, COALESCE(sc.seq, 0) AS after, c."lastSeq" AS last
  FROM "Conversation" c LEFT JOIN "SearchCursor" sc ON sc."conversationId" = c.id
  WHERE ${inScopeSql(scope)} AND c."lastSeq" > COALESCE(sc.seq, 0) AND (SELECT ok FROM lock)
  ORDER BY c.id
  LIMIT ${limits.conversations}::int
), share AS MATERIALIZED (
  SELECT GREATEST(1, ${limits.events}::int / GREATEST(1, (SELECT count(*) FROM picked)::int)) AS n
${Prisma.raw(ROUND_REST)}`;

// The rest of the round: static text.
const ROUND_REST = `), upto AS MATERIALIZED (
  SELECT p.id, LEAST(p.last, p.after + (SELECT n FROM share)) AS upto, p.after FROM picked p
), ev AS MATERIALIZED (
  -- Each conversation's range by its (conversationId, seq) index: the ORDER BY keeps the planner
  -- from flattening the LATERAL into a hash join over a sequential scan of the whole Event table
  -- (its choice before Event was analyzed: every round then read every event ever written).
  SELECT e.kind, e.payload
  FROM upto u CROSS JOIN LATERAL (
    SELECT x.kind, x.payload FROM "Event" x
    WHERE x."conversationId" = u.id AND x.seq > u.after AND x.seq <= u.upto
    ORDER BY x.seq
  ) e
), touched AS MATERIALIZED (
  -- The messages an event changed, and a reply's root (its reply count, so is:thread, moved).
  SELECT DISTINCT t.id::uuid AS id FROM ev, LATERAL (VALUES
    (CASE WHEN kind = '${EventKind.MessageCreated}' THEN payload->'message'->>'id' ELSE payload->>'messageId' END),
    (CASE WHEN kind = '${EventKind.MessageCreated}' THEN payload->'message'->>'threadRootId'
      WHEN kind = '${EventKind.MessageDeleted}' THEN payload->>'threadRootId' END)
  ) AS t(id)
  WHERE kind IN ('${EventKind.MessageCreated}', '${EventKind.MessageEdited}', '${EventKind.MessageDeleted}',
    '${EventKind.MessagePinned}', '${EventKind.MessageUnpinned}') AND t.id IS NOT NULL
), live AS MATERIALIZED (
  -- Mention tokens (<@id>, <!channel>) are not words; file names are, also split at . - _
  -- (Postgres's parser reads "q3-report.pdf" as one host name).
  SELECT m.id, m."conversationId", m."senderId", m."createdAt", m."deletedAt", m."threadRootId",
    (m."threadRootId" IS NOT NULL OR m."replyCount" > 0) AS "isThread", m."pinnedAt" IS NOT NULL AS "isPinned",
    m."mentionedUserIds", m."mentionsAll", (m.body LIKE '%://%' AND m.body ~* 'https?://') AS "hasLink",
    COALESCE(f.n > 0, false) AS "hasFile", COALESCE(f.images > 0, false) AS "hasImage",
    COALESCE(f.voices > 0, false) AS "hasVoice",
    regexp_replace(m.body, '<[@!][^>]*>', ' ', 'g') || COALESCE(' ' || f.names, '') AS text,
    COALESCE(regexp_replace(f.names, '[._-]+', ' ', 'g'), '') AS "nameWords"
  FROM touched t JOIN "Message" m ON m.id = t.id
  LEFT JOIN LATERAL (
    SELECT string_agg(a.name, ' ') AS names, count(*) AS n, count(*) FILTER (WHERE a.mime LIKE 'image/%') AS images,
      count(*) FILTER (WHERE a.mime LIKE 'audio/%') AS voices
    FROM "Attachment" a WHERE a."messageId" = m.id AND a.status = 'ready'
  ) f ON true
), removed AS (
  DELETE FROM "MessageSearch" s USING live WHERE s."messageId" = live.id AND live."deletedAt" IS NOT NULL
  RETURNING 1
), indexed AS (
  INSERT INTO "MessageSearch" ("messageId", "conversationId", "senderId", "createdAt", "threadRootId", "isThread",
    "isPinned", "mentionedUserIds", "mentionsAll", "hasLink", "hasFile", "hasImage", "hasVoice", tsv)
  SELECT id, "conversationId", "senderId", "createdAt", "threadRootId", "isThread", "isPinned", "mentionedUserIds",
    "mentionsAll", "hasLink", "hasFile", "hasImage", "hasVoice",
    to_tsvector('english', text || ' ' || "nameWords") || to_tsvector('simple', text || ' ' || "nameWords")
      -- The filters' facts as lexemes no word can be (search-sql.ts FACT), for the GIN index.
      || array_to_tsvector(array_remove(ARRAY['#from:' || "senderId",
        CASE WHEN "isThread" THEN '#is:thread' END, CASE WHEN "isPinned" THEN '#is:pinned' END,
        CASE WHEN "hasLink" THEN '#has:link' END, CASE WHEN "hasFile" THEN '#has:file' END,
        CASE WHEN "hasImage" THEN '#has:image' END, CASE WHEN "hasVoice" THEN '#has:voice' END,
        CASE WHEN "mentionsAll" THEN '#mentions:all' END]
        || ARRAY(SELECT '#mentions:' || u FROM unnest("mentionedUserIds") AS u), NULL))
  FROM live WHERE "deletedAt" IS NULL
  ON CONFLICT ("messageId") DO UPDATE SET tsv = EXCLUDED.tsv,
    "threadRootId" = EXCLUDED."threadRootId", "isThread" = EXCLUDED."isThread", "isPinned" = EXCLUDED."isPinned",
    "mentionedUserIds" = EXCLUDED."mentionedUserIds", "mentionsAll" = EXCLUDED."mentionsAll",
    "hasLink" = EXCLUDED."hasLink", "hasFile" = EXCLUDED."hasFile", "hasImage" = EXCLUDED."hasImage",
    "hasVoice" = EXCLUDED."hasVoice"
  RETURNING tsv
), words AS (
  -- The lexicon partial words are looked up in (search.ts); words only come, never go. Numbers
  -- (digits and . , : / -) stay out: nearly every one is new (times, amounts, ids), so each would
  -- grow the trigram index, and a number is found by its start (prefix match), not its middle.
  INSERT INTO "SearchWord" (word)
  SELECT DISTINCT w FROM indexed, unnest(tsvector_to_array(indexed.tsv)) AS w
  WHERE length(w) BETWEEN 3 AND 64 AND w NOT LIKE '#%' AND w !~ '^[0-9.,:/-]+$'
  ON CONFLICT DO NOTHING
  RETURNING 1
), moved AS (
  INSERT INTO "SearchCursor" ("conversationId", seq) SELECT id, upto FROM upto
  ON CONFLICT ("conversationId") DO UPDATE SET seq = EXCLUDED.seq
  RETURNING 1
)
SELECT (SELECT count(*) FROM picked)::int AS conversations, (SELECT count(*) FROM ev)::int AS events,
  (SELECT count(*) FROM indexed)::int AS indexed, (SELECT count(*) FROM removed)::int AS removed,
  (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM words)::int AS words, (SELECT ok FROM lock) AS locked`;

/**
 * One round of indexing (see the header); zero conversations means the index is caught up (of the
 * `scope`'s conversations when given: log-follower.ts).
 */
export async function indexSearchRound(
  db: TDb,
  limits: Partial<TIndexRoundLimits> = {},
  scope: TFollowScope = null,
): Promise<TIndexRound> {
  const [row] = await db.$queryRaw<TIndexRound[]>(roundSql({ ...DEFAULT_LIMITS, ...limits }, scope));
  return {
    conversations: row?.conversations ?? 0,
    events: row?.events ?? 0,
    indexed: row?.indexed ?? 0,
    removed: row?.removed ?? 0,
    locked: row?.locked ?? false,
  };
}

/** Runs rounds until one finds nothing to do; returns the summed work. */
export async function indexSearchUntilCaughtUp(
  db: TDb,
  limits: Partial<TIndexRoundLimits> = {},
): Promise<TIndexRound> {
  const total: TIndexRound = { conversations: 0, events: 0, indexed: 0, removed: 0, locked: true };
  for (;;) {
    const round = await indexSearchRound(db, limits);
    if (round.conversations === 0) return total;
    total.conversations += round.conversations;
    total.events += round.events;
    total.indexed += round.indexed;
    total.removed += round.removed;
  }
}

/** The fallback poll: catches events that no write of this process announced (see below). */
export const SEARCH_POLL_MS = 5_000;
/** Rounds start at least this far apart: a send is searchable within about this, and a steady
 * stream of sends is indexed in batches instead of one round per group commit. */
export const SEARCH_MIN_GAP_MS = 250;
/**
 * Keeps the index caught up in the background: `followLog` (log-follower.ts) — woken by this
 * process's own writes, a round at once while work is found, the poll (SEARCH_POLL_MS) as the
 * fallback for events written by processes that run no indexer (scripts, seeding). Every process
 * that writes events runs one (apps/web/server.ts, apps/realtime), so a send is indexed by its
 * own process within a round, with no cost on the send path. Returns a stop function.
 */
export function startSearchIndexer(
  db: TDb,
  options: { intervalMs?: number; minGapMs?: number; onError?: (err: unknown) => void } = {},
): () => Promise<void> {
  return followLog(
    async (scope) => {
      const round = await indexSearchRound(db, {}, scope);
      return { hasMore: round.conversations > 0, isLocked: round.locked };
    },
    {
      pollMs: options.intervalMs ?? SEARCH_POLL_MS,
      minGapMs: options.minGapMs ?? SEARCH_MIN_GAP_MS,
      ...(options.onError ? { onError: options.onError } : {}),
    },
  );
}
