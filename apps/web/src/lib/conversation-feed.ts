"use client";

/**
 * One conversation's history, outbox and paging (`useConversationFeed`), on the cache entry that
 * chat-data.ts keeps live.
 *
 * - Loading the entry reads the conversation's lastSeq first, then the newest page, and tracks the
 *   conversation from that lastSeq, so the SDK delivers everything after it exactly once and in
 *   order (anything already in the page is merged by seq, never shown twice).
 * - The entry is always one contiguous window of history. Attached (the default) it ends at the
 *   newest message and live messages append to it. Jumping to a message (`jumpTo`, `?m=<seq>`)
 *   detaches it: the window is loaded `around` that seq, grows with `after` pages, and live
 *   messages wait in `buffered` (patched by edits and reactions like the window) until the window
 *   reaches the newest message, when they join it; `jumpToLatest` does the same with the newest
 *   page. Because the detach happens before the page is requested, every message created after
 *   the page was read is either in `buffered` or arrives later, so nothing is lost or doubled.
 * - Sending goes through the SDK's outbox: typed order per conversation, resent with the same
 *   clientMsgId until acked, `failed` entries retried with that id.
 */
import type { TSendOptions } from "@parley/client";
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useErrorText } from "~/i18n/server-errors";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import type { TMessage } from "~/trpc/types";
import { feedKey, fetchPage, replaceOnNextLoad, SAFETY_REFETCH_MS } from "./chat-data";
import {
  attach,
  extendNewer,
  INITIAL_VIEW,
  mergeMessages,
  newestSeq,
  nextView,
  type TFeed,
} from "./feed-window";
import { messageFromEvent, reapply } from "./live-reducers";
import { isInChannel, toPending, useOutbox, useRetry } from "./outbox";
import { useRealtime } from "./realtime-context";
import { type TReadPosition, unconfirmed } from "./timeline";

/** The first page of a conversation (and a jump's window): enough to fill a tall screen. */
const PAGE = 50;
/** Pages loaded by scrolling past the window's ends: bigger, so long scrolls need fewer requests. */
const SCROLL_PAGE = 100;

type TTRPC = ReturnType<typeof useTRPC>;

/**
 * The conversation fresh from the server, sharing one request with every other caller in flight
 * (the view's header query, the read position at open and the feed all want it when a
 * conversation opens) and refreshing the cache entry the header reads.
 */
function fetchConversation(queryClient: QueryClient, trpc: TTRPC, conversationId: string) {
  return queryClient.fetchQuery(trpc.conversations.get.queryOptions({ conversationId }, { staleTime: 0 }));
}

/**
 * The read position when the conversation was opened (for the "New messages" divider): undefined
 * until known, null when there is none to show (not a member, or it could not be read).
 */
function useReadPositionAtOpen(conversationId: string): TReadPosition | null | undefined {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [position, setPosition] = useState<TReadPosition | null | undefined>(undefined);
  useEffect(() => {
    let isCurrent = true;
    setPosition(undefined);
    fetchConversation(queryClient, trpc, conversationId)
      .then((c) => {
        if (isCurrent) setPosition(c.isMember ? { readSeq: c.readSeq, lastSeq: c.lastSeq } : null);
      })
      .catch(() => {
        if (isCurrent) setPosition(null); // never hold reading back because of the divider
      });
    return () => {
      isCurrent = false;
    };
  }, [conversationId, queryClient, trpc]);
  return position;
}

/** History, outbox and paging for one conversation. Mount it with `key={conversationId}`. */
export function useConversationFeed(conversationId: string) {
  const t = useTranslations("MessageList");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();
  const { client } = useRealtime();
  const [isLoadingOlder, setLoadingOlder] = useState(false);
  const [isLoadingNewer, setLoadingNewer] = useState(false);
  const [isJumping, setJumping] = useState(false);
  const [pageError, setPageError] = useState<string | null>(null);
  /** A newer jump makes the pages of older jumps and loads moot. */
  const generation = useRef(0);
  const isOlderInFlight = useRef(false);
  const isNewerInFlight = useRef(false);
  const readAtOpen = useReadPositionAtOpen(conversationId);
  const key = feedKey(conversationId);

  const track = useCallback(
    (conversation: { isMember: boolean; lastSeq: number }) => {
      if (client && conversation.isMember && client.cursor(conversationId) === undefined) {
        client.track(conversationId, conversation.lastSeq);
      }
    },
    [client, conversationId],
  );

  const feed = useQuery({
    queryKey: key,
    queryFn: async (): Promise<TFeed> => {
      // lastSeq before the page: every event after it is delivered by the client, and whatever
      // of it the page already holds is merged by seq.
      const conversation = await fetchConversation(queryClient, trpc, conversationId);
      const current = queryClient.getQueryData<TFeed>(key);
      if (current?.hasMoreAfter && !replaceOnNextLoad.has(conversationId)) {
        // A detached window (or a jump in progress): refresh it from its start, never add a gap.
        track(conversation);
        const first = current.messages[0]?.seq;
        if (!current.isComplete || first === undefined) return current;
        const { page, changes } = await fetchPage(trpcClient, {
          conversationId,
          after: first - 1,
          limit: PAGE,
        });
        const now = queryClient.getQueryData<TFeed>(key) ?? current;
        return now.hasMoreAfter && now.isComplete && now.messages[0]?.seq === first
          ? reapply(extendNewer(now, page), changes)
          : now;
      }
      const { page, changes } = await fetchPage(trpcClient, { conversationId, limit: PAGE });
      const previous = queryClient.getQueryData<TFeed>(key);
      const sinceResync = replaceOnNextLoad.get(conversationId);
      const isReplace = replaceOnNextLoad.delete(conversationId);
      track(conversation);
      // A jump detached the feed while this page was loading: the jump's window wins.
      if (previous?.hasMoreAfter && !isReplace) return previous;
      let next: TFeed;
      const oldestInPage = page.messages[0]?.seq;
      const isDisjoint =
        previous?.isComplete &&
        page.hasMoreBefore &&
        oldestInPage !== undefined &&
        oldestInPage > newestSeq(previous.messages);
      if (!previous || isReplace || isDisjoint) {
        // Live events that arrived during this load are newer than the page's start: keep them.
        // After a resync only what the SDK delivered since it is live; the rest of the cache is stale.
        const live = isReplace
          ? (sinceResync ?? []).map(messageFromEvent)
          : previous && !previous.isComplete
            ? previous.messages
            : [];
        next = {
          messages: mergeMessages(live, page.messages),
          hasMoreBefore: page.hasMoreBefore,
          hasMoreAfter: false,
          buffered: [],
          isComplete: true,
          // A replaced history starts a fresh scroll position at the newest message.
          view: previous?.isComplete ? nextView(previous, null) : (previous?.view ?? INITIAL_VIEW),
          liveAfterSeq: 0,
        };
      } else {
        next = {
          ...previous,
          messages: mergeMessages(previous.messages, page.messages),
          hasMoreBefore: previous.isComplete ? previous.hasMoreBefore : page.hasMoreBefore,
          hasMoreAfter: false,
          buffered: [],
          isComplete: true,
        };
      }
      return reapply(next, changes);
    },
    staleTime: SAFETY_REFETCH_MS / 2,
    refetchInterval: SAFETY_REFETCH_MS,
    refetchOnWindowFocus: true,
  });

  const messages = feed.data?.messages ?? EMPTY;
  const buffered = feed.data?.buffered ?? EMPTY;
  const isLoaded = feed.data?.isComplete ?? false;

  const loadOlder = useCallback(async () => {
    const current = queryClient.getQueryData<TFeed>(key);
    const oldest = current?.messages[0]?.seq;
    if (oldest === undefined || !current?.isComplete || !current.hasMoreBefore || isOlderInFlight.current) {
      return;
    }
    isOlderInFlight.current = true;
    setLoadingOlder(true);
    try {
      const { page, changes } = await fetchPage(trpcClient, {
        conversationId,
        before: oldest,
        limit: SCROLL_PAGE,
      });
      queryClient.setQueryData<TFeed>(key, (f) =>
        // Only onto the window it was asked for (a jump may have replaced it meanwhile).
        f && f.messages[0]?.seq === oldest
          ? reapply(
              { ...f, messages: mergeMessages(page.messages, f.messages), hasMoreBefore: page.hasMoreBefore },
              changes,
            )
          : f,
      );
      setPageError(null);
    } catch (err) {
      setPageError(errorText(err, t("olderFailed")));
    } finally {
      isOlderInFlight.current = false;
      setLoadingOlder(false);
    }
  }, [conversationId, key, queryClient, trpcClient, t, errorText]);

  /** Detached only: the next page below the window (and, once it reaches the newest, the live ones). */
  const loadNewer = useCallback(async () => {
    const current = queryClient.getQueryData<TFeed>(key);
    if (!current?.isComplete || !current.hasMoreAfter || isNewerInFlight.current) return;
    const newest = newestSeq(current.messages);
    const gen = generation.current;
    isNewerInFlight.current = true;
    setLoadingNewer(true);
    try {
      const { page, changes } = await fetchPage(trpcClient, {
        conversationId,
        after: newest,
        limit: SCROLL_PAGE,
      });
      const f = queryClient.getQueryData<TFeed>(key);
      if (gen === generation.current && f?.isComplete && f.hasMoreAfter && newestSeq(f.messages) === newest) {
        queryClient.setQueryData<TFeed>(key, reapply(extendNewer(f, page), changes));
      }
      setPageError(null);
    } catch (err) {
      setPageError(errorText(err, t("newerFailed")));
    } finally {
      isNewerInFlight.current = false;
      setLoadingNewer(false);
    }
  }, [conversationId, key, queryClient, trpcClient, t, errorText]);

  /** Shows the message with `seq` (or the nearest after it): at once when loaded, else a window around it. */
  const jumpTo = useCallback(
    async (seq: number) => {
      const gen = ++generation.current;
      const current = queryClient.getQueryData<TFeed>(key);
      const first = current?.messages[0]?.seq;
      const isLoadedHere =
        current?.isComplete &&
        first !== undefined &&
        first <= seq &&
        (!current.hasMoreAfter || seq <= newestSeq(current.messages));
      if (isLoadedHere) {
        queryClient.setQueryData<TFeed>(key, (f) => (f ? { ...f, view: nextView(f, seq) } : f));
        return;
      }
      // Detach before asking for the page: live messages from now on wait in `buffered`.
      queryClient.setQueryData<TFeed>(key, (f) => ({
        messages: [],
        hasMoreBefore: false,
        hasMoreAfter: true,
        // The attached window ends at the newest message, so it is a valid (contiguous) tail.
        buffered: f ? (f.hasMoreAfter ? f.buffered : f.messages) : [],
        isComplete: false,
        view: f?.view ?? INITIAL_VIEW,
        liveAfterSeq: 0,
      }));
      setJumping(true);
      setPageError(null);
      try {
        track(await fetchConversation(queryClient, trpc, conversationId));
        const { page, changes } = await fetchPage(trpcClient, { conversationId, around: seq, limit: PAGE });
        if (gen !== generation.current) return;
        const f = queryClient.getQueryData<TFeed>(key);
        const tail = f ? (f.hasMoreAfter ? f.buffered : f.messages) : [];
        const next: TFeed = {
          messages: page.messages,
          hasMoreBefore: page.hasMoreBefore,
          hasMoreAfter: true,
          buffered: tail,
          isComplete: true,
          view: nextView(f, seq),
          liveAfterSeq: 0,
        };
        queryClient.setQueryData<TFeed>(key, reapply(page.hasMoreAfter ? next : attach(next), changes));
      } catch (err) {
        if (gen === generation.current) {
          setPageError(errorText(err, t("jumpFailed")));
        }
      } finally {
        if (gen === generation.current) setJumping(false);
      }
    },
    [conversationId, key, queryClient, track, trpc, trpcClient, t, errorText],
  );

  /** Back to the newest message: at once when attached, else the newest page joined with the live ones. */
  const jumpToLatest = useCallback(async () => {
    const current = queryClient.getQueryData<TFeed>(key);
    if (!current?.hasMoreAfter) {
      generation.current++;
      queryClient.setQueryData<TFeed>(key, (f) => (f ? { ...f, view: nextView(f, null) } : f));
      return;
    }
    const gen = ++generation.current;
    setJumping(true);
    setPageError(null);
    try {
      const { page, changes } = await fetchPage(trpcClient, { conversationId, limit: PAGE });
      if (gen !== generation.current) return;
      const f = queryClient.getQueryData<TFeed>(key);
      if (f?.hasMoreAfter) {
        const joined = attach({
          ...f,
          messages: page.messages,
          hasMoreBefore: page.hasMoreBefore,
          isComplete: true,
          view: nextView(f, null),
          liveAfterSeq: 0,
        });
        queryClient.setQueryData<TFeed>(key, reapply(joined, changes));
      }
    } catch (err) {
      if (gen === generation.current) {
        setPageError(errorText(err, t("latestFailed")));
      }
    } finally {
      if (gen === generation.current) setJumping(false);
    }
  }, [conversationId, key, queryClient, trpcClient, t, errorText]);

  const outbox = useOutbox(client, conversationId, isInChannel);

  const send = useCallback(
    (body: string, options?: TSendOptions) => {
      if (!client) return false;
      client.send(conversationId, body, options);
      return true;
    },
    [client, conversationId],
  );

  const retry = useRetry(client);

  // An entry whose message is already in history (or waiting below a detached window) is shown once, as that message.
  // Thread replies typed here belong to the thread's view, unless also sent to the channel.
  const pending = useMemo(
    () => unconfirmed(outbox, buffered.length ? [...messages, ...buffered] : messages).map(toPending),
    [outbox, messages, buffered],
  );

  const loadError = feed.error ? errorText(feed.error) : pageError;

  return {
    messages,
    pending,
    isLoaded,
    hasMoreBefore: feed.data?.hasMoreBefore ?? false,
    /** True while the window ends before the newest message (opened at a linked message). */
    hasMoreAfter: feed.data?.hasMoreAfter ?? false,
    /** Live messages that arrived below a detached window. */
    buffered,
    isLoadingOlder,
    isLoadingNewer,
    isJumping,
    loadError,
    loadOlder,
    loadNewer,
    jumpTo,
    jumpToLatest,
    view: feed.data?.view ?? INITIAL_VIEW,
    liveAfterSeq: feed.data?.liveAfterSeq ?? 0,
    readAtOpen,
    send,
    canSend: client !== null,
    retry,
    newestSeq: newestSeq(messages),
  };
}

const EMPTY: TMessage[] = [];
