/**
 * Group commit: sends that arrive together reach Postgres as ONE pre-read and ONE write statement
 * (one transaction, one WAL flush), and each is acked only after that statement committed.
 *
 * How a batch forms: `submit` queues the send and, unless `maxInFlight` batches are already
 * running, flushes on the next turn of the event loop (`setImmediate`: every frame read in the same
 * I/O phase joins). While batches run, new sends queue and go out together when one finishes. So
 * a quiet server sends each message at once, and a busy one batches by itself, up to `maxBatch`.
 *
 * The guarantees stay those of a single send (ARCHITECTURE.md "Sending"):
 * - Persist first: a send's promise settles after the statement committed (or failed).
 * - Gapless per-conversation seq: the statement locks the batch's conversations in id order (no
 *   deadlock between concurrent batches or with single writers, who lock one conversation), counts
 *   the sends that still qualify under the lock (member, not archived, live thread root), bumps
 *   each `lastSeq` by that count and numbers the sends `base + 1 … base + n` in submission order.
 * - Idempotency: the pre-read finds an earlier message with the same (sender, clientMsgId) and
 *   answers it as a duplicate; two sends with the same key never run at once (the second waits
 *   for the batch of the first and then finds its message). A unique violation from a concurrent writer rolls
 *   the whole statement back (nothing written, no seq used) and every send of that batch is retried
 *   alone through `sendOne`, which answers duplicates exactly. Any other statement error does the
 *   same, so one bad send cannot fail its neighbours.
 * - The sender's order: one connection's sends are submitted one after another, each after the
 *   previous was acked (the gateway's per-connection queue, the SDK's outbox), so they are in
 *   successive batches; within a batch, seqs follow submission order.
 * Statements are named, so each pooled connection parses and plans them once.
 */
import type { Db, SqlPool } from "@parley/db";
import { EventKind, parseMentions } from "@parley/protocol";
import type { Actor } from "../actor.ts";
import { ParleyError } from "../errors.ts";
import { type ConversationEvent, publishCommitted, writesInFlight } from "../events.ts";
import { uuidv7 } from "../ids.ts";
import {
  duplicateOf,
  eventPayload,
  explainRefusal,
  requireSendable,
  type SendCheck,
  type SendInput,
  type SendResult,
  type StoredSend,
  sendOne,
  sentMessage,
} from "./send-one.ts";

/** Group commit settings. */
export type SendBatchingOptions = {
  /** Most sends in one statement; 1 turns group commit off (every send alone, as `sendOne`). */
  maxBatch: number;
  /** Batches running at once (each holds one pooled connection). */
  maxInFlight: number;
};

/** Defaults: batches of up to 256, two at a time (one is checked while the other commits). */
export const DEFAULT_SEND_BATCHING: Readonly<SendBatchingOptions> = Object.freeze({
  maxBatch: 256,
  maxInFlight: 2,
});

let batching: SendBatchingOptions = { ...DEFAULT_SEND_BATCHING };

/** Sets group commit for this process (e.g. `{ maxBatch: env.SEND_BATCH_MAX }`); applies to new batchers. */
export function configureSendBatching(next: Partial<SendBatchingOptions>): void {
  batching = { ...batching, ...next };
}

type Pending = {
  actor: Actor;
  data: SendInput;
  /** Parsed once at submit: the pre-read looks the users up, the write stores `all`. */
  mentions: { userIds: string[]; all: boolean };
  /** sender + clientMsgId: two sends with the same key never run at once. */
  key: string;
  resolve: (result: SendResult) => void;
  reject: (err: unknown) => void;
};

/** One pre-read row (SendCheck plus the send's index in the batch). */
type CheckRow = SendCheck & { i: number };

// Every per-send lookup is a LATERAL subquery with LIMIT 1: Postgres cannot flatten those into a
// join, so each one is an index probe per send, whatever the planner believes about the batch's
// size — never a scan of Message or User hashed for the join (what it chose once the tables had
// statistics: the cost of a batch then grew with the table).
const CHECK_SQL = `
WITH inp AS (
  SELECT * FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[])
    AS t(i, "userId", conv, "clientMsgId", root)
), men AS (
  SELECT * FROM unnest($6::int[], $7::uuid[], $8::int[]) AS t(i, "userId", ord)
)
SELECT inp.i, c.kind::text AS kind, c."archivedAt", (m.one IS NOT NULL) AS "isMember",
  u.name AS "senderName", ex.id::text AS "existingId",
  ARRAY(
    SELECT men."userId"::text FROM men
    WHERE men.i = inp.i AND EXISTS (
      SELECT 1 FROM "Membership" mm WHERE mm."conversationId" = inp.conv AND mm."userId" = men."userId"
    )
    ORDER BY men.ord
  ) AS "mentionedMemberIds",
  (r.id IS NOT NULL AND r."conversationId" = c.id AND r."deletedAt" IS NULL) AS "isRootLive",
  (r."threadRootId" IS NOT NULL) AS "isRootAReply"
FROM inp
CROSS JOIN LATERAL (SELECT name FROM "User" WHERE id = inp."userId" LIMIT 1) u
LEFT JOIN LATERAL (
  SELECT id, kind, "archivedAt" FROM "Conversation" WHERE id = inp.conv LIMIT 1
) c ON true
LEFT JOIN LATERAL (
  SELECT 1 AS one FROM "Membership" WHERE "conversationId" = inp.conv AND "userId" = inp."userId" LIMIT 1
) m ON true
LEFT JOIN LATERAL (
  SELECT id FROM "Message" WHERE "senderId" = inp."userId" AND "clientMsgId" = inp."clientMsgId" LIMIT 1
) ex ON true
LEFT JOIN LATERAL (
  SELECT id, "conversationId", "deletedAt", "threadRootId" FROM "Message" WHERE id = inp.root LIMIT 1
) r ON true`;

// Timestamps travel as ISO strings with Z and are stored as UTC, like Prisma stores DateTime.
const AT = `(at::timestamptz AT TIME ZONE 'UTC')::timestamp(3)`;

const WRITE_SQL = `
WITH inp AS (
  SELECT * FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::uuid[],
    $8::bool[], $9::text[], $10::bool[], $11::text[], $12::text[])
    AS t(i, id, conv, sender, "clientMsgId", body, root, "alsoInChannel", mentioned, "mentionsAll", payload, at)
), locked AS (
  -- By index (= ANY of the array), in id order: no deadlock between batches.
  SELECT c.id, c."membersSeq" FROM "Conversation" c
  WHERE c.id = ANY($3::uuid[]) AND c."archivedAt" IS NULL
  ORDER BY c.id
  FOR UPDATE
), held AS MATERIALIZED (
  -- Sets and maps below are jsonb objects looked up per send (O(log n)), never joins between CTEs:
  -- the planner cannot know their sizes, and its nested loops over two of them were quadratic.
  SELECT coalesce(jsonb_object_agg(id::text, "membersSeq"), '{}') AS m FROM locked
), ok AS (
  SELECT inp.* FROM inp
  CROSS JOIN LATERAL (
    SELECT 1 FROM "Membership" mm WHERE mm."conversationId" = inp.conv AND mm."userId" = inp.sender LIMIT 1
  ) member
  LEFT JOIN LATERAL (
    SELECT 1 AS live FROM "Message" r
    WHERE r.id = inp.root AND r."conversationId" = inp.conv AND r."threadRootId" IS NULL AND r."deletedAt" IS NULL
    LIMIT 1
  ) rt ON true
  WHERE (SELECT m FROM held) ? inp.conv::text AND (inp.root IS NULL OR rt.live IS NOT NULL)
), counts AS MATERIALIZED (
  SELECT jsonb_object_agg(conv::text, n) AS m, array_agg(conv) AS ids
  FROM (SELECT conv, count(*)::int AS n FROM ok GROUP BY conv) x
), c AS (
  UPDATE "Conversation" cv SET "lastSeq" = cv."lastSeq" + ((SELECT m FROM counts) ->> cv.id::text)::int
  WHERE cv.id = ANY((SELECT ids FROM counts)::uuid[])
  RETURNING cv.id, cv."lastSeq" - ((SELECT m FROM counts) ->> cv.id::text)::int AS base
), bases AS MATERIALIZED (
  SELECT jsonb_object_agg(id::text, base) AS m FROM c
), numbered AS (
  SELECT ok.*, (b.base + row_number() OVER (PARTITION BY ok.conv ORDER BY ok.i))::int AS seq
  FROM ok, LATERAL (SELECT ((SELECT m FROM bases) ->> ok.conv::text)::int AS base) b
  WHERE b.base IS NOT NULL
), e AS (
  INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload, "createdAt")
  SELECT conv, seq, '${EventKind.MessageCreated}', sender, payload::jsonb, ${AT} FROM numbered
), msg AS (
  INSERT INTO "Message" (id, "conversationId", seq, "senderId", "clientMsgId", body, "threadRootId",
    "alsoInChannel", "mentionedUserIds", "mentionsAll", "createdAt")
  SELECT id, conv, seq, sender, "clientMsgId", body, root, "alsoInChannel", mentioned::uuid[], "mentionsAll", ${AT}
  FROM numbered
), replies AS MATERIALIZED (
  SELECT jsonb_object_agg(root::text, jsonb_build_array(n, last)) AS m, array_agg(root) AS ids
  FROM (
    SELECT root, count(*)::int AS n, max(${AT}) AS last FROM numbered WHERE root IS NOT NULL GROUP BY root
  ) x
), roots AS (
  UPDATE "Message" m
  SET "replyCount" = m."replyCount" + ((SELECT r.m FROM replies r) -> m.id::text ->> 0)::int,
    "lastReplyAt" = ((SELECT r.m FROM replies r) -> m.id::text ->> 1)::timestamp(3)
  WHERE m.id = ANY((SELECT ids FROM replies)::uuid[])
)
SELECT i, seq, ((SELECT m FROM held) ->> conv::text)::int AS "membersSeq" FROM numbered`;

/** A send the pre-read let through, with what the write needs. */
type Writable = {
  p: Pending;
  stored: StoredSend;
  payload: ReturnType<typeof eventPayload>;
  /** `payload` as the write stores it. */
  payloadJson: string;
};

/** What the write statement answers for a stored send. */
type Written = { seq: number; membersSeq: number };

/** Collects sends for one database and writes them in batches. */
export class SendBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** sender + clientMsgId of every send in a running batch. */
  private readonly keys = new Set<string>();
  /** Counters since start: batches run, sends in them, sends retried alone after a failed statement. */
  readonly stats = { batches: 0, sends: 0, retriedAlone: 0 };

  constructor(
    private readonly db: Db,
    private readonly pool: SqlPool,
    private readonly options: SendBatchingOptions,
  ) {}

  /** Queues one validated send; settles after its batch committed (or with its refusal). */
  submit(actor: Actor, data: SendInput): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => {
      const key = `${actor.userId}\n${data.clientMsgId}`;
      this.queue.push({ actor, data, mentions: parseMentions(data.body), key, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      // A send whose key is in a running batch waits for it (and then finds its message).
      const batch: Pending[] = [];
      const waiting: Pending[] = [];
      while (this.queue.length > 0 && batch.length < this.options.maxBatch) {
        const p = this.queue.shift() as Pending;
        if (this.keys.has(p.key)) {
          waiting.push(p);
        } else {
          this.keys.add(p.key);
          batch.push(p);
        }
      }
      this.queue.unshift(...waiting);
      if (batch.length === 0) return;
      this.stats.batches++;
      this.stats.sends += batch.length;
      this.inFlight++;
      void this.run(batch)
        // A bug must not leave sends hanging: settle whatever is still open (settled ones ignore it).
        .catch((err: unknown) => {
          for (const p of batch) p.reject(err);
        })
        .finally(() => {
          for (const p of batch) this.keys.delete(p.key);
          this.inFlight--;
          this.schedule();
        });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    let checks: Map<number, CheckRow>;
    try {
      checks = await this.check(batch);
    } catch {
      await this.alone(batch);
      return;
    }
    const writable: Writable[] = [];
    for (const [i, p] of batch.entries()) {
      const check = checks.get(i);
      try {
        if (!check) throw new ParleyError("UNAUTHORIZED", "Unknown user");
        if (check.existingId) {
          duplicateOf(this.db, p.actor, check.existingId, p.data.conversationId).then(p.resolve, p.reject);
          continue;
        }
        requireSendable(check, p.data.threadRootId ?? null);
      } catch (err) {
        p.reject(err);
        continue;
      }
      const stored: StoredSend = {
        id: uuidv7(),
        createdAt: new Date(),
        senderName: check.senderName,
        mentionedUserIds: check.mentionedMemberIds,
        mentionsAll: p.mentions.all,
        attachments: [],
      };
      const payload = eventPayload(p.actor, p.data, stored);
      writable.push({ p, stored, payload, payloadJson: JSON.stringify(payload) });
    }
    if (writable.length === 0) return;

    let seqs: Map<number, Written>;
    const conversationIds = new Set(writable.map((w) => w.p.data.conversationId));
    writesInFlight.begin(conversationIds);
    try {
      seqs = await this.write(writable);
    } catch {
      writesInFlight.end(conversationIds);
      // Nothing of the statement was written: each send alone answers exactly (duplicates too).
      await this.alone(writable.map((w) => w.p));
      return;
    }
    writesInFlight.end(conversationIds);
    const events: ConversationEvent[] = [];
    const done: { p: Pending; result: SendResult }[] = [];
    const refused: Pending[] = [];
    for (const [i, w] of writable.entries()) {
      const written = seqs.get(i);
      if (written === undefined) {
        refused.push(w.p);
        continue;
      }
      const sent = sentMessage(w.p.actor, w.p.data, { ...w.stored, ...written }, w.payload);
      events.push(sent.event);
      done.push({ p: w.p, result: { message: sent.message, duplicate: false } });
    }
    publishCommitted(events);
    for (const { p, result } of done) p.resolve(result);
    for (const p of refused) explainRefusal(this.db, p.actor, p.data).then(p.resolve, p.reject);
  }

  /** The pre-read for a whole batch: one row per send whose sender exists, keyed by index. */
  private async check(batch: readonly Pending[]): Promise<Map<number, CheckRow>> {
    const menI: number[] = [];
    const menUser: string[] = [];
    const menOrd: number[] = [];
    for (const [i, p] of batch.entries()) {
      for (const [ord, userId] of p.mentions.userIds.entries()) {
        menI.push(i);
        menUser.push(userId);
        menOrd.push(ord);
      }
    }
    const result = await this.pool.query<CheckRow>({
      name: "parley_send_check_v2",
      text: CHECK_SQL,
      values: [
        batch.map((_, i) => i),
        batch.map((p) => p.actor.userId),
        batch.map((p) => p.data.conversationId),
        batch.map((p) => p.data.clientMsgId),
        batch.map((p) => p.data.threadRootId ?? null),
        menI,
        menUser,
        menOrd,
      ],
    });
    return new Map(result.rows.map((row) => [row.i, row]));
  }

  /** The one write statement; returns the seq (and membersSeq) of each stored send by index in `writable`. */
  private async write(writable: readonly Writable[]): Promise<Map<number, Written>> {
    const result = await this.pool.query<Written & { i: number }>({
      name: "parley_send_write_v5",
      text: WRITE_SQL,
      values: [
        writable.map((_, i) => i),
        writable.map((w) => w.stored.id),
        writable.map((w) => w.p.data.conversationId),
        writable.map((w) => w.p.actor.userId),
        writable.map((w) => w.p.data.clientMsgId),
        writable.map((w) => w.p.data.body),
        writable.map((w) => w.p.data.threadRootId ?? null),
        writable.map((w) => w.p.data.threadRootId !== undefined && w.p.data.alsoInChannel === true),
        writable.map((w) => `{${w.stored.mentionedUserIds.join(",")}}`),
        writable.map((w) => w.stored.mentionsAll),
        writable.map((w) => w.payloadJson),
        writable.map((w) => w.stored.createdAt.toISOString()),
      ],
    });
    return new Map(result.rows.map((row) => [row.i, row]));
  }

  /** Each send on its own, one after another (the fallback when a batch statement failed). */
  private async alone(sends: readonly Pending[]): Promise<void> {
    this.stats.retriedAlone += sends.length;
    for (const p of sends) {
      try {
        p.resolve(await sendOne(this.db, p.actor, p.data));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

const batchers = new WeakMap<object, SendBatcher>();

/** The group commit's counters for `db` (null before its first batched send). */
export function sendBatchStats(db: Db): Readonly<SendBatcher["stats"]> | null {
  return batchers.get(db)?.stats ?? null;
}

/** The group commit for `db` (one per client), or null when it is turned off (`maxBatch` 1). */
export function groupCommit(db: Db, pool: SqlPool): SendBatcher | null {
  if (batching.maxBatch <= 1) return null;
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = new SendBatcher(db, pool, { ...batching });
    batchers.set(db, batcher);
  }
  return batcher;
}
