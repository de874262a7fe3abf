/**
 * Seq allocation for every write except sends and seeding, and the write-transaction helper that
 * publishes events only after commit. The other allocators bump the same counter under the same
 * row lock in their own statements: messages/send-one.ts (one send), messages/send-batch.ts (a
 * block per conversation per batch) and `seedMessages` in @parley/db (a block per call).
 *
 * Conversation log: `UPDATE "Conversation" SET "lastSeq" = "lastSeq" + 1 … RETURNING "lastSeq"`
 * takes the conversation's row lock, so seqs are gap-free and ordered per conversation while
 * different conversations proceed in parallel; the Event insert rides in the same statement (CTE).
 * A user's log works the same way on `User.lastEventSeq`. To add a write: run it inside
 * `inWriteTx`, append its events with `appendConversationEvent` / `appendUserEvent`, and they reach
 * the EventSink once the transaction has committed (and never if it rolled back).
 *
 * Payloads: the append functions are the typed constructors of every payload but message.created
 * (built by `messagePayload`, messages/send-one.ts): their payload parameter is the protocol's
 * decoded type for the kind given (`TConversationEventPayload<K>`), so core cannot append a payload
 * its clients' schema would not read. It is stored as JSON, which is its wire form (dates become the
 * ISO strings the schema decodes).
 */
import type { TDb } from "@parley/db";
import type {
  TConversationEventPayload,
  TEventKind,
  TUserEventKind,
  TUserEventPayload,
} from "@parley/protocol";
import { ParleyError } from "./errors.ts";
import {
  MEMBER_LIST_KINDS,
  publishCommitted,
  type TConversationEventRecord,
  type TUserEventRecord,
  writesInFlight,
} from "./events.ts";

/** The client handed to an interactive transaction callback (Prisma's TransactionClient). */
export type TTx = Omit<TDb, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

/** A transaction plus the events it appended, published after commit. */
export type TWriter = {
  tx: TTx;
  conversationEvents: TConversationEventRecord[];
  userEvents: TUserEventRecord[];
  /** Conversations this write counted itself in for (writesInFlight); counted out after commit or rollback. */
  counted: Set<string>;
};

/** Transaction timeouts: generous maxWait so bursts queue for a pooled connection instead of failing. */
const TX_OPTIONS = { maxWait: 15_000, timeout: 20_000 } as const;

/** Runs `fn` in one transaction; events it appended go to the EventSink after commit. */
export async function inWriteTx<T>(db: TDb, fn: (w: TWriter) => Promise<T>): Promise<T> {
  let writer: TWriter | undefined;
  let result: T;
  try {
    result = await db.$transaction(async (tx) => {
      writer = { tx, conversationEvents: [], userEvents: [], counted: new Set() };
      return fn(writer);
    }, TX_OPTIONS);
  } catch (err) {
    if (writer) writesInFlight.end(writer.counted);
    throw err;
  }
  if (writer) {
    writesInFlight.end(writer.counted);
    publishCommitted(writer.conversationEvents, writer.userEvents);
  }
  return result;
}

/**
 * Appends one event to a conversation's log under its row lock and returns it. Throws FORBIDDEN
 * when the conversation is archived (or gone): archived conversations take no new events.
 */
export async function appendConversationEvent<K extends TEventKind>(
  w: TWriter,
  conversationId: string,
  kind: K,
  actorId: string | null,
  payload: TConversationEventPayload<K>,
): Promise<TConversationEventRecord> {
  const createdAt = new Date();
  if (!w.counted.has(conversationId)) {
    w.counted.add(conversationId);
    writesInFlight.begin([conversationId]);
  }
  const changesMembers = MEMBER_LIST_KINDS.has(kind);
  const rows = await w.tx.$queryRaw<{ seq: number; membersSeq: number }[]>`
    WITH c AS (
      UPDATE "Conversation" SET "lastSeq" = "lastSeq" + 1,
        "membersSeq" = CASE WHEN ${changesMembers} THEN "lastSeq" + 1 ELSE "membersSeq" END
      WHERE id = ${conversationId}::uuid AND "archivedAt" IS NULL
      RETURNING id, "lastSeq", "membersSeq"
    )
    INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload, "createdAt")
    SELECT c.id, c."lastSeq", ${kind}::text, ${actorId}::uuid, ${JSON.stringify(payload)}::jsonb, ${createdAt}::timestamp(3)
    FROM c
    RETURNING seq, (SELECT "membersSeq" FROM c) AS "membersSeq"`;
  const row = rows[0];
  if (row === undefined) throw new ParleyError("FORBIDDEN", "This conversation is archived");
  const { seq, membersSeq } = row;
  const event: TConversationEventRecord = {
    conversationId,
    seq,
    kind,
    actorId,
    payload,
    createdAt,
    membersSeq,
  };
  w.conversationEvents.push(event);
  return event;
}

/** Appends one event to a user's own log (bumping User.lastEventSeq under its row lock). */
export async function appendUserEvent<K extends TUserEventKind>(
  w: TWriter,
  userId: string,
  kind: K,
  payload: TUserEventPayload<K>,
): Promise<TUserEventRecord> {
  const createdAt = new Date();
  const rows = await w.tx.$queryRaw<{ seq: number }[]>`
    WITH u AS (
      UPDATE "User" SET "lastEventSeq" = "lastEventSeq" + 1
      WHERE id = ${userId}::uuid
      RETURNING id, "lastEventSeq"
    )
    INSERT INTO "UserEvent" ("userId", seq, kind, payload, "createdAt")
    SELECT u.id, u."lastEventSeq", ${kind}::text, ${JSON.stringify(payload)}::jsonb, ${createdAt}::timestamp(3)
    FROM u
    RETURNING seq`;
  const seq = rows[0]?.seq;
  if (seq === undefined) throw new ParleyError("NOT_FOUND", "User not found");
  const event: TUserEventRecord = { userId, seq, kind, payload, createdAt };
  w.userEvents.push(event);
  return event;
}

/**
 * Appends the same kind of user event to several users. Locks User rows in id order so that two
 * transactions touching overlapping sets cannot deadlock.
 */
export async function appendUserEvents<K extends TUserEventKind>(
  w: TWriter,
  userIds: readonly string[],
  kind: K,
  payload: (userId: string) => TUserEventPayload<K>,
): Promise<void> {
  for (const userId of [...new Set(userIds)].sort()) {
    await appendUserEvent(w, userId, kind, payload(userId));
  }
}

/**
 * Appends one user event with the same payload to many users in two statements, whatever their
 * number (a channel deletion tells every member): the User rows are locked in id order first (as
 * `appendUserEvents` does, so no deadlock with it), then every counter is bumped and every event
 * inserted in one statement.
 */
export async function appendSameUserEvent<K extends TUserEventKind>(
  w: TWriter,
  userIds: readonly string[],
  kind: K,
  payload: TUserEventPayload<K>,
): Promise<void> {
  const ids = [...new Set(userIds)].sort();
  if (ids.length === 0) return;
  const createdAt = new Date();
  await w.tx.$queryRaw`SELECT id FROM "User" WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
  const rows = await w.tx.$queryRaw<{ userId: string; seq: number }[]>`
    WITH u AS (
      UPDATE "User" SET "lastEventSeq" = "lastEventSeq" + 1
      WHERE id = ANY(${ids}::uuid[])
      RETURNING id, "lastEventSeq"
    )
    INSERT INTO "UserEvent" ("userId", seq, kind, payload, "createdAt")
    SELECT u.id, u."lastEventSeq", ${kind}::text, ${JSON.stringify(payload)}::jsonb, ${createdAt}::timestamp(3)
    FROM u
    RETURNING "userId"::text AS "userId", seq`;
  for (const row of rows) {
    w.userEvents.push({ userId: row.userId, seq: row.seq, kind, payload, createdAt });
  }
}
