/**
 * Slack's message `ts` for Parley messages, and back. A ts names a message within its channel:
 *
 *   ts = "<createdAt in whole Unix seconds>.<seq mod 1,000,000, six digits>"
 *
 * e.g. seq 42 sent at 2026-12-10T08:00:00.731Z → "1796889600.000042". It is stable (neither
 * part ever changes, edits and deletes included), looks and sorts like Slack's (a Unix time with
 * six decimals, so `oldest`/`latest` times compare with it), and is unique per conversation: two
 * messages would need seqs a million apart in the same second. Parsing it back reads the
 * candidate seqs (the six digits, plus every multiple of a million up to the conversation's last
 * seq: one primary-key lookup for conversations under a million events) and keeps the one whose
 * createdAt falls in that second. A ts that matches no message is unknown (`message_not_found`).
 */
import type { TDb } from "@parley/db";

const SEQ_MODULUS = 1_000_000;
const TS_RE = /^(\d{1,12})\.(\d{6})$/;

/** The ts of the message with this `seq`, sent at `createdAt`. */
export function messageTs(createdAt: Date, seq: number): string {
  const seconds = Math.floor(createdAt.getTime() / 1000);
  return `${seconds}.${String(seq % SEQ_MODULUS).padStart(6, "0")}`;
}

/** A ts taken apart (null when it is not of the "<seconds>.<six digits>" form). */
export function parseMessageTs(ts: string): { seconds: number; seqLow: number } | null {
  const match = TS_RE.exec(ts.trim());
  if (!match) return null;
  return { seconds: Number(match[1]), seqLow: Number(match[2]) };
}

/** A Slack time bound (`oldest`, `latest`: a ts or any Unix time with decimals) as a Date, or null. */
export function slackTimeToDate(value: string): Date | null {
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(value.trim())) return null;
  return new Date(Math.round(Number(value) * 1000));
}

/**
 * The message of `conversationId` this ts names (any state: deleted ones too), or null. The caller
 * has checked the conversation may be read; `lastSeq` is the conversation's (bounds the candidates).
 */
export async function findMessageByTs(
  db: TDb,
  conversationId: string,
  lastSeq: number,
  ts: string,
): Promise<{
  id: string;
  seq: number;
  createdAt: Date;
  threadRootId: string | null;
  deletedAt: Date | null;
} | null> {
  const parsed = parseMessageTs(ts);
  if (!parsed) return null;
  const seqs: number[] = [];
  for (let seq = parsed.seqLow; seq <= lastSeq; seq += SEQ_MODULUS) if (seq > 0) seqs.push(seq);
  if (seqs.length === 0) return null;
  const rows = await db.message.findMany({
    where: { conversationId, seq: { in: seqs } },
    select: { id: true, seq: true, threadRootId: true, deletedAt: true, createdAt: true },
  });
  const row = rows.find((r) => Math.floor(r.createdAt.getTime() / 1000) === parsed.seconds);
  if (!row) return null;
  return row;
}

/**
 * The ts of each of these messages of `conversationId` (thread roots of a page, a resent message);
 * ids of other conversations are absent. The caller has checked the conversation may be read.
 */
export async function messageTsByIds(
  db: TDb,
  conversationId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.message.findMany({
    where: { conversationId, id: { in: [...new Set(ids)] } },
    select: { id: true, seq: true, createdAt: true },
  });
  return new Map(rows.map((r) => [r.id, messageTs(r.createdAt, r.seq)]));
}

/**
 * The highest message seq of `conversationId` sent at or before `at` (0 when none): turns a
 * Slack time bound that names no message into a seq bound. The caller has checked read access.
 */
export async function seqAtTime(db: TDb, conversationId: string, at: Date): Promise<number> {
  const row = await db.message.aggregate({
    where: { conversationId, createdAt: { lte: at } },
    _max: { seq: true },
  });
  return row._max.seq ?? 0;
}
