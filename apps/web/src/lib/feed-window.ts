/**
 * A conversation's loaded history as one contiguous window of messages (pure; the caches in
 * chat-data.ts hold these). Attached (`hasMoreAfter` false) the window ends at the newest message
 * and live messages join it; detached (opened at a linked message) they wait in `buffered` until
 * a page brings the window to the newest message (`extendNewer`) or the reader jumps there
 * (`attach` after the newest page). Every merge is by seq, so a message is never held twice and
 * the order is always the seq order.
 */
import type { TMessage } from "~/trpc/types";

/** One conversation's loaded history. `isComplete` is false while only live events are in it. */
export type TFeed = {
  /** A contiguous window of history, ascending seq. */
  messages: TMessage[];
  hasMoreBefore: boolean;
  /** True while the window ends before the newest message (it was opened at a linked message). */
  hasMoreAfter: boolean;
  /** Live messages that arrived while `hasMoreAfter`: they join the window once it reaches the newest. */
  buffered: TMessage[];
  isComplete: boolean;
  /** Where the list should be; changes together with the window it describes. */
  view: TFeedView;
  /** The newest seq a page put at the window's end when it reached the newest: later rows are live arrivals. */
  liveAfterSeq: number;
};

/**
 * Where the list should be: a fresh scroll position for each `windowId` (a jump or a replaced
 * history), at the message `targetSeq` (or the nearest after it), or at the newest when null.
 */
export type TFeedView = { windowId: number; targetSeq: number | null };

export const INITIAL_VIEW: TFeedView = { windowId: 0, targetSeq: null };

/** The next view of a feed (a new window id). */
export function nextView(feed: TFeed | undefined, targetSeq: number | null): TFeedView {
  return { windowId: (feed?.view.windowId ?? 0) + 1, targetSeq };
}

/** A history page as messages.history returns it. */
export type THistoryPage = { messages: TMessage[]; hasMoreBefore: boolean; hasMoreAfter: boolean };

function bySeq(messages: readonly TMessage[]): TMessage[] {
  return [...messages].sort((a, b) => a.seq - b.seq);
}

/** Merges messages by seq (a later copy of a seq replaces the earlier one). */
export function mergeMessages(current: readonly TMessage[], incoming: readonly TMessage[]): TMessage[] {
  const map = new Map<number, TMessage>();
  for (const m of current) map.set(m.seq, m);
  for (const m of incoming) map.set(m.seq, m);
  return bySeq([...map.values()]);
}

/** The newest seq in a window (0 when empty). */
export function newestSeq(messages: readonly TMessage[]): number {
  return messages.at(-1)?.seq ?? 0;
}

/** Applies `change` to every copy of the messages in a feed: the window and the live ones waiting. */
export function patchMessages(feed: TFeed, change: (m: TMessage) => TMessage): TFeed {
  let isChanged = false;
  const apply = (m: TMessage) => {
    const next = change(m);
    if (next !== m) isChanged = true;
    return next;
  };
  const messages = feed.messages.map(apply);
  const buffered = feed.buffered.map(apply);
  // The same object when nothing changed, so callers can skip writing caches (and re-rendering).
  return isChanged ? { ...feed, messages, buffered } : feed;
}

/** The window reached the newest message: the live messages that waited join it (the page wins). */
export function attach(feed: TFeed): TFeed {
  const messages = mergeMessages(feed.buffered, feed.messages);
  // Rows up to here came from pages (or waited): the list must not auto-scroll over them.
  return { ...feed, messages, hasMoreAfter: false, buffered: [], liveAfterSeq: newestSeq(messages) };
}

/** Appends a newer page (`after` the window's start or end) to a detached window. */
export function extendNewer(feed: TFeed, page: THistoryPage): TFeed {
  const next = { ...feed, messages: mergeMessages(feed.messages, page.messages) };
  return page.hasMoreAfter ? next : attach(next);
}

/** An empty feed (live events only so far). */
export const EMPTY_FEED: TFeed = {
  messages: [],
  hasMoreBefore: true,
  hasMoreAfter: false,
  buffered: [],
  isComplete: false,
  view: INITIAL_VIEW,
  liveAfterSeq: 0,
};

/**
 * A live message (message.created): joins an attached window, waits in `buffered` below a
 * detached one. A thread reply joins only when also sent to the channel (as messages.history
 * returns them), and bumps its root's reply count and last reply time wherever the root is held
 * (the SDK delivers each event once; a copy of a message already held changes nothing).
 */
export function addMessage(feed: TFeed, message: TMessage): TFeed {
  const isHeld = [...feed.messages, ...feed.buffered].some((m) => m.seq === message.seq);
  const isShown = !message.threadRootId || message.alsoInChannel;
  let next = feed;
  if (isShown) {
    next = feed.hasMoreAfter
      ? { ...feed, buffered: mergeMessages(feed.buffered, [message]) }
      : { ...feed, messages: mergeMessages(feed.messages, [message]) };
  }
  if (message.threadRootId && !isHeld) {
    next = patchMessages(next, (m) =>
      m.id === message.threadRootId
        ? { ...m, replyCount: m.replyCount + 1, lastReplyAt: message.createdAt }
        : m,
    );
  }
  return next;
}
