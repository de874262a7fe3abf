/**
 * Read positions: a member's cursor in a conversation's log. Moving it appends `read.updated` to
 * the member's own log (not the conversation's), so their other devices clear the badge too.
 */
import type { TDb } from "@parley/db";
import { UserEventKind } from "@parley/protocol";
import { loadAccess, requireMember } from "../access.ts";
import type { TActor } from "../actor.ts";
import { parseInput } from "../errors.ts";
import { receiptRelay } from "../receipts/relay.ts";
import { ZMarkRead } from "../schemas.ts";
import { appendUserEvent, inWriteTx } from "../tx.ts";

/**
 * Moves the actor's read cursor forward to `seq` (clamped to the conversation's lastSeq; never
 * backwards) and tells their other devices via a read.updated user event when it moved.
 */
export async function markRead(db: TDb, actor: TActor, input: unknown): Promise<{ readSeq: number }> {
  const { conversationId, seq } = parseInput(ZMarkRead, input);
  let movedTo: number | null = null;
  const result = await inWriteTx(db, async (w) => {
    const rows = await w.tx.$queryRaw<{ readSeq: number }[]>`
      UPDATE "Membership" m
      SET "readSeq" = GREATEST(m."readSeq", LEAST(${seq}::int, c."lastSeq"))
      FROM "Conversation" c
      WHERE c.id = m."conversationId" AND m."conversationId" = ${conversationId}::uuid
        AND m."userId" = ${actor.userId}::uuid AND m."readSeq" < LEAST(${seq}::int, c."lastSeq")
      RETURNING m."readSeq"`;
    const moved = rows[0];
    if (moved) {
      await appendUserEvent(w, actor.userId, UserEventKind.ReadUpdated, {
        conversationId,
        readSeq: moved.readSeq,
      });
      movedTo = moved.readSeq;
      return { readSeq: moved.readSeq };
    }
    const access = await loadAccess(w.tx, actor, conversationId);
    requireMember(access);
    const membership = await w.tx.membership.findUnique({
      where: { conversationId_userId: { conversationId, userId: actor.userId } },
      select: { readSeq: true },
    });
    return { readSeq: membership?.readSeq ?? 0 };
  });
  // After commit: the other members' read ticks (relay.ts decides who may see it).
  if (movedTo !== null) receiptRelay().moved(conversationId, actor.userId, { readSeq: movedTo });
  return result;
}
