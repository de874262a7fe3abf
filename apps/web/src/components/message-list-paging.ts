"use client";

/**
 * Paging of the message list (components/message-list.tsx): the `firstItemIndex` Virtuoso needs to
 * keep rows in place when older ones are prepended, and when to load the page above or below the
 * window (at its edges, once a fresh window has settled, or by itself while it is too short).
 */
import { useCallback, useEffect, useRef } from "react";
import type { ListRange } from "react-virtuoso";
import type { useConversationFeed } from "~/lib/conversation-feed";
import { useLatest } from "~/lib/use-latest";
import type { TListItem } from "./message-list-row";

type TFeedView = ReturnType<typeof useConversationFeed>;

/** Far above any number of rows one session can prepend (Virtuoso needs a positive index). */
const FIRST_INDEX = 10_000_000;
/** Below this many rows the list loads older pages by itself (the top is on screen anyway). */
const MIN_ROWS = 20;
/**
 * A fresh window loads no pages until Virtuoso has settled on its first position: a page
 * prepended while it is still scrolling to `initialTopMostItemIndex` shifts that index and sets
 * off page after page.
 */
const SETTLE_MS = 400;

/** Whether `row` shows (partly) inside the scroller `el`. */
function isOnScreen(el: HTMLElement, row: HTMLElement | null | undefined): boolean {
  if (!row) return false;
  const view = el.getBoundingClientRect();
  const box = row.getBoundingClientRect();
  return box.bottom > view.top && box.top < view.bottom;
}

export function useListPaging({
  feed,
  items,
  visibleCount,
  scroller,
  isAtBottomRef,
  isHoldingBottom,
  onPrepend,
}: {
  feed: TFeedView;
  items: readonly TListItem[];
  /** Messages of the window shown in the main list (thread replies are not). */
  visibleCount: number;
  scroller: { current: HTMLElement | null };
  /** Whether Virtuoso last reported the reader at the newest row. */
  isAtBottomRef: { current: boolean };
  /** True while a window that opened at the newest row is being kept there (scroll-place.ts). */
  isHoldingBottom: () => boolean;
  /** Called in the render that prepends rows, while the DOM still shows the old ones. */
  onPrepend: () => void;
}) {
  // Prepending N rows must lower firstItemIndex by N in the same render: count the rows above
  // the previous first row (by seq), per window.
  const base = useRef<{ windowId: number; seq: number; index: number } | null>(null);
  const held = useRef<number | null>(null);
  const firstSeq = items[0]?.kind === "message" ? items[0].row.message.seq : undefined;
  let firstItemIndex = FIRST_INDEX;
  const b = base.current;
  if (b && b.windowId === feed.view.windowId && firstSeq !== undefined) {
    const added =
      firstSeq < b.seq ? items.filter((it) => it.kind === "message" && it.row.message.seq < b.seq).length : 0;
    firstItemIndex = b.index - added;
    // Rows are being prepended: note the reader's place before the DOM changes (once per page).
    if (added > 0 && held.current !== firstItemIndex) {
      held.current = firstItemIndex;
      onPrepend();
    }
  }
  if (firstSeq !== undefined)
    base.current = { windowId: feed.view.windowId, seq: firstSeq, index: firstItemIndex };

  // Read by Virtuoso's callbacks, which must see this render's rows.
  const feedRef = useLatest(feed);
  const itemsRef = useLatest(items);
  const firstIndexRef = useLatest(firstItemIndex);
  const rangeRef = useRef<ListRange | null>(null);
  const isSettledRef = useRef(false);

  /**
   * Whether an older page may load now. Not while the reader is at the newest message (or the
   * window that opened there is still being laid out) unless the whole window fits on screen, its
   * oldest and its newest row both in view: otherwise the page would be a prefetch, and prepending
   * it while a busy machine was still laying out the opening window left the list short of the
   * newest row. Once the reader scrolls up it loads.
   */
  const mayLoadOlder = useCallback(() => {
    if (!isAtBottomRef.current && !isHoldingBottom()) return true;
    const el = scroller.current;
    if (!el) return true;
    const rows = el.querySelectorAll<HTMLElement>(".ml-row");
    return isOnScreen(el, rows[0]) && isOnScreen(el, rows[rows.length - 1]);
  }, [isAtBottomRef, isHoldingBottom, scroller]);

  const loadAtEdges = useCallback(() => {
    const range = rangeRef.current;
    const f = feedRef.current;
    if (!range || !isSettledRef.current) return;
    // The rendered range (overscan included), as positions in `items`.
    const first = firstIndexRef.current;
    const position = (i: number) => (i >= first ? i - first : i);
    if (f.hasMoreBefore && position(range.startIndex) <= 0 && mayLoadOlder()) void f.loadOlder();
    if (f.hasMoreAfter && position(range.endIndex) >= itemsRef.current.length - 1) void f.loadNewer();
  }, [mayLoadOlder]);

  const windowKey = `${feed.view.windowId}:${feed.isLoaded}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: restarts for each fresh window (windowKey)
  useEffect(() => {
    isSettledRef.current = false;
    const timer = setTimeout(() => {
      isSettledRef.current = true;
      loadAtEdges();
    }, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [windowKey, loadAtEdges]);

  // Too few rows to scroll (say, a page of thread replies hidden from the main list): load on.
  const { isLoaded, hasMoreBefore, isLoadingOlder, loadOlder, loadError } = feed;
  useEffect(() => {
    if (isLoaded && hasMoreBefore && !isLoadingOlder && !loadError && visibleCount < MIN_ROWS) {
      void loadOlder();
    }
  }, [isLoaded, hasMoreBefore, isLoadingOlder, loadError, visibleCount, loadOlder]);

  return {
    firstItemIndex,
    /** Virtuoso's `rangeChanged`. */
    rangeChanged: useCallback(
      (range: ListRange) => {
        rangeRef.current = range;
        loadAtEdges();
      },
      [loadAtEdges],
    ),
    /** After sizes changed (a window that fits on screen once measured may need the page above). */
    recheck: loadAtEdges,
    startReached: useCallback(() => {
      const f = feedRef.current;
      if (isSettledRef.current && f.hasMoreBefore && mayLoadOlder()) void f.loadOlder();
    }, [mayLoadOlder]),
    endReached: useCallback(() => {
      const f = feedRef.current;
      if (isSettledRef.current && f.hasMoreAfter) void f.loadNewer();
    }, []),
  };
}
