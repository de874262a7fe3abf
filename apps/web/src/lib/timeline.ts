/**
 * Pure rules of the message timeline (no React, no I/O), shared by the feed hook and the view
 * and unit-tested on their own.
 */

/** The fields of a message the timeline logic looks at. */
export type TTimelineMessage = {
  seq: number;
  senderId: string;
  clientMsgId: string | null;
  editedAt: Date | string | null;
  deletedAt: Date | string | null;
  replyCount: number;
  createdAt: Date | string;
};

/** Messages from the same sender within this window render as one block. */
export const GROUP_WINDOW_MS = 5 * 60_000;

/** `crypto.randomUUID` exists only in secure contexts; self-hosters may serve plain http. */
export function newClientMsgId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function time(value: Date | string | null): number | null {
  return value === null ? null : new Date(value).getTime();
}

/**
 * Stores `messages` in `bySeq` (one entry per seq, so overlapping fetches never duplicate) and
 * says whether anything visible changed. A later copy of the same seq wins only if it differs.
 */
export function mergeBySeq<M extends TTimelineMessage>(
  bySeq: Map<number, M>,
  messages: readonly M[],
): boolean {
  let isChanged = false;
  for (const m of messages) {
    const old = bySeq.get(m.seq);
    if (
      !old ||
      time(old.editedAt) !== time(m.editedAt) ||
      time(old.deletedAt) !== time(m.deletedAt) ||
      old.replyCount !== m.replyCount
    ) {
      bySeq.set(m.seq, m);
      isChanged = true;
    }
  }
  return isChanged;
}

/** The stored messages in seq order: the order on screen, whatever the order of arrival. */
export function inSeqOrder<M extends TTimelineMessage>(bySeq: Map<number, M>): M[] {
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Outbox entries the server has not confirmed yet (one already in history is shown once, as sent). */
export function unconfirmed<P extends { clientMsgId: string }>(
  pending: readonly P[],
  messages: readonly TTimelineMessage[],
): P[] {
  const confirmed = new Set(messages.map((m) => m.clientMsgId));
  return pending.filter((p) => !confirmed.has(p.clientMsgId));
}

/** True when `m` continues `prev`'s block: same sender, within GROUP_WINDOW_MS, prev not deleted. */
export function isContinuation(prev: TTimelineMessage | undefined, m: TTimelineMessage): boolean {
  if (!prev || prev.senderId !== m.senderId || prev.deletedAt) return false;
  const gap = new Date(m.createdAt).getTime() - new Date(prev.createdAt).getTime();
  return gap >= 0 && gap < GROUP_WINDOW_MS;
}

/** "Ana is typing…", "Ana and Ben are typing…", "Several people are typing…" (empty when nobody is). */
export function typingText(names: readonly string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}
