/**
 * The message a saved item or a reminder points at, as the Saved view shows it: where it is, who
 * sent it, its text as it is now (edits show), how many files. Read only when the user can read
 * its conversation NOW and it is not deleted (`laterMessageSql` puts both in the query, as search
 * does), so leaving a private channel or a deletion hides it at once, whatever was saved before.
 */
import { canReadSql, loadAccess, NotFound, notFound, requireRead } from "../access.ts";
import type { TActor } from "../actor.ts";
import type { TTx } from "../tx.ts";

/** A saved or reminded message as the Saved view shows it. */
export type TLaterMessage = {
  messageId: string;
  conversationId: string;
  conversationKind: string;
  /** Channel name; null for DMs and group DMs (the client names them from its conversation list). */
  conversationName: string | null;
  seq: number;
  /** Set for a thread reply (it opens in its thread). */
  threadRootId: string | null;
  senderId: string;
  senderName: string;
  /** The text as it is now (mention tokens as sent: `<@id>`). */
  body: string;
  createdAt: Date;
  editedAt: Date | null;
  attachmentCount: number;
};

/** The columns of `TLaterMessage`, from `m` ("Message"), `c` ("Conversation") and `u` (its sender). */
export const LATER_MESSAGE_COLUMNS = `m.id::text AS "messageId", m."conversationId"::text AS "conversationId",
  c.kind::text AS "conversationKind", c.name AS "conversationName", m.seq, m."threadRootId"::text AS "threadRootId",
  m."senderId"::text AS "senderId", u.name AS "senderName", m.body, m."createdAt", m."editedAt",
  (SELECT count(*) FROM "Attachment" a WHERE a."messageId" = m.id AND a.status = 'ready')::int AS "attachmentCount"`;

/**
 * SQL joining `m`, `c` and `u` for the message `messageExpr` when `userExpr` may read it now and
 * it is not deleted (an inner join: no row otherwise).
 */
export function laterMessageJoin(messageExpr: string, userExpr: string): string {
  return `JOIN "Message" m ON m.id = ${messageExpr} AND m."deletedAt" IS NULL
    JOIN "Conversation" c ON c.id = m."conversationId" AND ${canReadSql(userExpr, "c")}
    JOIN "User" u ON u.id = m."senderId"`;
}

/**
 * The conversation of a message the actor may read now and that is not deleted; NOT_FOUND
 * "Message not found" otherwise — the same answer as for an unknown id.
 */
export async function requireReadableMessage(
  tx: TTx,
  actor: TActor,
  messageId: string,
): Promise<{ conversationId: string }> {
  const [row] = await tx.$queryRaw<{ conversationId: string; isDeleted: boolean }[]>`
    SELECT "conversationId"::text AS "conversationId", "deletedAt" IS NOT NULL AS "isDeleted"
    FROM "Message" WHERE id = ${messageId}::uuid`;
  if (!row) throw notFound(NotFound.message);
  requireRead(await loadAccess(tx, actor, row.conversationId), NotFound.message);
  if (row.isDeleted) throw notFound(NotFound.message);
  return { conversationId: row.conversationId };
}
