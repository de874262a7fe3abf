"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from "react";
import { SAFETY_REFETCH_MS, type TPendingMessage, useConversationFeed, useMarkRead } from "~/lib/chat-data";
import { isContinuation } from "~/lib/timeline";
import { useTRPC } from "~/trpc/react";
import type { TMessage } from "~/trpc/types";

function formatTime(value: Date | string): string {
  const d = new Date(value);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

function MessageItem({ m, isGrouped }: { m: TMessage; isGrouped: boolean }) {
  return (
    <li className={isGrouped ? "msg grouped" : "msg"} data-seq={m.seq} data-client-msg-id={m.clientMsgId}>
      <div className={isGrouped ? "meta visually-hidden" : "meta"}>
        <span className="sender">{m.senderName}</span>
        <time dateTime={new Date(m.createdAt).toISOString()}>{formatTime(m.createdAt)}</time>
        {m.editedAt && !m.deletedAt ? <span className="edited">(edited)</span> : null}
      </div>
      <div className="body">
        {m.deletedAt ? <em className="muted">This message was deleted.</em> : m.body}
      </div>
    </li>
  );
}

function PendingItem({
  p,
  senderName,
  onRetry,
}: {
  p: TPendingMessage;
  senderName: string;
  onRetry: () => void;
}) {
  return (
    <li
      className={`msg pending ${p.status}`}
      aria-busy={p.status === "sending"}
      data-status={p.status}
      data-client-msg-id={p.clientMsgId}
    >
      <div className="meta">
        <span className="sender">{senderName}</span>
        {p.status === "sending" ? (
          <span className="state">Sending…</span>
        ) : p.status === "sent" ? null : (
          <span className="state" role="alert">
            Not sent{p.error ? `: ${p.error}` : ""}.{" "}
            <button type="button" className="link" onClick={onRetry}>
              Retry
            </button>
          </span>
        )}
      </div>
      <div className="body">{p.body}</div>
    </li>
  );
}

function Composer({
  label,
  onSend,
  isDisabled,
}: {
  label: string;
  onSend: (body: string) => boolean;
  isDisabled: boolean;
}) {
  const [text, setText] = useState("");
  const ref = useRef<HTMLTextAreaElement>(null);

  function submit() {
    const body = text.trim();
    if (!body || !onSend(body)) return;
    setText("");
    ref.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter is a newline; never send mid IME composition.
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor="composer" className="visually-hidden">
        {label}
      </label>
      <div className="row" style={{ alignItems: "flex-end" }}>
        <textarea
          id="composer"
          ref={ref}
          rows={2}
          value={text}
          placeholder={label}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          style={{ flex: 1 }}
        />
        <button type="submit" className="primary" disabled={isDisabled || !text.trim()}>
          Send
        </button>
      </div>
      <div className="hint">Enter to send · Shift+Enter for a new line</div>
    </form>
  );
}

/** One conversation: header, history (newest at the bottom), composer. */
export function ConversationView({ conversationId }: { conversationId: string }) {
  const trpc = useTRPC();
  const conv = useQuery(
    trpc.conversations.get.queryOptions({ conversationId }, { refetchInterval: SAFETY_REFETCH_MS }),
  );
  const members = useQuery(
    trpc.conversations.members.queryOptions({ conversationId }, { staleTime: 30_000 }),
  );
  const me = useQuery(trpc.users.me.queryOptions());
  const feed = useConversationFeed(conversationId);
  const queryClient = useQueryClient();
  const join = useMutation(
    trpc.conversations.join.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.conversations.pathFilter()),
    }),
  );
  const isMember = conv.data?.isMember ?? false;
  const markRead = useMarkRead(conversationId);
  const scroller = useRef<HTMLDivElement>(null);
  const isAtBottom = useRef(true);
  const restore = useRef<{ height: number; top: number } | null>(null);

  // Keep the view pinned to the newest message unless the reader scrolled up; after loading
  // older messages keep the message they were looking at in place.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run whenever the rendered rows change
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (restore.current) {
      el.scrollTop = el.scrollHeight - restore.current.height + restore.current.top;
      restore.current = null;
    } else if (isAtBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [feed.messages, feed.pending]);

  // Reading = the tab is visible and the newest message is on screen.
  useEffect(() => {
    const mark = () => {
      if (isMember && document.visibilityState === "visible" && isAtBottom.current && feed.newestSeq > 0) {
        void markRead(feed.newestSeq);
      }
    };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => document.removeEventListener("visibilitychange", mark);
  }, [feed.newestSeq, markRead, isMember]);

  async function loadOlder() {
    const el = scroller.current;
    if (el) restore.current = { height: el.scrollHeight, top: el.scrollTop };
    await feed.loadOlder();
  }

  if (conv.error) {
    return (
      <div className="page">
        <h1>Conversation unavailable</h1>
        <p role="alert">{conv.error.message}</p>
      </div>
    );
  }

  const c = conv.data;
  const isChannel = c ? c.kind === "public_channel" || c.kind === "private_channel" : true;
  const title = c ? (isChannel ? `# ${c.name ?? ""}` : (c.name ?? "Direct message")) : "";
  const isArchived = Boolean(c?.archivedAt);

  return (
    <>
      <header className="conv-header">
        <h1>{title}</h1>
        {members.data ? (
          <span className="muted">
            {members.data.length} {members.data.length === 1 ? "member" : "members"}
          </span>
        ) : null}
        <span className="topic">{c?.topic}</span>
        {c && isChannel ? (
          <Link href={`/app/c/${conversationId}/details`} aria-label="Channel details">
            Details
          </Link>
        ) : null}
      </header>
      <div
        className="history"
        ref={scroller}
        role="log"
        aria-label="Message history"
        onScroll={(e) => {
          const el = e.currentTarget;
          isAtBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          if (isMember && isAtBottom.current && feed.newestSeq > 0) void markRead(feed.newestSeq);
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
            <MessageItem key={m.id} m={m} isGrouped={isContinuation(feed.messages[i - 1], m)} />
          ))}
          {feed.pending.map((p) => (
            <PendingItem
              key={p.clientMsgId}
              p={p}
              senderName={me.data?.name ?? "You"}
              onRetry={() => feed.retry(p.clientMsgId)}
            />
          ))}
        </ol>
      </div>
      {isArchived ? (
        <p className="notice" role="status">
          This channel is archived. Its history is read-only.
        </p>
      ) : c && !isMember ? (
        <div className="notice row" style={{ alignItems: "center", justifyContent: "space-between" }}>
          <span>You are reading {title} as a guest. Join to post.</span>
          <button
            type="button"
            className="primary"
            disabled={join.isPending}
            onClick={() => join.mutate({ conversationId })}
          >
            Join channel
          </button>
        </div>
      ) : c ? (
        <Composer
          label={`Message ${title}`}
          isDisabled={!feed.canSend}
          onSend={(body) => {
            isAtBottom.current = true;
            return feed.send(body);
          }}
        />
      ) : null}
    </>
  );
}
