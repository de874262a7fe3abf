"use client";

/**
 * Keeping the reader's place in a virtualized message list (react-virtuoso) while rows above the
 * viewport change: `useKeepPlaceOnResize` for a row that changes height (an edit, a reaction),
 * `useHoldPlace` for a page prepended above, `useHoldBottom` for a window opened at the newest
 * message while its rows are measured. Used by components/message-list.tsx.
 */
import { useCallback, useEffect, useRef, useState } from "react";

/**
 * Keeps what is on screen in place when a row entirely above the viewport changes height (rows
 * seen for the first time are Virtuoso's business). Returns the ref callback for each row.
 */
export function useKeepPlaceOnResize(scroller: { current: HTMLElement | null }) {
  const [observer] = useState(() => {
    if (typeof ResizeObserver === "undefined") return null;
    const heights = new WeakMap<Element, number>();
    const observer = new ResizeObserver((entries) => {
      const el = scroller.current;
      let shift = 0;
      const top = el?.getBoundingClientRect().top ?? 0;
      for (const entry of entries) {
        // A row Virtuoso took out of the DOM reports a size of 0: forget it, it moved nothing.
        if (!entry.target.isConnected) {
          observer.unobserve(entry.target);
          heights.delete(entry.target);
          continue;
        }
        const height = entry.borderBoxSize[0]?.blockSize ?? entry.contentRect.height;
        const previous = heights.get(entry.target);
        heights.set(entry.target, height);
        if (previous === undefined || previous === height) continue;
        if (entry.target.getBoundingClientRect().bottom <= top + 1) shift += height - previous;
      }
      if (el && shift !== 0) el.scrollTop += shift;
    });
    return observer;
  });
  useEffect(() => () => observer?.disconnect(), [observer]);
  return useCallback(
    (row: HTMLElement | null) => {
      if (row) observer?.observe(row);
    },
    [observer],
  );
}

/**
 * How long the place is held after a page was prepended, counted from the last move it saw (a busy
 * machine lays out the new rows seconds after the page arrived)…
 */
const HOLD_PLACE_MS = 3_000;
/** …and at most this long after the page arrived. */
const MAX_HOLD_MS = 10_000;

/**
 * Keeps the row at the top of the viewport where it is while a page prepended above it is laid
 * out. Virtuoso scrolls down by an ESTIMATE of the new rows' height (rows × the last measured
 * row's height) and corrects the estimate only while the reader is scrolling up (its upward
 * compensation lapses 50 ms after the last scroll event). The new rows it renders above the
 * viewport (`increaseViewportBy`) or where the header was are measured after that on a slow or busy
 * machine, and the difference moved the rows being read (by ~240 px, 9 rows, in the e2e run).
 *
 * `hold()` (called in the render that prepends, while the DOM still shows the old rows) notes the
 * top row and its offset. `check()` runs after Virtuoso has taken in new sizes (its
 * `totalListHeightChanged`, so after any correction of its own): when that row moved within the
 * content (a layout shift above it) and on screen, it is scrolled back; a scroll alone (the reader,
 * a script) or a shift Virtuoso already made up for gives the new place. It ends on the reader's input
 * (`release`: wheel, touch, key and mouse events on the list) or when nothing moved for
 * HOLD_PLACE_MS.
 */
export function useHoldPlace(scroller: { current: HTMLElement | null }) {
  const held = useRef<{
    seq: string;
    offset: number;
    scrollTop: number;
    since: number;
    lastChange: number;
  } | null>(null);

  const retry = useRef(0);
  useEffect(() => () => cancelAnimationFrame(retry.current), []);

  const release = useCallback(() => {
    held.current = null;
  }, []);

  const checkNow = useCallback((): void => {
    const el = scroller.current;
    const h = held.current;
    if (!el || !h) return;
    const now = performance.now();
    if (now - h.lastChange > HOLD_PLACE_MS || now - h.since > MAX_HOLD_MS) {
      held.current = null;
      return;
    }
    // Not rendered right now (Virtuoso is between ranges), or mid-prepend (Virtuoso shows the new
    // rows' estimate as a margin, scrolls by it a frame later and drops the margin a frame after
    // that): not a shift to undo yet. Look again next frame: neither step changes the list's
    // height, so no size update would call this again, and a shift measured meanwhile (the
    // estimate was a row's name line off, 27 px) stayed.
    const row = el.querySelector<HTMLElement>(`article.msg[data-seq="${h.seq}"]`);
    const list = el.querySelector<HTMLElement>("[data-testid='virtuoso-item-list']");
    if (!row || (list && /^-?[1-9]/.test(list.style.marginTop))) {
      if (!retry.current) {
        retry.current = requestAnimationFrame(() => {
          retry.current = 0;
          checkNow();
        });
      }
      return;
    }
    const offset = row.getBoundingClientRect().top - el.getBoundingClientRect().top;
    const scrollTop = el.scrollTop;
    // Where the row is in the content: a scroll alone leaves it there, a layout shift moves it.
    const isShifted = Math.abs(offset + scrollTop - (h.offset + h.scrollTop)) >= 0.5;
    if (isShifted && Math.abs(offset - h.offset) >= 0.5) {
      // Rows above it changed height (and no scroll made up for it): put it back where the
      // reader had it, as far as the scroller goes (a move it cannot undo is kept).
      el.scrollTop = scrollTop + (offset - h.offset);
      h.offset = row.getBoundingClientRect().top - el.getBoundingClientRect().top;
      h.scrollTop = el.scrollTop;
      h.lastChange = now;
    } else if (isShifted || scrollTop !== h.scrollTop) {
      // Made up for already, or a scroll: the new place.
      h.offset = offset;
      h.scrollTop = scrollTop;
      h.lastChange = now;
    }
  }, [scroller]);

  /** After the current task (Virtuoso's size handling, including its own scroll corrections). */
  const check = useCallback(() => {
    if (held.current) queueMicrotask(checkNow);
  }, [checkNow]);

  const hold = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const top = el.getBoundingClientRect().top;
    const row = [...el.querySelectorAll<HTMLElement>("article.msg[data-seq]")].find(
      (r) => r.getBoundingClientRect().bottom > top + 1,
    );
    const seq = row?.dataset.seq;
    if (!row || seq === undefined) return;
    const now = performance.now();
    held.current = {
      seq,
      offset: row.getBoundingClientRect().top - top,
      scrollTop: el.scrollTop,
      since: now,
      lastChange: now,
    };
  }, [scroller]);

  return { hold, check, release };
}

/**
 * How long a window that opened at the newest message is kept there, counted from when Virtuoso
 * showed it or from the last size change after (a busy machine measures rows late)…
 */
const HOLD_BOTTOM_MS = 1_000;
/** …and at most this long after it was shown (or, while Virtuoso still hides it, after it opened). */
const MAX_HOLD_BOTTOM_MS = 10_000;

/** Virtuoso's list element, hidden (`visibility: hidden`) until its first scroll has settled. */
function isListHidden(el: HTMLElement): boolean {
  const list = el.querySelector<HTMLElement>("[data-testid='virtuoso-item-list']");
  return !list || list.style.visibility === "hidden";
}

/**
 * Keeps a window that opened at the newest message at the bottom while its rows are measured.
 * Virtuoso scrolls to the last row by ESTIMATED heights (every row as tall as the first one it
 * measured) and counts the scroll done when nothing changed for 150 ms; on a busy machine the real
 * heights come later, and its upward-scrolling compensation then left the reader hundreds of pixels
 * above the newest row, with "Jump to latest" showing.
 *
 * Until that first scroll is done, react-virtuoso (4.18) keeps the list `visibility: hidden` and
 * scrolls again after every size change; a scroll of ours then renders other rows, whose sizes
 * restart its 150 ms (a busy machine's list stayed hidden for over 10 s). So the hold waits:
 * `hold()` when such a window opens, `placed()` when Virtuoso shows the list (the List component
 * sees its `visibility` go) — only then is it checked, and after each size update
 * (`totalListHeightChanged`, `check()`): a list no longer at its bottom is scrolled back there on
 * the next frame (after Virtuoso's own corrections and React's render), never while it is hidden.
 * It ends on the reader's input (`release`), when the sizes have not changed for HOLD_BOTTOM_MS
 * since it was shown, or after MAX_HOLD_BOTTOM_MS. `isHeld()` says whether it is on (waiting
 * included: the window is still being laid out).
 */
export function useHoldBottom(scroller: { current: HTMLElement | null }) {
  /** `since`: when it opened, then when the list was shown; `lastChange` is null until it is shown. */
  const held = useRef<{ since: number; lastChange: number | null } | null>(null);
  const frame = useRef(0);

  const isHeld = useCallback(() => {
    const h = held.current;
    if (!h) return false;
    const now = performance.now();
    const isIdle = h.lastChange !== null && now - h.lastChange > HOLD_BOTTOM_MS;
    if (isIdle || now - h.since > MAX_HOLD_BOTTOM_MS) {
      held.current = null;
      return false;
    }
    return true;
  }, []);

  const release = useCallback(() => {
    held.current = null;
  }, []);

  /** Scrolls to the bottom on the next frame if the list is shown and not there. */
  const scrollDown = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const el = scroller.current;
      if (!el || !held.current || isListHidden(el)) return;
      if (el.scrollHeight - el.clientHeight - el.scrollTop > 1) el.scrollTop = el.scrollHeight;
    });
  }, [scroller]);

  const check = useCallback(() => {
    const h = held.current;
    // Before the list is shown, a size change is Virtuoso's to handle (it scrolls again).
    if (!h || h.lastChange === null || !isHeld()) return;
    h.lastChange = performance.now();
    scrollDown();
  }, [isHeld, scrollDown]);

  const placed = useCallback(() => {
    const h = held.current;
    if (!h || h.lastChange !== null || !isHeld()) return;
    const now = performance.now();
    held.current = { since: now, lastChange: now };
    scrollDown();
  }, [isHeld, scrollDown]);

  const hold = useCallback(() => {
    held.current = { since: performance.now(), lastChange: null };
    // A list Virtuoso already shows (it never hid it) reports no change of `visibility`.
    const el = scroller.current;
    if (el?.isConnected && !isListHidden(el)) placed();
  }, [scroller, placed]);

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  return { hold, placed, check, release, isHeld };
}
