"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useTranslations } from "next-intl";
import { useCallback, useEffect, useMemo, useRef } from "react";
import { useErrorText } from "~/i18n/server-errors";
import { useBroadcastWarning } from "~/lib/broadcast-warning";
import { SAFETY_REFETCH_MS, useConversations, useMarkRead, useMessageActions } from "~/lib/chat-data";
import { useConversationFeed } from "~/lib/conversation-feed";
import { dismissEphemeral, useEphemerals } from "~/lib/ephemeral";
import { statusLineOf, usePresenceMap, useStatusLines } from "~/lib/presence";
import { useReadReceipts } from "~/lib/receipts-data";
import { refetchFresh } from "~/lib/refetch";
import { useSendTyping, useTyping } from "~/lib/typing";
import { useTRPC } from "~/trpc/react";
import { ArrivalAnnouncer } from "./arrival-announcer";
import { Composer, lastOwnMessage } from "./composer";
import { ConversationMenu } from "./conversation-menu";
import { MembersPanel } from "./members-panel";
import { MessageContext, type TMessageContext } from "./message-item";
import { MessageList } from "./message-list";
import { PinsPanel } from "./pins-panel";
import { ThreadPanel } from "./thread-panel";

/** A live region that is always mounted, so screen readers announce changes to it. */
function TypingIndicator({
  userIds,
  names,
}: {
  userIds: readonly string[];
  names: ReadonlyMap<string, string>;
}) {
  const t = useTranslations("Conversation");
  const [a = "", b = ""] = userIds.map((id) => names.get(id) ?? t("someone"));
  const n = userIds.length;
  const text =
    n === 0 ? "" : n === 1 ? t("typingOne", { a }) : n === 2 ? t("typingTwo", { a, b }) : t("typingMany");
  return (
    <div className="typing" role="status" aria-live="polite" aria-label={t("typing")}>
      {text}
    </div>
  );
}

type TPanel = "thread" | "pins" | "members";

const PHONE = "(max-width: 640px)";

/** One conversation: header, history (newest at the bottom), composer, and the right-side panel. */
export function ConversationView({ conversationId }: { conversationId: string }) {
  const t = useTranslations("Conversation");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const conv = useQuery(
    trpc.conversations.get.queryOptions({ conversationId }, { refetchInterval: SAFETY_REFETCH_MS }),
  );
  const members = useQuery(
    trpc.conversations.members.queryOptions({ conversationId }, { staleTime: 30_000 }),
  );
  const me = useQuery(trpc.users.me.queryOptions());
  const feed = useConversationFeed(conversationId);
  // The read position now (the sidebar's list follows every device's marks, and Escape's).
  const readSeq = useConversations().data?.find((x) => x.id === conversationId)?.readSeq;
  const ephemerals = useEphemerals(conversationId);
  const mainEphemerals = useMemo(() => ephemerals.filter((e) => e.threadRootId === null), [ephemerals]);
  const queryClient = useQueryClient();
  const join = useMutation(
    trpc.conversations.join.mutationOptions({
      onSuccess: () => refetchFresh(queryClient, trpc.conversations.pathFilter()),
    }),
  );
  const isMember = conv.data?.isMember ?? false;
  const markRead = useMarkRead(conversationId);
  const actions = useMessageActions();
  const presence = usePresenceMap();
  const statusLines = useStatusLines();
  const names = useMemo(
    () => new Map((members.data ?? []).map((member) => [member.userId, member.name])),
    [members.data],
  );
  const typing = useTyping(conversationId);
  const sendTyping = useSendTyping(conversationId);
  const isAtBottom = useRef(true);
  /** The newest reply seen in the open thread panel (its seq may be above the channel's newest). */
  const threadSeenSeq = useRef(0);
  const readBottom = () => {
    const seq = Math.max(feed.newestSeq, threadSeenSeq.current);
    if (isMember && seq > 0) void markRead(seq);
  };

  // The right panel and the jump target live in the URL, so a reload (or a shared link) keeps them.
  const threadId = searchParams.get("thread");
  const panelParam = searchParams.get("panel");
  const panel: TPanel | null = threadId
    ? "thread"
    : panelParam === "pins" || panelParam === "members"
      ? panelParam
      : null;

  const navigate = useCallback(
    (change: Record<string, string | null>) => {
      const q = new URLSearchParams(searchParams.toString());
      for (const [k, v] of Object.entries(change)) {
        if (v === null) q.delete(k);
        else q.set(k, v);
      }
      const qs = q.toString();
      router.push(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    },
    [pathname, router, searchParams],
  );
  const openThread = useCallback((rootId: string) => navigate({ thread: rootId, panel: null }), [navigate]);
  const togglePanel = (p: "pins" | "members") => navigate({ panel: panel === p ? null : p, thread: null });
  const closePanel = useCallback(() => navigate({ thread: null, panel: null }), [navigate]);
  const jumpTo = (seq: number) => {
    // On a phone the panel covers the history: close it so the message is visible.
    const isPhone = window.matchMedia(PHONE).matches;
    // The message list follows `?m=` (it loads the history around it and highlights it).
    navigate({ m: String(seq), ...(isPhone ? { panel: null, thread: null } : {}) });
  };

  // Reading = the tab is visible and the newest message is on screen.
  useEffect(() => {
    const mark = () => {
      const seq = Math.max(feed.newestSeq, threadSeenSeq.current);
      if (isMember && document.visibilityState === "visible" && isAtBottom.current && seq > 0) {
        void markRead(seq);
      }
    };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => document.removeEventListener("visibilitychange", mark);
  }, [feed.newestSeq, markRead, isMember]);

  // Replies seen in the open thread are read. Read state is one seq per conversation, so only move
  // it past a reply when the channel itself is read to the bottom (nothing unread is skipped).
  const markThreadSeen = useCallback(
    (seq: number) => {
      threadSeenSeq.current = Math.max(threadSeenSeq.current, seq);
      // Read now if the channel is read to the bottom; otherwise once it is (readBottom).
      if (isMember && isAtBottom.current && seq > feed.newestSeq) void markRead(seq);
    },
    [isMember, feed.newestSeq, markRead],
  );

  const role = me.data?.role;
  const receiptState = useReadReceipts(conversationId, isMember);
  const kind = conv.data?.kind;
  const broadcastWarning = useBroadcastWarning({ kind, memberCount: members.data?.length, role });
  const ctx = useMemo<TMessageContext>(
    () => ({
      conversationId,
      canDeleteAny: role === "admin" || role === "owner",
      openThread,
      ...(receiptState && kind
        ? { receipts: { state: receiptState, isDirect: kind === "dm" || kind === "group_dm" } }
        : {}),
    }),
    [conversationId, role, openThread, receiptState, kind],
  );

  if (conv.error) {
    return (
      <div className="page">
        <h1>{t("unavailable")}</h1>
        <p role="alert">{errorText(conv.error)}</p>
      </div>
    );
  }

  const c = conv.data;
  const isChannel = c ? c.kind === "public_channel" || c.kind === "private_channel" : true;
  const title = c ? (isChannel ? `# ${c.name ?? ""}` : (c.name ?? t("directMessage"))) : "";
  const isArchived = Boolean(c?.archivedAt);
  const canAct = isMember && !isArchived && Boolean(me.data);
  const memberCount = members.data?.length;
  // A 1:1 DM's header shows the other person's presence and custom status.
  const partner = c?.kind === "dm" ? (members.data ?? []).find((m) => m.userId !== me.data?.id) : undefined;
  const partnerPresence = partner ? (presence.get(partner.userId) ?? "offline") : null;
  const partnerStatus = partner ? statusLineOf(statusLines, partner.userId, partner) : "";

  return (
    <div className={panel ? "conv-layout has-panel" : "conv-layout"}>
      <section className="conv-pane" aria-label={title || t("conversation")}>
        <header className="conv-header">
          <div className="conv-heading">
            <div className="conv-title-row">
              {partnerPresence ? (
                <span
                  className={`presence ${partnerPresence}`}
                  role="img"
                  aria-label={t(`presence.${partnerPresence}`)}
                />
              ) : null}
              <h1>{title}</h1>
              {c?.muted ? (
                <span className="tag" title={t("mutedTitle")}>
                  {t("muted")}
                </span>
              ) : null}
              {partnerStatus ? <span className="header-status">{partnerStatus}</span> : null}
            </div>
            {c?.topic ? (
              <p className="topic" title={c.topic}>
                {c.topic}
              </p>
            ) : null}
          </div>
          <div className="conv-tools">
            {memberCount !== undefined ? (
              <button
                type="button"
                className={panel === "members" ? "tool active" : "tool"}
                aria-pressed={panel === "members"}
                aria-label={t("memberCount", { count: memberCount })}
                title={t("members")}
                onClick={() => togglePanel("members")}
              >
                <span aria-hidden="true">👥</span>
                <span>
                  {t.rich("memberCountTool", {
                    count: memberCount,
                    word: (chunks) => <span className="tool-text">{chunks}</span>,
                  })}
                </span>
              </button>
            ) : null}
            <button
              type="button"
              className={panel === "pins" ? "tool active" : "tool"}
              aria-pressed={panel === "pins"}
              aria-label={t("pinned")}
              title={t("pinned")}
              onClick={() => togglePanel("pins")}
            >
              <span aria-hidden="true">📌</span>
              <span className="tool-text" aria-hidden="true">
                {t("pins")}
              </span>
            </button>
            {c && isChannel ? (
              <Link
                className="tool"
                href={`/app/c/${conversationId}/details`}
                aria-label={t("details")}
                title={t("details")}
              >
                <span aria-hidden="true">⚙️</span>
              </Link>
            ) : null}
            {c && isMember ? (
              <ConversationMenu
                conversationId={conversationId}
                isMuted={c.muted}
                notifyLevel={c.notifyLevel}
                ignoreBroadcasts={c.ignoreBroadcasts}
                isChannel={isChannel}
              />
            ) : null}
          </div>
        </header>
        <MessageContext.Provider value={ctx}>
          <MessageList
            feed={feed}
            meId={me.data?.id ?? ""}
            meName={me.data?.name ?? t("you")}
            names={names}
            canAct={canAct}
            actions={actions}
            onReadBottom={readBottom}
            stickToBottom={isAtBottom}
            readSeq={readSeq}
            ephemerals={mainEphemerals}
            onDismissEphemeral={(id) => dismissEphemeral(conversationId, id)}
          />
        </MessageContext.Provider>
        <ArrivalAnnouncer
          messages={feed.messages}
          isLoaded={feed.isLoaded}
          isDetached={feed.hasMoreAfter}
          windowId={feed.view.windowId}
          meId={me.data?.id ?? ""}
        />
        <TypingIndicator userIds={typing} names={names} />
        {isArchived ? (
          <p className="notice" role="status">
            {t("archived")}
          </p>
        ) : c && !isMember ? (
          <div className="notice row" style={{ alignItems: "center", justifyContent: "space-between" }}>
            <span>{t("readingAsGuest", { title })}</span>
            <button
              type="button"
              className="primary"
              disabled={join.isPending}
              onClick={() => join.mutate({ conversationId })}
            >
              {t("join")}
            </button>
          </div>
        ) : c ? (
          <Composer
            label={t("composerLabel", { title })}
            inputId="composer"
            autoFocus="if-idle"
            conversationId={conversationId}
            meId={me.data?.id}
            members={members.data}
            lastOwnMessage={lastOwnMessage(feed.messages, me.data?.id ?? "")}
            onEdit={actions.edit}
            broadcastWarning={broadcastWarning}
            isDisabled={!feed.canSend}
            onTyping={sendTyping}
            onSend={(body, attachmentIds) => {
              isAtBottom.current = true;
              return feed.send(body, attachmentIds.length > 0 ? { attachmentIds } : undefined);
            }}
          />
        ) : null}
      </section>
      {panel === "thread" && threadId ? (
        <ThreadPanel
          key={threadId}
          conversationId={conversationId}
          rootId={threadId}
          conversationTitle={title}
          meId={me.data?.id ?? ""}
          meName={me.data?.name ?? t("you")}
          names={names}
          canAct={canAct}
          canDeleteAny={ctx.canDeleteAny}
          actions={actions}
          onClose={closePanel}
          onSeen={markThreadSeen}
          receipts={ctx.receipts}
        />
      ) : panel === "pins" ? (
        <PinsPanel
          conversationId={conversationId}
          onJump={jumpTo}
          onOpenThread={openThread}
          onClose={closePanel}
        />
      ) : panel === "members" ? (
        <MembersPanel conversationId={conversationId} isChannel={isChannel} onClose={closePanel} />
      ) : null}
    </div>
  );
}
