"use client";

/**
 * The history of one conversation, newest at the bottom, virtualized with react-virtuoso: the DOM
 * holds only the rows near the viewport, whatever the length of the history.
 *
 * - Scroll position: prepending older pages lowers `firstItemIndex` by the number of rows added
 *   above (counted by seq, so it survives re-renders; message-list-paging.ts, which also decides
 *   when a page loads), which keeps the row being read in place.
 *   Virtuoso does not correct for a rendered row above the viewport that changes size (an edit,
 *   a reaction): `useKeepPlaceOnResize` scrolls by the difference, so nothing on screen moves.
 *   The header and footer rows have a fixed height for the same reason. A window that opens at the
 *   newest row is kept there while its rows are measured (`useHoldBottom`): Virtuoso's own scroll
 *   there goes by estimated heights. The hold starts once Virtuoso shows the list (`onShown`).
 * - Following: new rows at the end scroll into view only when the reader is at the bottom and
 *   they are live arrivals (not a page loaded below a detached window) or the reader's own send.
 * - A jump (`?m=<seq>`, "Jump to latest") gives the feed a new `view.windowId`; the Virtuoso is
 *   remounted for it and starts at the target row (centered and highlighted) or at the newest.
 * - Reading: `stickToBottom` (owned by the conversation view, which marks read from it) is true
 *   only while the newest message is on screen, the window reaches the newest message, and the
 *   read position at open is known (so the "New messages" divider is computed before it moves).
 */
import "~/styles/message-list.css";
import { useSearchParams } from "next/navigation";
import { useTranslations } from "next-intl";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { type Components, Virtuoso, type VirtuosoHandle } from "react-virtuoso";
import { useFormats } from "~/i18n/format";
import type { useConversationFeed } from "~/lib/conversation-feed";
import { placeEphemerals, type TEphemeral } from "~/lib/ephemeral";
import { useRovingFeed } from "~/lib/roving-feed";
import { useHoldBottom, useHoldPlace, useKeepPlaceOnResize } from "~/lib/scroll-place";
import { isInMainList, newMessagesDividerSeq, timelineRows } from "~/lib/timeline";
import { useLatest } from "~/lib/use-latest";
import type { TMessage } from "~/trpc/types";
import type { TMessageActions } from "./message-item";
import { Footer, Header, List, Scroller, type TListContext } from "./message-list-frame";
import { useListPaging } from "./message-list-paging";
import { MessageListRow, type TListItem } from "./message-list-row";

type TFeedView = ReturnType<typeof useConversationFeed>;

type TItem = TListItem;

/** How long a jumped-to message stays highlighted. */
const HIGHLIGHT_MS = 2_500;

const COMPONENTS: Components<TItem, TListContext> = { Scroller, List, Header, Footer };
const NO_EPHEMERALS: readonly TEphemeral[] = [];

/**
 * Now, refreshed at each quarter hour (midnight in any time zone, the user's included, is on one), so
 * "Today" becomes "Yesterday" in a list left open overnight.
 */
function useToday(): Date {
  const [today, setToday] = useState(() => new Date());
  useEffect(() => {
    const timer = setTimeout(() => setToday(new Date()), 900_000 - (today.getTime() % 900_000) + 1_000);
    return () => clearTimeout(timer);
  }, [today]);
  return today;
}

/** `?m=<seq>`: the message a link points at, or null. */
function useLinkedSeq(): number | null {
  const params = useSearchParams();
  const raw = params.get("m");
  if (raw === null || !/^\d{1,12}$/.test(raw)) return null;
  return Number(raw);
}

/** Drops `?m=` from the address without a navigation (so a reload opens at the newest again). */
function forgetLinkedSeq() {
  const url = new URL(window.location.href);
  if (!url.searchParams.has("m")) return;
  url.searchParams.delete("m");
  window.history.replaceState(window.history.state, "", url);
}

export function MessageList({
  feed,
  meId,
  meName,
  names,
  canAct,
  actions,
  onReadBottom,
  stickToBottom,
  readSeq = 0,
  ephemerals = NO_EPHEMERALS,
  onDismissEphemeral,
}: {
  feed: TFeedView;
  meId: string;
  meName: string;
  names: ReadonlyMap<string, string>;
  canAct: boolean;
  actions: TMessageActions;
  /** Called when the newest message is on screen (the reader has seen everything). */
  onReadBottom: () => void;
  /** Kept true while the reader sees the newest message; the owner sets it before a send. */
  stickToBottom: { current: boolean };
  /**
   * The read position now: messages at or below it are not counted as new on the "Jump to latest"
   * button (Escape, or another device, marked them read while the reader was scrolled up).
   */
  readSeq?: number;
  /** Messages only this user sees (slash command answers), shown below the newest message. */
  ephemerals?: readonly TEphemeral[];
  onDismissEphemeral?: (id: string) => void;
}) {
  const virtuoso = useRef<VirtuosoHandle>(null);
  const scroller = useRef<HTMLElement | null>(null);
  const observeRow = useKeepPlaceOnResize(scroller);
  const { hold: holdPlace, check: checkPlace, release: releasePlace } = useHoldPlace(scroller);
  const bottom = useHoldBottom(scroller);
  /** The reader's own scrolling (wheel, touch, keys, the scrollbar) ends both holds. */
  const releaseHolds = () => {
    releasePlace();
    bottom.release();
  };
  const [isAtBottom, setAtBottom] = useState(true);
  /** The newest seq on screen when the reader scrolled up: later ones count as unseen. */
  const [leftAtSeq, setLeftAtSeq] = useState<number | null>(null);
  const [highlightSeq, setHighlightSeq] = useState<number | null>(null);
  const isDetached = feed.hasMoreAfter;
  const isReadKnown = feed.readAtOpen !== undefined;

  const visible = useMemo(() => feed.messages.filter(isInMainList), [feed.messages]);
  const dividerSeq = useMemo(
    () => (meId ? newMessagesDividerSeq(visible, feed.readAtOpen ?? null, meId, feed.hasMoreBefore) : null),
    [visible, feed.readAtOpen, meId, feed.hasMoreBefore],
  );
  const today = useToday();
  const t = useTranslations("MessageList");
  const fmt = useFormats();
  const items = useMemo<TItem[]>(() => {
    const rows = timelineRows(visible, {
      ...{ hasMoreBefore: feed.hasMoreBefore, dividerSeq, now: today },
      ...{ timeZone: fmt.timeZone, label: fmt.day },
    });
    // While older messages exist, the oldest loaded one is context only: whether the next one
    // starts a block or a day depends on it, and showing it would change its own header (so the
    // rows would move) when the page above it arrives.
    // Answers only this user sees go after the message they arrived after (none in a detached window).
    const placed = placeEphemerals(
      feed.hasMoreBefore ? rows.slice(1) : rows,
      (row) => row.message.seq,
      isDetached ? [] : ephemerals,
      feed.hasMoreBefore,
    );
    return [
      ...placed.map(
        (p): TItem =>
          "message" in p
            ? { kind: "message", key: p.message.message.id, row: p.message }
            : { kind: "ephemeral", key: `ephemeral:${p.ephemeral.id}`, ephemeral: p.ephemeral },
      ),
      // Own messages not stored yet belong at the newest end, which a detached window is not.
      ...(isDetached ? [] : feed.pending).map(
        (p): TItem => ({ kind: "pending", key: `pending:${p.clientMsgId}`, pending: p }),
      ),
    ];
  }, [visible, feed.hasMoreBefore, dividerSeq, feed.pending, isDetached, today, ephemerals, fmt]);

  // The feed's one tab stop and its keys (lib/roving-feed.ts); ↑ at the top loads older messages.
  const rowKeys = useMemo(() => items.map((it) => it.key), [items]);
  const roving = useRovingFeed(rowKeys, {
    onTop: () => {
      if (feed.hasMoreBefore) void feed.loadOlder();
    },
  });

  // Read by Virtuoso's callbacks, which must see this render's rows.
  const itemsRef = useLatest(items);
  const liveAfterRef = useLatest(feed.liveAfterSeq);
  const detachedRef = useLatest(isDetached);
  const followedPending = useRef<string | null>(null);
  const onReadBottomRef = useLatest(onReadBottom);
  const isAtBottomRef = useRef(true);
  // A fresh window (a new Virtuoso, keyed by it) reports its bottom state only once it changes:
  // until then it is at the newest row exactly when it opened there. Set in render, before the new
  // Virtuoso's effects can report.
  const bottomWindow = useRef(feed.view.windowId);
  if (bottomWindow.current !== feed.view.windowId) {
    bottomWindow.current = feed.view.windowId;
    isAtBottomRef.current = feed.view.targetSeq === null;
  }

  // Which index the first row has, and loading pages at the edges (message-list-paging.ts).
  const paging = useListPaging({
    feed,
    items,
    visibleCount: visible.length,
    scroller,
    isAtBottomRef,
    isHoldingBottom: bottom.isHeld,
    // Rows prepended while a window that opened at the newest row is held there keep it there.
    onPrepend: () => {
      if (!bottom.isHeld()) holdPlace();
    },
  });

  // A window that opens at the newest row stays there while Virtuoso measures its rows.
  const opensAtNewest = feed.isLoaded && feed.view.targetSeq === null;
  const { hold: holdBottom, release: releaseBottom } = bottom;
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per fresh window (windowId)
  useLayoutEffect(() => {
    if (opensAtNewest) holdBottom();
    else releaseBottom();
  }, [feed.view.windowId, opensAtNewest, holdBottom, releaseBottom]);

  // Where a fresh window starts: the linked message (centered) or the newest row.
  // biome-ignore lint/correctness/useExhaustiveDependencies: Virtuoso reads it once per window, at mount
  const initialTopMostItemIndex = useMemo(() => {
    const target = feed.view.targetSeq;
    if (target === null) return { index: "LAST" as const, align: "end" as const };
    const i = items.findIndex((it) => it.kind === "message" && it.row.message.seq >= target);
    return i < 0 ? { index: "LAST" as const, align: "end" as const } : { index: i, align: "center" as const };
  }, [feed.view]);

  // Highlight the message a jump went to, briefly.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per jump, not on every row change
  useEffect(() => {
    const target = feed.view.targetSeq;
    if (target === null) return;
    const hit = visible.find((m) => m.seq >= target);
    if (!hit) return;
    setHighlightSeq(hit.seq);
    const timer = setTimeout(() => setHighlightSeq(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [feed.view]);

  // `?m=<seq>` opens (or moves) the conversation at that message.
  const linkedSeq = useLinkedSeq();
  const jumpToRef = useLatest(feed.jumpTo);
  useLayoutEffect(() => {
    if (linkedSeq !== null) void jumpToRef.current(linkedSeq);
  }, [linkedSeq]);

  /** The reader sees the newest message: tell the owner, which marks it read. */
  const syncReading = useCallback(() => {
    const isReading = isAtBottomRef.current && !detachedRef.current && isReadKnown;
    const wasReading = stickToBottom.current;
    stickToBottom.current = isReading;
    if (isReading && !wasReading && document.visibilityState === "visible") onReadBottomRef.current();
  }, [isReadKnown, stickToBottom]);

  // Before the owner's effects run (they read stickToBottom to mark new arrivals read).
  useLayoutEffect(() => {
    syncReading();
  });

  const onAtBottom = useCallback(
    (atBottom: boolean) => {
      isAtBottomRef.current = atBottom;
      setAtBottom(atBottom);
      const rows = itemsRef.current;
      let newest: number | null = null;
      for (let i = rows.length - 1; i >= 0 && newest === null; i--) {
        const it = rows[i];
        if (it?.kind === "message") newest = it.row.message.seq;
      }
      setLeftAtSeq(atBottom ? null : newest);
      syncReading();
      // Leaving the bottom may come after Virtuoso's `startReached`/`rangeChanged` for the same
      // scroll, which were refused while the list still believed the reader sat at the newest row
      // (no prefetch there): look at the edges again, or a reader who scrolled straight to the top
      // is left at "Load older messages" (a CI run under load: no page ever loaded).
      if (!atBottom) paging.recheck();
    },
    [syncReading, paging.recheck],
  );

  const followOutput = useCallback((atBottom: boolean) => {
    if (detachedRef.current) return false;
    const last = itemsRef.current.at(-1);
    if (!last) return false;
    if (last.kind === "pending" || last.kind === "ephemeral") {
      // The reader's own new message, or the answer to their command: always show it (once; later
      // renders keep the usual rule).
      if (followedPending.current !== last.key) {
        followedPending.current = last.key;
        return "auto";
      }
      return atBottom ? "auto" : false;
    }
    // Rows a page load put below the window are not arrivals: never scroll over them.
    return atBottom && last.row.message.seq > liveAfterRef.current ? "auto" : false;
  }, []);

  // Sending while reading an older window: go to the newest, where the message will show.
  const newestPending = feed.pending.at(-1)?.clientMsgId;
  const jumpToLatest = feed.jumpToLatest;
  const pendingSeen = useRef(newestPending);
  useEffect(() => {
    if (newestPending === pendingSeen.current) return;
    pendingSeen.current = newestPending;
    if (newestPending && isDetached) {
      forgetLinkedSeq();
      void jumpToLatest();
    }
  }, [newestPending, isDetached, jumpToLatest]);

  const context = useMemo<TListContext>(
    () => ({
      hasMoreBefore: feed.hasMoreBefore,
      isLoadingOlder: feed.isLoadingOlder,
      loadOlder: () => void feed.loadOlder(),
      hasMoreAfter: feed.hasMoreAfter,
      isLoadingNewer: feed.isLoadingNewer,
      loadNewer: () => void feed.loadNewer(),
      isEmpty: items.length === 0,
      onShown: bottom.placed,
    }),
    [
      feed.hasMoreBefore,
      feed.isLoadingOlder,
      feed.loadOlder,
      feed.hasMoreAfter,
      feed.isLoadingNewer,
      feed.loadNewer,
      items.length,
      bottom.placed,
    ],
  );

  const unseen = useMemo(() => {
    const isNew = (m: TMessage) => m.seq > readSeq && m.senderId !== meId && isInMainList(m);
    if (isDetached) return feed.buffered.filter(isNew).length;
    if (leftAtSeq === null) return 0;
    return visible.filter((m) => m.seq > leftAtSeq && isNew(m)).length;
  }, [isDetached, feed.buffered, leftAtSeq, visible, meId, readSeq]);

  function goToLatest() {
    forgetLinkedSeq();
    if (isDetached) {
      void feed.jumpToLatest();
    } else {
      virtuoso.current?.scrollToIndex({ index: "LAST", align: "end", behavior: "auto" });
    }
  }

  const renderItem = (_index: number, item: TItem) => (
    <MessageListRow
      item={item}
      tabIndex={roving.tabIndexOf(item.key)}
      isHighlighted={item.kind === "message" && item.row.message.seq === highlightSeq}
      observeRow={observeRow}
      meId={meId}
      meName={meName}
      names={names}
      canAct={canAct}
      actions={actions}
      onRetry={feed.retry}
      onDismissEphemeral={onDismissEphemeral}
    />
  );

  // Virtuoso also pins a reader at the bottom when the list grows while any follow function is
  // set: below a detached window, or below rows a page just put there, nothing must pin.
  const lastItem = items.at(-1);
  const isFollowing =
    !isDetached &&
    (lastItem?.kind === "pending" ||
      lastItem?.kind === "ephemeral" ||
      (lastItem?.kind === "message" && lastItem.row.message.seq > feed.liveAfterSeq));
  const isEmpty = feed.isLoaded && items.length === 0 && !feed.hasMoreBefore && !feed.hasMoreAfter;
  const showJump = feed.isLoaded && (isDetached || !isAtBottom);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: listens (the reader's own scrolling wins over useHoldPlace) and moves focus between the feed's articles
    <div
      className="message-list"
      onWheel={releaseHolds}
      onTouchStart={releaseHolds}
      onKeyDown={(e) => {
        releaseHolds();
        roving.onKeyDown(e);
      }}
      onFocus={roving.onFocus}
      onMouseDown={releaseHolds}
    >
      {!feed.isLoaded || isEmpty ? (
        // The skip link's target while there is no list yet (message-list-frame.tsx's Scroller after).
        <div
          id="message-history"
          className="history ml-placeholder"
          role="log"
          aria-label={t("history")}
          tabIndex={-1}
        >
          {feed.loadError ? (
            <p role="alert" className="error">
              {feed.loadError}
            </p>
          ) : isEmpty ? (
            <p className="muted">{t("empty")}</p>
          ) : (
            <p className="ml-loading" role="status">
              <span className="ml-spinner" aria-hidden="true" /> {t("loading")}
            </p>
          )}
        </div>
      ) : (
        <Virtuoso<TItem, TListContext>
          key={feed.view.windowId}
          ref={virtuoso}
          className="ml-virtuoso"
          data={items}
          context={context}
          firstItemIndex={paging.firstItemIndex}
          initialTopMostItemIndex={initialTopMostItemIndex}
          computeItemKey={(_index, item) => item.key}
          itemContent={renderItem}
          components={COMPONENTS}
          alignToBottom
          followOutput={isFollowing ? followOutput : false}
          atBottomStateChange={onAtBottom}
          totalListHeightChanged={() => {
            checkPlace();
            bottom.check();
            paging.recheck();
          }}
          atBottomThreshold={48}
          increaseViewportBy={{ top: 400, bottom: 400 }}
          scrollerRef={(el) => {
            scroller.current = el instanceof HTMLElement ? el : null;
          }}
          rangeChanged={paging.rangeChanged}
          startReached={paging.startReached}
          endReached={paging.endReached}
        />
      )}
      {feed.isLoaded && feed.loadError ? (
        <p role="alert" className="error ml-error">
          {feed.loadError}
        </p>
      ) : null}
      {showJump ? (
        <button
          type="button"
          className="ml-jump"
          onClick={goToLatest}
          disabled={feed.isJumping}
          aria-label={unseen > 0 ? t("jumpLabelUnseen", { count: unseen }) : t("jumpLabel")}
        >
          <span aria-hidden="true">↓</span>{" "}
          {feed.isJumping ? t("jumping") : unseen > 0 ? t("unseen", { count: unseen }) : t("jump")}
        </button>
      ) : null}
    </div>
  );
}
