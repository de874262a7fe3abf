/**
 * The lock every change to an existing message takes (edits, reactions, pins; deletes use
 * `lockMessageRow` directly since admins may delete where they cannot read). Each change appends
 * its event under the conversation's seq lock in the same transaction as the projection change,
 * and the event reaches the sink after commit.
 *
 * Lock order: the conversation row first, then the message row (`lockMessageRow` in access.ts), the same order
 * sendMessage uses (conversation, then a thread root's reply count) and deleteMessage uses, so two
 * of these writers never wait for each other in a cycle. The message lock is `FOR NO KEY UPDATE`,
 * which does not block the `FOR KEY SHARE` a Reaction insert takes on its message.
 */
import {
  lockMessageRow,
  NotFound,
  requireMember,
  requireNotArchived,
  type TLockedMessageRow,
} from "../access.ts";
import type { TActor } from "../actor.ts";
import { ParleyError } from "../errors.ts";
import type { TTx } from "../tx.ts";

/**
 * The message to change, locked (`lockMessageRow`: conversation row, then message row), after
 * checking the actor may write there: NOT_FOUND "Message not found" for unknown messages and for
 * messages in conversations the actor cannot read; FORBIDDEN for a readable public channel they
 * have not joined or an archived conversation; NOT_FOUND for a deleted message.
 */
export async function lockMessage(tx: TTx, actor: TActor, messageId: string): Promise<TLockedMessageRow> {
  const message = await lockMessageRow(tx, actor, messageId);
  requireMember(message.access, NotFound.message);
  requireNotArchived(message.access);
  if (message.deletedAt) throw new ParleyError("NOT_FOUND", "This message was deleted");
  return message;
}
