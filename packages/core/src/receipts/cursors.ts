/**
 * Delivered cursors: `Membership.deliveredSeq`, the highest seq one of a member's devices said it
 * holds (the SDK's `delivered` command). Kept only in DMs and group DMs, the only places a
 * "delivered" tick is shown; a report about any other conversation, or one the user is not a
 * member of, changes nothing and says nothing. One statement per batch of reports, however many
 * users and conversations it carries; rows only move forward and only rows that move are written.
 */
import type { TDb } from "@parley/db";
import { hotQuery } from "../hot-sql.ts";
import { receiptRelay } from "./relay.ts";

/** One device's report: `userId` holds every event of `conversationId` up to `seq`. */
export type TDeliveryReport = { userId: string; conversationId: string; seq: number };

/** A delivered cursor that moved. */
export type TDeliveredMove = { userId: string; conversationId: string; deliveredSeq: number };

/**
 * Duplicate (user, conversation) pairs keep their largest seq (an UPDATE must meet each row once).
 * Rows are locked in key order, so two batches touching the same rows (two gateways, two devices)
 * wait for each other instead of deadlocking. A seq past the conversation's end is clamped to it.
 */
const MARK_DELIVERED = {
  name: "receipts_mark_delivered_v1",
  text: `WITH v AS (
      SELECT r.u, r.cid, max(r.seq) AS seq
      FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS r(u, cid, seq)
      GROUP BY r.u, r.cid
    ), target AS (
      SELECT m."conversationId", m."userId", LEAST(v.seq, c."lastSeq") AS seq
      FROM v
      JOIN "Membership" m ON m."userId" = v.u AND m."conversationId" = v.cid
      JOIN "Conversation" c ON c.id = v.cid
      WHERE c.kind IN ('dm', 'group_dm') AND m."deliveredSeq" < LEAST(v.seq, c."lastSeq")
      ORDER BY m."conversationId", m."userId"
      FOR UPDATE OF m
    )
    UPDATE "Membership" m SET "deliveredSeq" = t.seq
    FROM target t
    WHERE m."conversationId" = t."conversationId" AND m."userId" = t."userId" AND m."deliveredSeq" < t.seq
    RETURNING m."userId"::text AS "userId", m."conversationId"::text AS "conversationId", m."deliveredSeq" AS "deliveredSeq"`,
};

/**
 * Moves delivered cursors forward for a batch of reports (any users) in one statement and hands
 * every move to the receipt relay (live `receipts` frames). Reports are trusted to come from
 * their `userId` (the gateway sets it from the socket's actor).
 */
export async function markDelivered(db: TDb, reports: readonly TDeliveryReport[]): Promise<TDeliveredMove[]> {
  if (reports.length === 0) return [];
  const moved = await hotQuery<TDeliveredMove>(db, MARK_DELIVERED, [
    reports.map((r) => r.userId),
    reports.map((r) => r.conversationId),
    reports.map((r) => r.seq),
  ]);
  const relay = receiptRelay();
  for (const m of moved) relay.moved(m.conversationId, m.userId, { deliveredSeq: m.deliveredSeq });
  return moved;
}
