"use client";

/**
 * Threads' live data, in the style of chat-data.ts: one TanStack Query entry per thread root
 * (`threadKey`), loaded with `messages.thread` and then patched by the tab's live events
 * (`applyToThreads`, called from chat-data's `connectLiveData`, applies live-reducers'
 * `applyToThread` to every cached thread), so an open thread panel never polls. Replies are sent
 * through the SDK's outbox with `threadRootId` (and `alsoInChannel` when the reply should also
 * show in the channel).
 */
import type { TOutboxEntry } from "@parley/client";
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { useTRPCClient } from "~/trpc/react";
import type { TMessage } from "~/trpc/types";
import { mergeMessages } from "./feed-window";
import { applyToThread, type TLiveEvent, type TThread } from "./live-reducers";
import { toPending, useOutbox, useRetry } from "./outbox";
import { useRealtime } from "./realtime-context";
import { unconfirmed } from "./timeline";

/** Query key of one thread. */
export const threadKey = (rootId: string) => ["parley", "thread", rootId] as const;
const THREADS = ["parley", "thread"] as const;
const REPLY_PAGE = 100;

/** Patches every cached thread with one live event (called by connectLiveData). */
export function applyToThreads(queryClient: QueryClient, event: TLiveEvent): void {
  for (const [key, thread] of queryClient.getQueriesData<TThread>({ queryKey: THREADS })) {
    if (!thread) continue;
    const next = applyToThread(thread, event);
    if (next !== thread) queryClient.setQueryData<TThread>(key, next);
  }
}

/** A thread's root and replies, kept live by events; `loadOlder` pages back through long threads. */
export function useThread(rootId: string) {
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();
  const [isLoadingOlder, setLoadingOlder] = useState(false);
  const loadOlder = useCallback(async () => {
    const oldest = queryClient.getQueryData<TThread>(threadKey(rootId))?.replies[0]?.seq;
    if (oldest === undefined) return;
    setLoadingOlder(true);
    try {
      const page = await trpcClient.messages.thread.query({ rootId, before: oldest, limit: REPLY_PAGE });
      queryClient.setQueryData<TThread>(threadKey(rootId), (t) =>
        t ? { ...t, replies: mergeMessages(page.replies, t.replies), hasMoreBefore: page.hasMoreBefore } : t,
      );
    } finally {
      setLoadingOlder(false);
    }
  }, [queryClient, rootId, trpcClient]);
  const query = useQuery({
    queryKey: threadKey(rootId),
    queryFn: async (): Promise<TThread> => {
      const page = await trpcClient.messages.thread.query({ rootId, limit: REPLY_PAGE });
      // Replies that arrived live while the page loaded are kept (merged by seq).
      const previous = queryClient.getQueryData<TThread>(threadKey(rootId));
      return {
        root: page.root,
        replies: mergeMessages(page.replies, previous?.replies ?? []),
        hasMoreBefore: page.hasMoreBefore,
      };
    },
    staleTime: 30_000,
  });
  return { ...query, loadOlder, isLoadingOlder };
}

/** Sending replies to one thread through the outbox, and the replies not confirmed yet. */
export function useThreadReplies(conversationId: string, rootId: string, replies: readonly TMessage[]) {
  const { client } = useRealtime();
  const isThisThread = useCallback((e: TOutboxEntry) => e.threadRootId === rootId, [rootId]);
  const entries = useOutbox(client, conversationId, isThisThread);

  const send = useCallback(
    (body: string, alsoInChannel: boolean, attachmentIds: readonly string[] = []) => {
      if (!client) return false;
      client.send(conversationId, body, {
        threadRootId: rootId,
        ...(alsoInChannel ? { alsoInChannel } : {}),
        ...(attachmentIds.length > 0 ? { attachmentIds: [...attachmentIds] } : {}),
      });
      return true;
    },
    [client, conversationId, rootId],
  );
  const retry = useRetry(client);
  const pending = useMemo(() => unconfirmed(entries, replies).map(toPending), [entries, replies]);
  return { send, retry, pending, canSend: client !== null };
}
