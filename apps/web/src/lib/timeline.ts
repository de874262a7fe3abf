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

/**
 * True when `m` continues `prev`'s block: same sender, within GROUP_WINDOW_MS, on the same
 * (local) day, prev not deleted.
 */
export function isContinuation(prev: TTimelineMessage | undefined, m: TTimelineMessage): boolean {
  if (!prev || prev.senderId !== m.senderId || prev.deletedAt) return false;
  if (!isSameDay(prev.createdAt, m.createdAt)) return false;
  const gap = new Date(m.createdAt).getTime() - new Date(prev.createdAt).getTime();
  return gap >= 0 && gap < GROUP_WINDOW_MS;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The calendar day of a moment, as a comparable key ("2026-11-23"): in `timeZone` (the user's,
 * i18n/format.ts) or, without one, the runtime's local zone.
 */
export function dayKey(value: Date | string, timeZone?: string): string {
  const d = new Date(value);
  if (timeZone === undefined) {
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA writes dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    dayFormats.set(timeZone, format);
  }
  return format.format(d);
}

/** True when both moments fall on the same calendar day (in `timeZone`, else the local one). */
export function isSameDay(a: Date | string, b: Date | string, timeZone?: string): boolean {
  return dayKey(a, timeZone) === dayKey(b, timeZone);
}

/**
 * The label of a day separator, like Slack's: "Today", "Yesterday", "Monday, November 23", and
 * with the year when it is not the current one ("Sunday, November 23, 2025").
 */
export function dayLabel(value: Date | string, now: Date = new Date()): string {
  const d = new Date(value);
  if (isSameDay(d, now)) return "Today";
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1, 12);
  if (isSameDay(d, yesterday)) return "Yesterday";
  return d.toLocaleDateString("en-US", {
    weekday: "long",
    month: "long",
    day: "numeric",
    ...(d.getFullYear() === now.getFullYear() ? {} : { year: "numeric" }),
  });
}

/**
 * True when a message shows in the channel's main list: not a thread reply, unless it was also
 * sent to the channel. (`alsoInChannel` is new in the server contract; older servers omit it.)
 */
export function isInMainList(m: { threadRootId: string | null }): boolean {
  return m.threadRootId === null || (m as { alsoInChannel?: boolean }).alsoInChannel === true;
}

/** What the reader had read when the conversation was opened. */
export type TReadPosition = {
  /** The membership's readSeq at open: everything up to it was read. */
  readSeq: number;
  /** The conversation's lastSeq at open: later messages arrived live and are not "new" to mark. */
  lastSeq: number;
};

/**
 * The seq of the message the "New messages" divider goes above, or null: the first message from
 * someone else that was unread when the conversation was opened (readSeq < seq <= lastSeq).
 * Known only when the loaded `messages` (ascending seq) reach back to a read message or to the
 * very beginning (`hasMoreBefore` false); otherwise the first unread one may not be loaded yet.
 */
export function newMessagesDividerSeq(
  messages: readonly TTimelineMessage[],
  position: TReadPosition | null,
  meId: string,
  hasMoreBefore: boolean,
): number | null {
  if (!position) return null;
  const { readSeq, lastSeq } = position;
  const first = messages.find((m) => m.seq > readSeq && m.seq <= lastSeq && m.senderId !== meId);
  if (!first) return null;
  const reachesRead = !hasMoreBefore || (messages[0] !== undefined && messages[0].seq <= readSeq);
  return reachesRead ? first.seq : null;
}

/** One row of the rendered timeline: a message with what goes above it. */
export type TTimelineRow<M extends TTimelineMessage> = {
  message: M;
  /** Label of the day separator above it, or null when it continues the previous message's day. */
  day: string | null;
  /** True when the "New messages" divider goes above it. */
  isFirstNew: boolean;
  /** True when it continues the previous message's block (no name and avatar line). */
  isGrouped: boolean;
};

/**
 * The rows of a loaded timeline (ascending seq). The first loaded message gets a day separator
 * only when it is the very first message (`hasMoreBefore` false): otherwise its day may continue
 * from messages not loaded yet. A message below the "New messages" divider starts a new block.
 */
export function timelineRows<M extends TTimelineMessage>(
  messages: readonly M[],
  opts: {
    hasMoreBefore: boolean;
    dividerSeq: number | null;
    now?: Date;
    /** Days are split in this zone (the user's); else the local one. */
    timeZone?: string;
    /** The separator's label in the user's language (i18n/format.ts `day`); else English. */
    label?: (value: Date | string, now: Date) => string;
  },
): TTimelineRow<M>[] {
  const now = opts.now ?? new Date();
  const label = opts.label ?? dayLabel;
  return messages.map((message, i) => {
    const prev = messages[i - 1];
    const isNewDay = prev
      ? !isSameDay(prev.createdAt, message.createdAt, opts.timeZone)
      : !opts.hasMoreBefore;
    const isFirstNew = message.seq === opts.dividerSeq;
    return {
      message,
      day: isNewDay ? label(message.createdAt, now) : null,
      isFirstNew,
      isGrouped: !isFirstNew && isContinuation(prev, message),
    };
  });
}
