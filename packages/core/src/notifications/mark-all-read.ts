/**
 * "Mark all as read": moves the actor's read cursor to the end of every conversation they are a
 * member of, in one statement, and appends one `read.updated` per moved conversation to their own
 * log, exactly as `markRead` does for one, so their other devices (and the notifier, which clears
 * pushed notifications once a read cursor passes them) follow.
 */
import type { TDb } from "@parley/db";
import { UserEventKind } from "@parley/protocol";
import type { TActor } from "../actor.ts";
import { appendUserEvent, inWriteTx } from "../tx.ts";

/** Marks everything the actor can read as read; answers how many conversations moved. */
export async function markAllRead(db: TDb, actor: TActor): Promise<{ conversations: number }> {
  return inWriteTx(db, async (w) => {
    const moved = await w.tx.$queryRaw<{ conversationId: string; readSeq: number }[]>`
      UPDATE "Membership" m SET "readSeq" = c."lastSeq"
      FROM "Conversation" c
      WHERE c.id = m."conversationId" AND m."userId" = ${actor.userId}::uuid AND m."readSeq" < c."lastSeq"
      RETURNING m."conversationId"::text AS "conversationId", m."readSeq"`;
    moved.sort((a, b) => a.conversationId.localeCompare(b.conversationId));
    for (const { conversationId, readSeq } of moved) {
      await appendUserEvent(w, actor.userId, UserEventKind.ReadUpdated, { conversationId, readSeq });
    }
    return { conversations: moved.length };
  });
}
