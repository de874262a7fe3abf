"use client";

import { useSearchParams } from "next/navigation";
import { useTranslations } from "next-intl";
import { useEffect, useMemo, useRef, useState } from "react";
import { useErrorText } from "~/i18n/server-errors";
import type { useMessageActions } from "~/lib/chat-data";
import { dismissEphemeral, useEphemerals } from "~/lib/ephemeral";
import { mentionables } from "~/lib/mentions";
import { useRovingFeed } from "~/lib/roving-feed";
import { useThread, useThreadReplies } from "~/lib/thread-data";
import { isContinuation } from "~/lib/timeline";
import { useReturnFocus } from "~/lib/use-return-focus";
import type { TMessage } from "~/trpc/types";
import { Composer, lastOwnMessage } from "./composer";
import { EphemeralItem } from "./ephemeral-item";
import { MessageContext, MessageItem, PendingItem, type TMessageContext } from "./message-item";
import type { TRowReceipts } from "./read-receipt";

/** The reply box: the full composer (mentions, emoji, files, drafts per thread) plus "Also send to channel". */
function ReplyComposer({
  conversationId,
  rootId,
  meId,
  names,
  replies,
  actions,
  isDisabled,
  onSend,
}: {
  conversationId: string;
  rootId: string;
  meId: string;
  names: ReadonlyMap<string, string>;
  replies: readonly TMessage[];
  actions: ReturnType<typeof useMessageActions>;
  isDisabled: boolean;
  onSend: (body: string, alsoInChannel: boolean, attachmentIds: string[]) => boolean;
}) {
  const t = useTranslations("Thread");
  const [alsoInChannel, setAlsoInChannel] = useState(false);
  const members = useMemo(() => mentionables(names), [names]);
  return (
    <div className="thread-composer">
      <Composer
        label={t("replyLabel")}
        autoFocus
        placeholder={t("replyPlaceholder")}
        submitLabel={t("reply")}
        conversationId={conversationId}
        draftKey={`thread:${rootId}`}
        meId={meId}
        members={members}
        lastOwnMessage={lastOwnMessage(replies, meId)}
        onEdit={actions.edit}
        isDisabled={isDisabled}
        onTyping={() => undefined}
        onSend={(body, attachmentIds) => {
          if (!onSend(body, alsoInChannel, attachmentIds)) return false;
          setAlsoInChannel(false);
          return true;
        }}
        footer={
          <label className="check also-in-channel">
            <input
              type="checkbox"
              checked={alsoInChannel}
              onChange={(e) => setAlsoInChannel(e.target.checked)}
            />
            {t("alsoInChannel")}
          </label>
        }
      />
    </div>
  );
}

/** The open thread (role complementary, "Thread"): root, replies live, and a reply box. */
export function ThreadPanel({
  conversationId,
  rootId,
  conversationTitle,
  meId,
  meName,
  names,
  canAct,
  canDeleteAny,
  actions,
  onClose,
  onSeen,
  receipts,
}: {
  conversationId: string;
  rootId: string;
  conversationTitle: string;
  meId: string;
  meName: string;
  names: ReadonlyMap<string, string>;
  canAct: boolean;
  canDeleteAny: boolean;
  actions: ReturnType<typeof useMessageActions>;
  onClose: () => void;
  /** Called with the newest reply's seq while the tab is visible (thread replies count as read once seen). */
  onSeen: (seq: number) => void;
  /**
   * The conversation's read receipts, the same state as the channel view's: a reply is one seq of
   * the conversation's log, so its tick comes from the same read and delivery cursors.
   */
  receipts?: TRowReceipts | undefined;
}) {
  const t = useTranslations("Thread");
  const errorText = useErrorText();
  const thread = useThread(rootId);
  const replies = thread.data?.replies ?? EMPTY;
  const outbox = useThreadReplies(conversationId, rootId, replies);
  const allEphemerals = useEphemerals(conversationId);
  const ephemerals = useMemo(
    () => allEphemerals.filter((e) => e.threadRootId === rootId),
    [allEphemerals, rootId],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const ctx = useMemo<TMessageContext>(
    () => ({ conversationId, canDeleteAny, ...(receipts ? { receipts } : {}) }),
    [conversationId, canDeleteAny, receipts],
  );
  const root = thread.data?.root;
  const isWrongConversation = root !== undefined && root.conversationId !== conversationId;
  // Closing the panel puts focus back on what opened it (a row's "Reply in thread", a summary).
  useReturnFocus();
  const rowKeys = useMemo(
    () => [
      ...(root ? [root.id] : []),
      ...replies.map((m) => m.id),
      ...outbox.pending.map((p) => `pending:${p.clientMsgId}`),
      ...ephemerals.map((e) => `ephemeral:${e.id}`),
    ],
    [root, replies, outbox.pending, ephemerals],
  );
  const roving = useRovingFeed(rowKeys);

  const newestReply = replies.at(-1)?.seq ?? 0;
  useEffect(() => {
    const seen = () => {
      if (newestReply > 0 && document.visibilityState === "visible") onSeen(newestReply);
    };
    seen();
    document.addEventListener("visibilitychange", seen);
    return () => document.removeEventListener("visibilitychange", seen);
  }, [newestReply, onSeen]);

  // New replies scroll into view (a thread is short; keep the newest visible).
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run when the rows change
  useEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [newestReply, outbox.pending.length, ephemerals.length]);

  // `?reply=<seq>` (a search result): that reply is scrolled to and highlighted, once it is loaded.
  const linkedReply = useSearchParams().get("reply");
  const highlighted = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run when the rows change
  useEffect(() => {
    if (!linkedReply || highlighted.current === linkedReply || !/^\d{1,12}$/.test(linkedReply)) return;
    const row = scroller.current?.querySelector<HTMLElement>(`article.msg[data-seq="${linkedReply}"]`);
    if (!row) return;
    highlighted.current = linkedReply;
    row.scrollIntoView({ block: "center" });
    // An attribute React does not manage, so a re-render of the row keeps it.
    row.setAttribute("data-highlight", "");
    // Not cleared on a re-render (the rows change as replies arrive); harmless on a removed row.
    setTimeout(() => row.removeAttribute("data-highlight"), 2_500);
  }, [linkedReply, replies]);

  return (
    <aside
      className="side-panel"
      aria-label={t("heading")}
      onKeyDown={(e) => {
        if (e.key === "Escape" && !e.defaultPrevented && !isTypingInto(e.target)) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <header className="panel-header">
        <div>
          <h2>{t("heading")}</h2>
          <span className="muted">{conversationTitle}</span>
        </div>
        <button type="button" className="quiet icon close" aria-label={t("close")} onClick={onClose}>
          ✕
        </button>
      </header>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: moves focus between the rows (lib/roving-feed.ts) */}
      <div className="panel-body" ref={scroller} onKeyDown={roving.onKeyDown} onFocus={roving.onFocus}>
        {thread.error || isWrongConversation ? (
          <p role="alert" className="error panel-note">
            {errorText(thread.error, t("wrongConversation"))}
          </p>
        ) : !root ? (
          <p className="muted panel-note">{t("loading")}</p>
        ) : (
          <MessageContext.Provider value={ctx}>
            <div className="thread-root">
              <MessageItem
                article={{ tabIndex: roving.tabIndexOf(root.id) }}
                m={root}
                isGrouped={false}
                meId={meId}
                names={names}
                canAct={canAct}
                actions={actions}
              />
            </div>
            <div className="thread-divider" role="presentation">
              <span>{t("replies", { count: root.replyCount })}</span>
            </div>
            {thread.data?.hasMoreBefore ? (
              <div className="load-older">
                <button
                  type="button"
                  disabled={thread.isLoadingOlder}
                  onClick={() => void thread.loadOlder()}
                >
                  {thread.isLoadingOlder ? t("loadingOlder") : t("loadOlder")}
                </button>
              </div>
            ) : null}
            <div
              className="thread-replies"
              role="feed"
              aria-label={t("repliesLabel")}
              aria-busy={thread.isLoadingOlder}
            >
              {replies.map((m, i) => (
                <MessageItem
                  key={m.id}
                  article={{ tabIndex: roving.tabIndexOf(m.id), "aria-posinset": i + 1, "aria-setsize": -1 }}
                  m={m}
                  isGrouped={isContinuation(replies[i - 1], m)}
                  meId={meId}
                  names={names}
                  canAct={canAct}
                  actions={actions}
                />
              ))}
              {outbox.pending.map((p) => (
                <PendingItem
                  key={p.clientMsgId}
                  article={{ tabIndex: roving.tabIndexOf(`pending:${p.clientMsgId}`), "aria-setsize": -1 }}
                  names={names}
                  meId={meId}
                  p={p}
                  senderName={meName}
                  onRetry={() => outbox.retry(p.clientMsgId)}
                />
              ))}
              {ephemerals.map((e) => (
                <EphemeralItem
                  key={e.id}
                  article={{ tabIndex: roving.tabIndexOf(`ephemeral:${e.id}`), "aria-setsize": -1 }}
                  names={names}
                  meId={meId}
                  e={e}
                  onDismiss={() => dismissEphemeral(conversationId, e.id)}
                />
              ))}
            </div>
          </MessageContext.Provider>
        )}
      </div>
      {root && !isWrongConversation && canAct && !root.deletedAt ? (
        <ReplyComposer
          conversationId={conversationId}
          rootId={rootId}
          meId={meId}
          names={names}
          replies={replies}
          actions={actions}
          isDisabled={!outbox.canSend}
          onSend={outbox.send}
        />
      ) : null}
    </aside>
  );
}

const EMPTY: never[] = [];

/** Escape in a text box belongs to it (suggestions, editing); elsewhere in the panel it closes. */
function isTypingInto(target: EventTarget): boolean {
  return (
    target instanceof HTMLElement &&
    /^(INPUT|TEXTAREA)$/.test(target.tagName) &&
    target.getAttribute("type") !== "checkbox"
  );
}
