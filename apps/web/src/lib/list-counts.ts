/**
 * The sidebar's conversations list moved by live events instead of refetched: a new message
 * (`countNewMessage`; the reader's own moves only `lastSeq`) and a read mark from any device
 * (`applyReadMark`) change a row's `lastSeq`, `readSeq`, `unreadCount` and `mentionCount` the way
 * the server counts them (`queryConversations` in packages/core/src/conversations/view.ts):
 * others' messages above `readSeq`, thread-only replies not unread; mentions of the reader or
 * everyone, thread replies included; in DMs every unread message is a mention. The list's order
 * (kind, name) does not change, and the unreads-first sort (conversation-order.ts) reads these
 * counts. Each returns the list unchanged when the event is already counted in it (a list fetched
 * after it) and null when it cannot say (a conversation not in the list, a read mark that leaves
 * some messages unread): the caller refetches. Pure; connectLiveData (chat-data.ts) applies them,
 * list-counts.integration.test.ts checks them against a fresh fetch.
 */
import type { TMessageCreatedEvent } from "./live-reducers";

/** The fields of a list row these functions read and write. */
export type TListCounts = {
  id: string;
  kind: string;
  isMember: boolean;
  lastSeq: number;
  readSeq: number;
  unreadCount: number;
  mentionCount: number;
};

function replaceRow<T extends TListCounts>(list: readonly T[], row: T): T[] {
  return list.map((c) => (c.id === row.id ? row : c));
}

/** The list after a new message reached `userId`'s tab; null when its conversation is not in it. */
export function countNewMessage<T extends TListCounts>(
  list: readonly T[],
  event: TMessageCreatedEvent,
  userId: string,
): readonly T[] | null {
  const row = list.find((c) => c.id === event.conversationId);
  if (!row?.isMember) return null;
  if (event.seq <= row.lastSeq) return list;
  const m = event.payload.message;
  // Not counted: the reader's own, or already read (a read mark from another device came first).
  const counts = m.senderId !== userId && event.seq > row.readSeq;
  const isUnread = counts && (m.threadRootId === null || m.alsoInChannel);
  const isMention = counts && (m.mentionsAll || m.mentionedUserIds.includes(userId));
  const unreadCount = row.unreadCount + (isUnread ? 1 : 0);
  const isDm = row.kind === "dm" || row.kind === "group_dm";
  const mentionCount = isDm ? unreadCount : row.mentionCount + (isMention ? 1 : 0);
  return replaceRow(list, { ...row, lastSeq: event.seq, unreadCount, mentionCount });
}

/**
 * The list after the reader's read position in a conversation moved to `readSeq`: nothing left
 * unread when it covers the row's `lastSeq`; null when it does not (which of the unread messages
 * are left, and which of them mention the reader, only the server knows) or the row is unknown.
 */
export function applyReadMark<T extends TListCounts>(
  list: readonly T[],
  mark: { conversationId: string; readSeq: number },
): readonly T[] | null {
  const row = list.find((c) => c.id === mark.conversationId);
  if (!row) return null;
  if (mark.readSeq <= row.readSeq) return list;
  if (mark.readSeq < row.lastSeq) return null;
  return replaceRow(list, { ...row, readSeq: mark.readSeq, unreadCount: 0, mentionCount: 0 });
}
