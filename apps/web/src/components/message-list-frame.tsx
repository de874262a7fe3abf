"use client";

/**
 * The frame react-virtuoso draws the message list in: the scrolling log, the list element and the
 * header/footer rows ("Load older messages", the start of the conversation).
 */
import { useTranslations } from "next-intl";
import { type ComponentPropsWithoutRef, forwardRef, useLayoutEffect } from "react";

/** What the header and footer rows show (passed as Virtuoso's context so the components stay stable). */
export type TListContext = {
  hasMoreBefore: boolean;
  isLoadingOlder: boolean;
  loadOlder: () => void;
  hasMoreAfter: boolean;
  isLoadingNewer: boolean;
  loadNewer: () => void;
  isEmpty: boolean;
  /** Virtuoso shows the list: its first scroll (to the opening row) has settled. */
  onShown: () => void;
};

export const Scroller = forwardRef<HTMLDivElement, ComponentPropsWithoutRef<"div">>(
  function Scroller(props, ref) {
    const t = useTranslations("MessageList");
    // A focusable log so keyboard users can scroll it (and the skip link can land on it); named as
    // the e2e suite finds it. Not live: new messages are announced, throttled, by ArrivalAnnouncer.
    return (
      <div
        {...props}
        ref={ref}
        id="message-history"
        className="history"
        role="log"
        aria-live="off"
        aria-label={t("history")}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        tabIndex={0}
      />
    );
  },
);

/**
 * The WAI-ARIA feed: each message is an <article> (lib/roving-feed.ts moves focus between them).
 * Virtuoso's own wrapper divs between the feed and its articles carry no role, so they do not count.
 * Virtuoso styles it `visibility: hidden` until its first scroll has settled (react-virtuoso 4.18's
 * `initialItemFinalLocationReached`, not offered as a callback): its going is `onShown`.
 */
export const List = forwardRef<HTMLDivElement, ComponentPropsWithoutRef<"div"> & { context?: TListContext }>(
  function List({ context, ...props }, ref) {
    const t = useTranslations("MessageList");
    const isBusy = Boolean(context?.isLoadingOlder || context?.isLoadingNewer);
    const isShown = props.style?.visibility !== "hidden";
    const onShown = context?.onShown;
    useLayoutEffect(() => {
      if (isShown) onShown?.();
    }, [isShown, onShown]);
    return <div {...props} ref={ref} role="feed" aria-label={t("messages")} aria-busy={isBusy} />;
  },
);

/** The loading row or "Load … messages" button at one end of a window that does not reach it. */
function PageEdge({
  which,
  isLoading,
  onLoad,
}: {
  which: "older" | "newer";
  isLoading: boolean;
  onLoad: () => void;
}) {
  const t = useTranslations("MessageList");
  return (
    <div className="ml-edge">
      {isLoading ? (
        <span className="ml-loading" role="status">
          <span className="ml-spinner" aria-hidden="true" />{" "}
          {t(which === "older" ? "loadingOlder" : "loadingNewer")}
        </span>
      ) : (
        <button type="button" className="quiet" onClick={onLoad}>
          {t(which === "older" ? "loadOlder" : "loadNewer")}
        </button>
      )}
    </div>
  );
}

export function Header({ context }: { context?: TListContext }) {
  const t = useTranslations("MessageList");
  if (!context) return null;
  if (context.hasMoreBefore) {
    return <PageEdge which="older" isLoading={context.isLoadingOlder} onLoad={context.loadOlder} />;
  }
  return context.isEmpty ? null : <p className="ml-start muted">{t("beginning")}</p>;
}

export function Footer({ context }: { context?: TListContext }) {
  if (!context?.hasMoreAfter) return <div className="ml-bottom-space" />;
  return <PageEdge which="newer" isLoading={context.isLoadingNewer} onLoad={context.loadNewer} />;
}
