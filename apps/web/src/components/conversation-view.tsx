"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useRef } from "react";
import {
  SAFETY_REFETCH_MS,
  useConversationFeed,
  useMarkRead,
  useMessageActions,
  useSendTyping,
  useTyping,
} from "~/lib/chat-data";
import { typingText } from "~/lib/timeline";
import { useTRPC } from "~/trpc/react";
import { Composer, lastOwnMessage } from "./composer";
import { MessageList } from "./message-list";

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
  const isAtBottom = useRef(true);
  const readBottom = () => {
    if (isMember && feed.newestSeq > 0) void markRead(feed.newestSeq);
  };

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
      <MessageList
        feed={feed}
        meId={me.data?.id ?? ""}
        meName={me.data?.name ?? "You"}
        names={names}
        canAct={isMember && !isArchived && Boolean(me.data)}
        actions={actions}
        onReadBottom={readBottom}
        stickToBottom={isAtBottom}
      />
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
          conversationId={conversationId}
          meId={me.data?.id}
          members={members.data}
          lastOwnMessage={lastOwnMessage(feed.messages, me.data?.id ?? "")}
          onEdit={actions.edit}
          isDisabled={!feed.canSend}
          onTyping={sendTyping}
          onSend={(body, attachmentIds) => {
            isAtBottom.current = true;
            return feed.send(body, attachmentIds.length > 0 ? { attachmentIds } : undefined);
          }}
        />
      ) : null}
    </>
  );
}
