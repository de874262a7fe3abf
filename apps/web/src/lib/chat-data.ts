"use client";

/**
 * Every piece of live chat data the UI reads comes through this module. For now it polls
 * (conversation list and history every POLL_MS); when the realtime client lands, swap the
 * internals for socket events + cursor resume and keep these hooks' shapes.
 *
 * History is kept per conversation as a map keyed by seq, so order on screen is always by
 * seq and a message seen twice (poll overlap, send reply + poll) is stored once. Sends go
 * through a per-conversation outbox: in typing order, one at a time, and a failed entry is
 * retried with the SAME clientMsgId so the server deduplicates it.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import type { TMessage } from "~/trpc/types";
import { inSeqOrder, mergeBySeq, newClientMsgId, unconfirmed } from "./timeline";

/** How often lists and history are refreshed while there is no realtime connection. */
export const POLL_MS = 3_000;
const PAGE = 50;

/** The caller's conversations (sidebar), refreshed by polling. */
export function useConversations() {
  const trpc = useTRPC();
  return useQuery(trpc.conversations.list.queryOptions(undefined, { refetchInterval: POLL_MS }));
}

/** Marks everything up to `seq` read and refreshes unread counts. */
export function useMarkRead(conversationId: string) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const marked = useRef(0);
  return useCallback(
    async (seq: number) => {
      if (seq <= marked.current) return;
      marked.current = seq;
      try {
        await client.conversations.markRead.mutate({ conversationId, seq });
        await queryClient.invalidateQueries(trpc.conversations.list.queryFilter());
      } catch {
        marked.current = 0; // try again on the next change
      }
    },
    [client, conversationId, queryClient, trpc],
  );
}

/** A message typed here that the server has not acknowledged yet. */
export type TPendingMessage = {
  clientMsgId: string;
  body: string;
  status: "sending" | "failed";
  error?: string;
};

/** History, outbox and paging for one conversation. Mount it with `key={conversationId}`. */
export function useConversationFeed(conversationId: string) {
  const client = useTRPCClient();
  const bySeq = useRef(new Map<number, TMessage>());
  const [pending, setPending] = useState<TPendingMessage[]>([]);
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  const [isLoaded, setLoaded] = useState(false);
  const [hasMoreBefore, setHasMoreBefore] = useState(false);
  const [isLoadingOlder, setLoadingOlder] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const outbox = useRef<Promise<void>>(Promise.resolve());

  const merge = useCallback((messages: readonly TMessage[]) => {
    const isChanged = mergeBySeq(bySeq.current, messages);
    if (isChanged) bump();
    return isChanged;
  }, []);

  const newestSeq = useCallback(() => {
    let max = 0;
    for (const seq of bySeq.current.keys()) max = Math.max(max, seq);
    return max;
  }, []);

  // Initial load + polling: the newest page each time (catches recent edits), and when more
  // arrived since the last poll than fit in a page, walk forward from our newest seq.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let isFirst = true;
    async function tick() {
      try {
        const known = newestSeq();
        const page = await client.messages.history.query({ conversationId, limit: PAGE });
        if (stopped) return;
        const oldestInPage = page.messages[0]?.seq;
        if (known > 0 && oldestInPage !== undefined && oldestInPage > known + 1) {
          let after = known;
          for (;;) {
            const gap = await client.messages.history.query({ conversationId, after, limit: 100 });
            if (stopped) return;
            merge(gap.messages);
            const last = gap.messages.at(-1)?.seq;
            if (!gap.hasMoreAfter || last === undefined || last >= oldestInPage) break;
            after = last;
          }
        }
        merge(page.messages);
        if (isFirst) {
          setHasMoreBefore(page.hasMoreBefore);
          setLoaded(true);
          isFirst = false;
        }
        setLoadError(null);
      } catch (err) {
        if (!stopped) setLoadError(err instanceof Error ? err.message : "Could not load messages");
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    }
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, conversationId, merge, newestSeq]);

  const loadOlder = useCallback(async () => {
    const seqs = [...bySeq.current.keys()];
    if (seqs.length === 0) return;
    setLoadingOlder(true);
    try {
      const page = await client.messages.history.query({
        conversationId,
        before: Math.min(...seqs),
        limit: PAGE,
      });
      merge(page.messages);
      setHasMoreBefore(page.hasMoreBefore);
    } catch (err) {
      setLoadError(err instanceof Error ? err.message : "Could not load older messages");
    } finally {
      setLoadingOlder(false);
    }
  }, [client, conversationId, merge]);

  const deliver = useCallback(
    (entry: TPendingMessage) => {
      const attempt = async () => {
        setPending((list) =>
          list.map((p) =>
            p.clientMsgId === entry.clientMsgId ? { ...p, status: "sending", error: undefined } : p,
          ),
        );
        try {
          const { message } = await client.messages.send.mutate({
            conversationId,
            clientMsgId: entry.clientMsgId,
            body: entry.body,
          });
          merge([message]);
          setPending((list) => list.filter((p) => p.clientMsgId !== entry.clientMsgId));
        } catch (err) {
          const error = err instanceof Error ? err.message : "Not sent";
          setPending((list) =>
            list.map((p) => (p.clientMsgId === entry.clientMsgId ? { ...p, status: "failed", error } : p)),
          );
        }
      };
      // One at a time, in the order typed.
      outbox.current = outbox.current.then(attempt);
    },
    [client, conversationId, merge],
  );

  const send = useCallback(
    (body: string) => {
      const entry: TPendingMessage = { clientMsgId: newClientMsgId(), body, status: "sending" };
      setPending((list) => [...list, entry]);
      deliver(entry);
    },
    [deliver],
  );

  const retry = useCallback(
    (clientMsgId: string) => {
      const entry = pending.find((p) => p.clientMsgId === clientMsgId);
      if (entry) deliver(entry);
    },
    [deliver, pending],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the change signal of the seq map
  const messages = useMemo(() => inSeqOrder(bySeq.current), [version]);

  // An entry the server already has (reply lost, then seen by a poll) is shown once, as sent.
  const visiblePending = useMemo(() => unconfirmed(pending, messages), [messages, pending]);

  return {
    messages,
    pending: visiblePending,
    isLoaded,
    hasMoreBefore,
    isLoadingOlder,
    loadError,
    loadOlder,
    send,
    retry,
    newestSeq: messages.at(-1)?.seq ?? 0,
  };
}
