"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type KeyboardEvent, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import {
  QUICK_REACTIONS,
  SAFETY_REFETCH_MS,
  type TPendingMessage,
  useConversationFeed,
  useMarkRead,
  useMessageActions,
  useSendTyping,
  useTyping,
} from "~/lib/chat-data";
import { isContinuation, typingText } from "~/lib/timeline";
import { useTRPC } from "~/trpc/react";
import type { TMessage } from "~/trpc/types";
import { MessageBody } from "./message-body";

function formatTime(value: Date | string): string {
  const d = new Date(value);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

type TMessageActions = ReturnType<typeof useMessageActions>;

/** Who reacted, for a chip's tooltip: names of members, "You" for the reader. */
function reactorNames(userIds: readonly string[], meId: string, names: ReadonlyMap<string, string>): string {
  return userIds.map((id) => (id === meId ? "You" : (names.get(id) ?? "Someone"))).join(", ");
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : "Something went wrong";
}

/** Inline editor: Enter saves, Shift+Enter is a newline, Escape cancels. */
function EditBox({
  initial,
  onSave,
  onCancel,
}: {
  initial: string;
  onSave: (body: string) => Promise<unknown>;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  const [isSaving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save() {
    const body = text.trim();
    if (!body || isSaving) return;
    if (body === initial.trim()) return onCancel();
    setSaving(true);
    try {
      await onSave(body);
      onCancel();
    } catch (err) {
      setError(errorText(err));
      setSaving(false);
    }
  }

  return (
    <div className="edit-box">
      <textarea
        aria-label="Edit message"
        // biome-ignore lint/a11y/noAutofocus: the user just asked to edit this message
        autoFocus
        rows={2}
        value={text}
        disabled={isSaving}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            onCancel();
          } else if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <div className="hint">
        Enter to save · Escape to cancel{" "}
        <button type="button" className="link" onClick={() => void save()} disabled={isSaving}>
          Save
        </button>{" "}
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function MessageItem({
  m,
  isGrouped,
  meId,
  names,
  canAct,
  actions,
}: {
  m: TMessage;
  isGrouped: boolean;
  meId: string;
  names: ReadonlyMap<string, string>;
  /** A member of a conversation that is not archived: may react (and edit/delete own messages). */
  canAct: boolean;
  actions: TMessageActions;
}) {
  const [mode, setMode] = useState<"view" | "edit" | "confirm-delete">("view");
  const [error, setError] = useState<string | null>(null);
  const isMine = m.senderId === meId;
  const isLive = !m.deletedAt;
  const run = (p: Promise<unknown>) => {
    setError(null);
    p.catch((err: unknown) => setError(errorText(err)));
  };
  const mine = new Set(m.reactions.filter((r) => r.userIds.includes(meId)).map((r) => r.emoji));

  return (
    <li className={isGrouped ? "msg grouped" : "msg"} data-seq={m.seq} data-client-msg-id={m.clientMsgId}>
      <div className={isGrouped ? "meta visually-hidden" : "meta"}>
        <span className="sender">{m.senderName}</span>
        <time dateTime={new Date(m.createdAt).toISOString()}>{formatTime(m.createdAt)}</time>
      </div>
      {mode === "edit" && isLive ? (
        <EditBox
          initial={m.body}
          onSave={(body) => actions.edit(m.id, body)}
          onCancel={() => setMode("view")}
        />
      ) : (
        <div className="body">
          {m.deletedAt ? <em className="muted">This message was deleted.</em> : <MessageBody text={m.body} />}
          {m.editedAt && isLive ? <span className="edited"> (edited)</span> : null}
        </div>
      )}
      {isLive && m.reactions.length > 0 ? (
        <ul className="reactions" aria-label="Reactions">
          {m.reactions.map((r) => (
            <li key={r.emoji}>
              <button
                type="button"
                className="chip"
                aria-pressed={mine.has(r.emoji)}
                aria-label={`${r.emoji} ${r.count}`}
                title={reactorNames(r.userIds, meId, names)}
                disabled={!canAct}
                onClick={() => run(actions.toggleReaction(m.id, r.emoji, mine.has(r.emoji)))}
              >
                <span aria-hidden="true">{r.emoji}</span> <span aria-hidden="true">{r.count}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {isLive && canAct && mode !== "edit" ? (
        <div className="msg-actions">
          {mode === "confirm-delete" ? (
            <span>
              Delete this message?{" "}
              <button type="button" className="danger" onClick={() => run(actions.remove(m.id))}>
                Delete
              </button>{" "}
              <button type="button" onClick={() => setMode("view")}>
                Cancel
              </button>
            </span>
          ) : (
            <>
              {QUICK_REACTIONS.map((emoji) => (
                <button
                  key={emoji}
                  type="button"
                  className="quiet"
                  aria-label={`Add reaction ${emoji}`}
                  title={`React with ${emoji}`}
                  disabled={mine.has(emoji)}
                  onClick={() => run(actions.toggleReaction(m.id, emoji, false))}
                >
                  {emoji}
                </button>
              ))}
              {isMine ? (
                <>
                  <button type="button" className="quiet" onClick={() => setMode("edit")}>
                    Edit<span className="visually-hidden"> message</span>
                  </button>
                  <button type="button" className="quiet" onClick={() => setMode("confirm-delete")}>
                    Delete<span className="visually-hidden"> message</span>
                  </button>
                </>
              ) : null}
            </>
          )}
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
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
      <div className="body">
        <MessageBody text={p.body} />
      </div>
    </li>
  );
}

function Composer({
  label,
  onSend,
  onTyping,
  isDisabled,
}: {
  label: string;
  onSend: (body: string) => boolean;
  /** Called on every edit that leaves text in the box. */
  onTyping: () => void;
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
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim()) onTyping();
          }}
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

/** A live region that is always mounted, so screen readers announce changes to it. */
function TypingIndicator({
  userIds,
  names,
}: {
  userIds: readonly string[];
  names: ReadonlyMap<string, string>;
}) {
  const text = typingText(userIds.map((id) => names.get(id) ?? "Someone"));
  return (
    <div className="typing" role="status" aria-live="polite" aria-label="Typing">
      {text}
    </div>
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
  const actions = useMessageActions();
  const names = useMemo(
    () => new Map((members.data ?? []).map((member) => [member.userId, member.name])),
    [members.data],
  );
  const typing = useTyping(conversationId);
  const sendTyping = useSendTyping(conversationId);
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
            <MessageItem
              key={m.id}
              m={m}
              isGrouped={isContinuation(feed.messages[i - 1], m)}
              meId={me.data?.id ?? ""}
              names={names}
              canAct={isMember && !isArchived && Boolean(me.data)}
              actions={actions}
            />
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
      <TypingIndicator userIds={typing} names={names} />
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
          onTyping={sendTyping}
          onSend={(body) => {
            isAtBottom.current = true;
            return feed.send(body);
          }}
        />
      ) : null}
    </>
  );
}
