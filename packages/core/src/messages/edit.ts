/**
 * Editing a message: `message.edited` is appended under the conversation's seq lock in the same
 * transaction as the Message.body/editedAt/mentions change (lock order: messages/lock.ts), and
 * reaches the sink after commit — live for clients, replayed in seq order for one that was away.
 */
import type { TDb } from "@parley/db";
import { EventKind, parseMentions } from "@parley/protocol";
import type { TActor } from "../actor.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { mentionedMembersSql } from "../mentions.ts";
import { ZEditMessage } from "../schemas.ts";
import { appendConversationEvent, inWriteTx } from "../tx.ts";
import { requireBroadcastAllowed } from "./broadcast.ts";
import { lockMessage } from "./lock.ts";
import { requireWithinWindow } from "./windows.ts";

/** What `editMessage` did: `seq` is the message.edited event's, null when the body was unchanged. */
export type TEditResult = {
  messageId: string;
  conversationId: string;
  body: string;
  editedAt: Date | null;
  /** The mentions of the body as it now stands (see MessageDto). */
  mentionedUserIds: string[];
  mentionsAll: boolean;
  seq: number | null;
};

/**
 * Replaces a message's body (its sender only, while a member of a conversation that is not
 * archived; not once deleted). Appends `message.edited` {messageId, body, editedAt,
 * mentionedUserIds, mentionsAll} and updates Message.body/editedAt and the mentions (recomputed
 * from the new body against the current members) in one transaction. The message.created entry
 * keeps the original body: the log is history and replaying it in order ends at the latest edit.
 * An unchanged body writes nothing. An edit cannot add @channel/@here/@everyone where the
 * workspace's broadcast policy refuses it to the sender (FORBIDDEN, BROADCAST_RESTRICTED; checked
 * under the conversation's lock); a message that already had one may keep it. Past the
 * workspace's edit window (windows.ts; admins included) it is FORBIDDEN with reason
 * EDIT_WINDOW_CLOSED. `options.now` is the clock the window is measured with (tests).
 */
export async function editMessage(
  db: TDb,
  actor: TActor,
  input: unknown,
  options: { now?: Date } = {},
): Promise<TEditResult> {
  const { messageId, body } = parseInput(ZEditMessage, input);
  return inWriteTx(db, async (w) => {
    const message = await lockMessage(w.tx, actor, messageId);
    if (message.senderId !== actor.userId) {
      throw new ParleyError("FORBIDDEN", "You can only edit your own messages");
    }
    await requireWithinWindow(w.tx, "edit", message.createdAt, options.now ?? new Date());
    const base = { messageId, conversationId: message.conversationId, body };
    if (message.body === body) {
      const row = await w.tx.message.findUnique({
        where: { id: messageId },
        select: { editedAt: true, mentionedUserIds: true, mentionsAll: true },
      });
      return {
        ...base,
        editedAt: row?.editedAt ?? null,
        mentionedUserIds: row?.mentionedUserIds ?? [],
        mentionsAll: row?.mentionsAll ?? false,
        seq: null,
      };
    }
    const mentions = parseMentions(body);
    if (mentions.all && !message.mentionsAll) {
      await requireBroadcastAllowed(w.tx, message.conversationId, actor.userId);
    }
    const [members] = await w.tx.$queryRaw<{ ids: string[] }[]>`
      SELECT ${mentionedMembersSql(mentions.userIds, mentions.groupIds, message.conversationId)} AS ids`;
    const mentionedUserIds = members?.ids ?? [];
    const mentionsAll = mentions.all;
    const editedAt = new Date();
    const event = await appendConversationEvent(
      w,
      message.conversationId,
      EventKind.MessageEdited,
      actor.userId,
      { messageId, body, editedAt, mentionedUserIds, mentionsAll },
    );
    await w.tx.message.update({
      where: { id: messageId },
      data: { body, editedAt, mentionedUserIds, mentionsAll },
    });
    return { ...base, editedAt, mentionedUserIds, mentionsAll, seq: event.seq };
  });
}
