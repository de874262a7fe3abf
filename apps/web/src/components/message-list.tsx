"use client";

import { useLayoutEffect, useRef } from "react";
import type { useConversationFeed } from "~/lib/chat-data";
import { isContinuation } from "~/lib/timeline";
import { MessageItem, PendingItem, type TMessageActions } from "./message-item";

type TFeedView = ReturnType<typeof useConversationFeed>;

/**
 * The history of one conversation, newest at the bottom: pinned to the newest message unless the
 * reader scrolled up; loading older messages keeps the message being read in place.
 */
export function MessageList({
  feed,
  meId,
  meName,
  names,
  canAct,
  actions,
  onReadBottom,
  stickToBottom,
}: {
  feed: TFeedView;
  meId: string;
  meName: string;
  names: ReadonlyMap<string, string>;
  canAct: boolean;
  actions: TMessageActions;
  /** Called when the newest message is on screen (the reader has seen everything). */
  onReadBottom: () => void;
  /** Set to true by the owner to scroll to the newest message on the next render (after a send). */
  stickToBottom: { current: boolean };
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const restore = useRef<{ height: number; top: number } | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run whenever the rendered rows change
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (restore.current) {
      el.scrollTop = el.scrollHeight - restore.current.height + restore.current.top;
      restore.current = null;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [feed.messages, feed.pending]);

  async function loadOlder() {
    const el = scroller.current;
    if (el) restore.current = { height: el.scrollHeight, top: el.scrollTop };
    await feed.loadOlder();
  }

  return (
    <div
      className="history"
      ref={scroller}
      role="log"
      aria-label="Message history"
      onScroll={(e) => {
        const el = e.currentTarget;
        stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        if (stickToBottom.current) onReadBottom();
      }}
    >
      {feed.hasMoreBefore ? (
        <div className="load-older">
          <button type="button" onClick={() => void loadOlder()} disabled={feed.isLoadingOlder}>
            {feed.isLoadingOlder ? "Loading…" : "Load older messages"}
          </button>
        </div>
      ) : null}
      {feed.isLoaded && feed.messages.length === 0 && feed.pending.length === 0 ? (
        <p className="muted" style={{ padding: "0 1.25rem" }}>
          No messages yet. Say hello!
        </p>
      ) : null}
      {!feed.isLoaded && !feed.loadError ? (
        <p className="muted" style={{ padding: "0 1.25rem" }}>
          Loading messages…
        </p>
      ) : null}
      {feed.loadError ? (
        <p role="alert" className="error" style={{ padding: "0 1.25rem" }}>
          {feed.loadError}
        </p>
      ) : null}
      <ol aria-label="Messages">
        {feed.messages.map((m, i) => (
          <MessageItem
            key={m.id}
            m={m}
            isGrouped={isContinuation(feed.messages[i - 1], m)}
            meId={meId}
            names={names}
            canAct={canAct}
            actions={actions}
          />
        ))}
        {feed.pending.map((p) => (
          <PendingItem
            key={p.clientMsgId}
            p={p}
            senderName={meName}
            names={names}
            meId={meId}
            onRetry={() => feed.retry(p.clientMsgId)}
          />
        ))}
      </ol>
    </div>
  );
}
