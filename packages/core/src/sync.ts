/**
 * Resume and gap repair: what changed since a client's cursors (DESIGN.md "Resume").
 *
 * The log is the offline mailbox: a cursor never expires, so a device offline for a month gets
 * exactly the events after its cursor, like one offline for a second. Per conversation the answer
 * is one of `ok` (everything up to `lastSeq` is in `events`), `more` (a page limit was hit; sync
 * again from the new position) or `resync` (the cursor is ahead of the log: drop local state).
 * Conversations the actor cannot read — unknown ids and ones they may not (or no longer) read,
 * alike — are only listed, once, in `notFound` (no per-conversation entry), so the answer about
 * them is never larger than the question and never tells one kind from the other. At most
 * MAX_SYNC_CURSORS cursors per call (the protocol refuses more before this runs).
 *
 * Cost: one query for every conversation's metadata, the actor's access and the user log's
 * position (all a caught-up client's `hello` costs), one for all the missing events (a LATERAL
 * join, one index range scan on (conversationId, seq) per conversation), one for the user log
 * when it is behind. Seqs are dense, so each conversation's share of the page is known before
 * the events are read, and a sync never reads more than `maxEvents` rows whatever the cursors.
 *
 * With `encode: true` (the gateway's replay) the answer carries each event's wire frame in
 * `frames` instead of `events`, built by Postgres with the stored jsonb payload spliced in as text
 * (never parsed and re-serialised in JS), so a 10,000-event backlog is strings straight to the
 * socket. Same fields and values as encodeConversationEvent; the payload's whitespace and key
 * order are jsonb's.
 *
 * Retention (retention/run.ts) removes a prefix of a log and records it as the conversation's
 * tombstone, `truncatedSeq`: a cursor below it is answered from the tombstone on, with
 * `truncatedSeq` in its entry, so the client moves its cursor there (nothing it could fetch is
 * missing) instead of taking the removed range for a gap to repair.
 *
 * A bot actor (a bot token's socket: `scope` set) replays only what its stream may see
 * (bots/stream.ts): conversations outside its scope, or that it is not a member of, are
 * `notFound` like unreadable ones, and its user log comes back as frames (`userFrames`), the
 * entries outside its scope masked as `user.hidden`, so the log stays gapless.
 *
 * To extend: new statuses need a protocol change (ZSyncStatus) first.
 */
import type { ConversationKind, TDb } from "@parley/db";
import type { TEventKind, TSyncStatus, TUserEventKind } from "@parley/protocol";
import { MAX_SYNC_CURSORS, SYNC_PAGE_SIZE } from "@parley/protocol";
import { canRead } from "./access.ts";
import type { TActor } from "./actor.ts";
import { encodeStreamUserEvent, isStreamReadable, streamScope } from "./bots/stream.ts";
import type { TBotScope } from "./bots/tokens.ts";
import { ParleyError } from "./errors.ts";
import type { TConversationEventRecord, TUserEventRecord } from "./events.ts";
import { hotQuery, type THotStatement } from "./hot-sql.ts";

/** Most log entries replayed per conversation (and for the user log) by one sync. */
export const DEFAULT_SYNC_PAGE_SIZE = SYNC_PAGE_SIZE;

/** Most conversation events one sync returns in total; conversations past it get `more`. */
export const DEFAULT_SYNC_MAX_EVENTS = 10_000;

/** What a client holds: the last seq per conversation, and optionally of its user log. */
export type TSyncInput = {
  cursors: Readonly<Record<string, number>>;
  userCursor?: number | undefined;
};

/** Where one conversation stands after the replay, and the events to send (seq order). */
export type TSyncConversation = {
  conversationId: string;
  /** `ok`/`more`: the seq the client holds after applying `events`; `resync`: the log's last seq. */
  lastSeq: number;
  status: TSyncStatus;
  /** Set when the cursor was below the retention tombstone: events up to it were removed; skip to it. */
  truncatedSeq?: number;
  /** The events to apply (empty with `encode: true`). */
  events: TConversationEventRecord[];
  /** With `encode: true`: the events' wire frames (`event` frames), in seq order. */
  frames?: string[];
};

/** The answer of syncSince. */
export type TSyncResult = {
  conversations: TSyncConversation[];
  /** The asked-for conversations that are unknown or not readable by the actor, in the order asked. */
  notFound: string[];
  /** User log entries after `userCursor` (empty when no userCursor was given, or for a bot actor). */
  userEvents: TUserEventRecord[];
  /**
   * A bot actor's user log entries after `userCursor` as wire frames, masked outside its scope
   * (`user.hidden`); absent for everyone else.
   */
  userFrames?: string[];
  /** The user-log seq the client holds after applying `userEvents` (the log's last seq when none was asked). */
  userSeq: number;
  userStatus: "ok" | "more";
};

type MetaRow = {
  id: string;
  kind: ConversationKind | null;
  lastSeq: number | null;
  truncatedSeq: number | null;
  isMember: boolean;
  /** The user is a guest (stored role): public channels are not readable without membership. */
  isGuest: boolean;
};
type EventRow = {
  conversationId: string;
  seq: number;
  kind: string;
  actorId: string | null;
  payload: unknown;
  createdAt: Date;
};
type UserEventRow = { seq: number; kind: string; payload: unknown; createdAt: Date };

function asPayload(value: unknown): Record<string, unknown> {
  const parsed = typeof value === "string" ? JSON.parse(value) : value;
  return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
}

/** What a sync needs to know first: whose log, and which conversations' positions. */
export type TSyncMetaRequest = { userId: string; conversationIds: readonly string[] };

/** The user log's last seq and, per asked-for conversation that exists, its kind, lastSeq and the user's membership. */
export type TSyncMeta = { userLastSeq: number; conversations: Map<string, MetaRow> };

/**
 * The metadata of many syncs in ONE statement (a storm of hellos: one round trip, not one per
 * socket), in the order of `requests`. A user that does not exist gets lastSeq 0 and no
 * conversations (everything it asked for is then not found).
 */
export async function loadSyncMetas(db: TDb, requests: readonly TSyncMetaRequest[]): Promise<TSyncMeta[]> {
  const index: number[] = [];
  const users: string[] = [];
  const conversationIds: (string | null)[] = [];
  for (const [i, request] of requests.entries()) {
    if (request.conversationIds.length === 0) {
      index.push(i);
      users.push(request.userId);
      conversationIds.push(null);
    }
    for (const id of request.conversationIds) {
      index.push(i);
      users.push(request.userId);
      conversationIds.push(id);
    }
  }
  const rows = await hotQuery<MetaRow & { i: number; id: string | null; userLastSeq: number }>(db, META_SQL, [
    index,
    users,
    conversationIds,
  ]);
  const metas: TSyncMeta[] = requests.map(() => ({ userLastSeq: 0, conversations: new Map() }));
  for (const row of rows) {
    const meta = metas[row.i]!;
    meta.userLastSeq = row.userLastSeq;
    if (row.id !== null && row.kind !== null) meta.conversations.set(row.id, row);
  }
  return metas;
}

/**
 * The events a client misses since its cursors, with a status per conversation; see the file
 * header. Conversations come back in the order of `cursors`; events in seq order.
 */
export async function syncSince(
  db: TDb,
  actor: TActor & { scope?: TBotScope | undefined },
  input: TSyncInput,
  options: {
    pageSize?: number;
    maxEvents?: number;
    encode?: boolean;
    /** How the metadata is read (default: loadSyncMetas for this one request). */
    loadMeta?: (request: TSyncMetaRequest) => Promise<TSyncMeta>;
  } = {},
): Promise<TSyncResult> {
  const pageSize = options.pageSize ?? DEFAULT_SYNC_PAGE_SIZE;
  let budget = options.maxEvents ?? DEFAULT_SYNC_MAX_EVENTS;
  const entries = Object.entries(input.cursors);
  if (entries.length > MAX_SYNC_CURSORS) {
    throw new ParleyError("BAD_REQUEST", "At most {count} cursors per sync", {
      params: { count: MAX_SYNC_CURSORS },
    });
  }
  const ids = entries.map(([id]) => id);

  // One round trip for every conversation's metadata and the user log's position (a caught-up
  // client's whole hello); the gateway coalesces those of concurrent connects (loadSyncMetas).
  const request: TSyncMetaRequest = { userId: actor.userId, conversationIds: ids };
  const { userLastSeq, conversations: metaById } = options.loadMeta
    ? await options.loadMeta(request)
    : (await loadSyncMetas(db, [request]))[0]!;

  const scope = actor.scope ? streamScope(actor.scope) : null;
  const conversations: TSyncConversation[] = [];
  const notFound: string[] = [];
  // Conversations that need events: [id, after, how many].
  const wanted: { id: string; after: number; take: number }[] = [];
  for (const [conversationId, cursor] of entries) {
    const row = metaById.get(conversationId);
    const isReadable =
      row?.kind != null &&
      canRead({ kind: row.kind, memberRole: row.isMember ? "member" : null, isGuest: row.isGuest }) &&
      (scope === null ||
        isStreamReadable(scope, { id: conversationId, kind: row.kind, isMember: row.isMember }));
    if (!row || row.lastSeq == null || !isReadable) {
      notFound.push(conversationId);
      continue;
    }
    if (cursor > row.lastSeq) {
      conversations.push({ conversationId, lastSeq: row.lastSeq, status: "resync", events: [] });
      continue;
    }
    // Below the tombstone: the removed range is skipped, not replayed (see the header).
    const truncatedSeq = row.truncatedSeq ?? 0;
    const after = Math.max(cursor, truncatedSeq);
    const missing = row.lastSeq - after;
    const take = Math.min(missing, pageSize, budget);
    budget -= take;
    conversations.push({
      conversationId,
      lastSeq: after + take,
      status: take < missing ? "more" : "ok",
      ...(cursor < truncatedSeq ? { truncatedSeq } : {}),
      events: [],
    });
    if (take > 0) wanted.push({ id: conversationId, after, take });
  }

  if (wanted.length > 0 && options.encode) {
    await loadFrames(db, wanted, conversations);
  } else if (wanted.length > 0) {
    const rows = await hotQuery<EventRow>(db, EVENTS_SQL, wantedValues(wanted));
    const byId = new Map(conversations.map((c) => [c.conversationId, c]));
    for (const r of rows) {
      byId.get(r.conversationId)?.events.push({
        conversationId: r.conversationId,
        seq: r.seq,
        kind: r.kind as TEventKind,
        actorId: r.actorId,
        payload: asPayload(r.payload),
        createdAt: r.createdAt,
      });
    }
    // Seqs are dense, so this only changes something if the log was rewritten underneath us.
    for (const c of conversations) {
      bySeq(c.events);
      const last = c.events.at(-1);
      if (last && c.status !== "more") c.lastSeq = Math.max(c.lastSeq, last.seq);
    }
  }

  if (input.userCursor === undefined || input.userCursor >= userLastSeq) {
    return { conversations, notFound, userEvents: [], userSeq: userLastSeq, userStatus: "ok" };
  }
  const userRows = await hotQuery<UserEventRow>(db, USER_EVENTS_SQL, [
    actor.userId,
    input.userCursor,
    pageSize + 1,
  ]);
  const isMore = userRows.length > pageSize;
  const userEvents = userRows.slice(0, pageSize).map((r) => ({
    userId: actor.userId,
    seq: r.seq,
    kind: r.kind as TUserEventKind,
    payload: asPayload(r.payload),
    createdAt: r.createdAt,
  }));
  const lastUser = userEvents.at(-1)?.seq ?? input.userCursor;
  return {
    conversations,
    notFound,
    ...(scope === null
      ? { userEvents }
      : { userEvents: [], userFrames: userEvents.map((event) => encodeStreamUserEvent(scope, event)) }),
    userSeq: isMore ? lastUser : Math.max(lastUser, userLastSeq),
    userStatus: isMore ? "more" : "ok",
  };
}

/**
 * Per (request, user, conversation) triple — one triple with a null conversation for a request
 * without cursors — the user log's position and the conversation's meta and the user's
 * membership. Index probes only (LATERAL … LIMIT 1), whatever the table statistics say.
 */
const META_SQL: THotStatement = {
  name: "parley_sync_meta_v3",
  text: `SELECT p.i, u."lastEventSeq" AS "userLastSeq", p.cid AS id, c.kind::text AS kind, c."lastSeq",
      c."truncatedSeq", (mm.one IS NOT NULL) AS "isMember", (u.role = 'guest') AS "isGuest"
    FROM unnest($1::int[], $2::uuid[], $3::uuid[]) AS p(i, uid, cid)
    CROSS JOIN LATERAL (SELECT "lastEventSeq", role FROM "User" WHERE id = p.uid LIMIT 1) u
    LEFT JOIN LATERAL (SELECT kind, "lastSeq", "truncatedSeq" FROM "Conversation" WHERE id = p.cid LIMIT 1) c ON true
    LEFT JOIN LATERAL (
      SELECT 1 AS one FROM "Membership" WHERE "conversationId" = p.cid AND "userId" = p.uid LIMIT 1
    ) mm ON true`,
};

/**
 * FROM … for the events of each wanted range ($1 ids, $2 after, $3 take): one index range scan per
 * conversation, which yields its events in seq order. No ORDER BY over the whole answer: sorting
 * 10,000 rows of payload overflowed work_mem to disk (38 ms of a 10,000-event replay's 46 ms in
 * Postgres); callers group rows by conversation and keep seq order (`bySeq`).
 */
const WANTED_EVENTS = `
    FROM unnest($1::uuid[], $2::int[], $3::int[]) AS q(id, after, take)
    CROSS JOIN LATERAL (
      SELECT x."conversationId", x.seq, x.kind, x."actorId", x.payload, x."createdAt"
      FROM "Event" x
      WHERE x."conversationId" = q.id AND x.seq > q.after
      ORDER BY x.seq
      LIMIT q.take
    ) e`;

/** `rows` (one conversation's) in ascending seq: as they come from WANTED_EVENTS, else sorted. */
function bySeq<T extends { seq: number }>(rows: T[]): T[] {
  for (let i = 1; i < rows.length; i++) {
    if ((rows[i] as T).seq < (rows[i - 1] as T).seq) return rows.sort((a, b) => a.seq - b.seq);
  }
  return rows;
}

function wantedValues(wanted: readonly { id: string; after: number; take: number }[]): unknown[] {
  return [wanted.map((w) => w.id), wanted.map((w) => w.after), wanted.map((w) => w.take)];
}

const EVENTS_SQL: THotStatement = {
  name: "parley_sync_events_v2",
  text: `SELECT e."conversationId", e.seq, e.kind, e."actorId", e.payload,
      e."createdAt"
    ${WANTED_EVENTS}`,
};

/** The rows of the wanted ranges' frames (see loadFrames): the payload as the text it is stored as. */
const FRAMES_SQL: THotStatement = {
  name: "parley_sync_frames_v3",
  text: `SELECT e."conversationId", e.seq, e.kind, e."actorId", e.payload::text AS payload, e."createdAt"
    ${WANTED_EVENTS}`,
};

const USER_EVENTS_SQL: THotStatement = {
  name: "parley_sync_user_events_v1",
  text: `SELECT seq, kind, payload, "createdAt" FROM "UserEvent"
    WHERE "userId" = $1::uuid AND seq > $2::int
    ORDER BY seq
    LIMIT $3::int`,
};

/**
 * The `event` frames of the wanted ranges, in encodeServerEvent's field order, with the stored
 * jsonb payload spliced in as the text Postgres sends anyway (never parsed and re-encoded; only its
 * whitespace differs from JSON.stringify's), createdAt as toISOString writes it (the hot pool reads
 * the UTC column as UTC). Built here rather than by Postgres: its `to_char` and concatenation cost
 * 2.4 ms of database CPU per 500 rows, the same strings built in JS a fraction of that.
 */
async function loadFrames(
  db: TDb,
  wanted: readonly { id: string; after: number; take: number }[],
  conversations: TSyncConversation[],
): Promise<void> {
  const rows = await hotQuery<{
    conversationId: string;
    seq: number;
    kind: string;
    actorId: string | null;
    payload: string;
    createdAt: Date;
  }>(db, FRAMES_SQL, wantedValues(wanted));
  const byId = new Map<string, { conversation: TSyncConversation; rows: typeof rows }>();
  for (const c of conversations) byId.set(c.conversationId, { conversation: c, rows: [] });
  for (const r of rows) byId.get(r.conversationId)?.rows.push(r);
  for (const { conversation, rows: mine } of byId.values()) {
    conversation.frames = bySeq(mine).map(
      (r) =>
        `{"type":"event","conversationId":"${r.conversationId}","seq":${r.seq},"kind":${JSON.stringify(r.kind)},"actorId":${r.actorId === null ? "null" : `"${r.actorId}"`},"payload":${r.payload},"createdAt":"${r.createdAt.toISOString()}"}`,
    );
  }
  // Seqs are dense, so this only changes something if the log was rewritten underneath us.
  for (const { conversation, rows: mine } of byId.values()) {
    const last = mine.at(-1)?.seq ?? 0;
    if (last > 0 && conversation.status !== "more")
      conversation.lastSeq = Math.max(conversation.lastSeq, last);
  }
}
