"use client";

/**
 * Every piece of live chat data the UI reads comes through this module: TanStack Query caches that
 * are loaded over tRPC and then kept current by the tab's ParleyClient (realtime-provider.tsx),
 * with no polling. Only a slow safety refetch remains (SAFETY_REFETCH_MS, and on window focus).
 *
 * - History: one cache entry per conversation (`feedKey`), messages by seq. Loading it reads the
 *   conversation's lastSeq first, then the newest page, and tracks the conversation from that
 *   lastSeq, so the SDK delivers everything after it exactly once and in order (anything already
 *   in the page is merged by seq, never shown twice). Live message.created/edited/deleted and
 *   reaction.added/removed patch the entry (reactions as sets, so replaying one is harmless); `resync` (the client cannot catch up incrementally) refetches the newest page and
 *   replaces the entry.
 * - The entry is always one contiguous window of history. Attached (the default) it ends at the
 *   newest message and live messages append to it. Jumping to a message (`jumpTo`, `?m=<seq>`)
 *   detaches it: the window is loaded `around` that seq, grows with `after` pages, and live
 *   messages wait in `buffered` (patched by edits and reactions like the window) until the window
 *   reaches the newest message, when they join it; `jumpToLatest` does the same with the newest
 *   page. Because the detach happens before the page is requested, every message created after
 *   the page was read is either in `buffered` or arrives later, so nothing is lost or doubled.
 * - A page request races live edits, deletes and reactions: those seen while it is in flight are
 *   re-applied to the page (`fetchPage`), so a page never undoes a change the tab already showed.
 * - Conversations list (sidebar): counts come from the server, so events that change them —
 *   others' messages, read.updated from any device, added/removed/dm.opened — invalidate the list
 *   (coalesced), which refetches it once. Every member conversation in it is tracked from its
 *   lastSeq so unread badges move live.
 * - Sending goes through the SDK's outbox: typed order per conversation, resent with the same
 *   clientMsgId until acked, `failed` entries retried with that id (`useConversationFeed`).
 *
 * To add a live event: handle its kind in `connectLiveData` and patch (or invalidate) the query it
 * changes; never fetch in a loop from an event.
 */
import type { ParleyClient, TOutboxEntry, TSendOptions } from "@parley/client";
import { EventKind, type TConversationEvent, type TUserEvent, UserEventKind } from "@parley/protocol";
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import type { TMessage } from "~/trpc/types";
import {
  addMessage,
  attach,
  EMPTY_FEED,
  extendNewer,
  INITIAL_VIEW,
  mergeMessages,
  newestSeq,
  nextView,
  patchMessages,
  type TFeed,
  type TFeedView,
  type THistoryPage,
} from "./feed-window";
import { applyReaction } from "./reactions";
import { useRealtime } from "./realtime-context";
import { applyToThreads } from "./thread-data";
import { type TReadPosition, unconfirmed } from "./timeline";

/** Safety net only: lists and history refetch this often (and on window focus) in case a push was missed. */
export const SAFETY_REFETCH_MS = 60_000;
/** The first page of a conversation (and a jump's window): enough to fill a tall screen. */
const PAGE = 50;
/** Pages loaded by scrolling past the window's ends: bigger, so long scrolls need fewer requests. */
const SCROLL_PAGE = 100;
/** Bursts of events that change unread counts cause one list refetch after this quiet time. */
const LIST_REFRESH_MS = 150;

type TTRPC = ReturnType<typeof useTRPC>;
type TTRPCClient = ReturnType<typeof useTRPCClient>;

export type { TFeed, TFeedView };

/** Query key of a conversation's history. */
export const feedKey = (conversationId: string) => ["parley", "feed", conversationId] as const;

/** Conversations whose next history load must replace, not merge (after `resync`). */
const replaceOnNextLoad = new Set<string>();

/**
 * Per conversation, the lists collecting message changes (edits, deletes, reactions) seen while a
 * page request is in flight; `fetchPage` re-applies them to the page.
 */
const changeWatchers = new Map<string, Set<TConversationEvent[]>>();

/** Requests a history page and returns it with the message changes that arrived meanwhile. */
async function fetchPage(
  trpcClient: TTRPCClient,
  input: { conversationId: string; before?: number; after?: number; around?: number; limit: number },
): Promise<{ page: THistoryPage; changes: TConversationEvent[] }> {
  const changes: TConversationEvent[] = [];
  const watchers = changeWatchers.get(input.conversationId) ?? new Set();
  watchers.add(changes);
  changeWatchers.set(input.conversationId, watchers);
  try {
    const page = await trpcClient.messages.history.query(input);
    // No event can land between here and the caller's synchronous cache update (both microtasks).
    return { page, changes };
  } finally {
    watchers.delete(changes);
    if (watchers.size === 0) changeWatchers.delete(input.conversationId);
  }
}

/** Re-applies changes seen during a page request (idempotent: bodies replace, reactions are sets). */
function reapply(feed: TFeed, changes: readonly TConversationEvent[]): TFeed {
  return changes.reduce(applyToFeed, feed);
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function date(value: unknown): Date | null {
  return typeof value === "string" || value instanceof Date ? new Date(value) : null;
}

/** The message a message.created event carries, in the shape history returns. */
export function messageFromEvent(event: TConversationEvent): TMessage | null {
  const m = event.payload.message as Record<string, unknown> | undefined;
  const id = str(m?.id);
  const senderId = str(m?.senderId);
  if (!m || !id || !senderId) return null;
  return {
    id,
    conversationId: event.conversationId,
    seq: event.seq,
    senderId,
    senderName: str(m.senderName) ?? "",
    clientMsgId: str(m.clientMsgId) ?? "",
    body: str(m.body) ?? "",
    threadRootId: str(m.threadRootId),
    alsoInChannel: m.alsoInChannel === true,
    replyCount: 0,
    lastReplyAt: null,
    mentionedUserIds: Array.isArray(m.mentionedUserIds)
      ? m.mentionedUserIds.filter((u): u is string => typeof u === "string")
      : [],
    mentionsAll: m.mentionsAll === true,
    pinnedAt: null,
    pinnedById: null,
    editedAt: null,
    deletedAt: null,
    createdAt: date(m.createdAt) ?? new Date(event.createdAt),
    // The event carries the same attachment records as history (ids, names, sizes; no bytes).
    attachments: Array.isArray(m.attachments) ? (m.attachments as TMessage["attachments"]) : [],
    reactions: [],
  };
}

/**
 * Applies one live conversation event to a loaded history; returns it unchanged when not relevant.
 * A thread reply bumps its root's count and last-reply time, and joins the channel's history only
 * when sent "also to the channel" (as messages.history returns it).
 */
export function applyToFeed(feed: TFeed, event: TConversationEvent): TFeed {
  switch (event.kind) {
    case EventKind.MessageCreated: {
      const message = messageFromEvent(event);
      if (!message) return feed;
      return addMessage(feed, message);
    }
    case EventKind.MessagePinned:
    case EventKind.MessageUnpinned: {
      const messageId = str(event.payload.messageId);
      if (!messageId) return feed;
      const isPinned = event.kind === EventKind.MessagePinned;
      const pinnedAt = isPinned ? (date(event.payload.pinnedAt) ?? new Date(event.createdAt)) : null;
      const pinnedById = isPinned ? (str(event.payload.pinnedById) ?? event.actorId ?? null) : null;
      if (![...feed.messages, ...feed.buffered].some((m) => m.id === messageId)) return feed;
      return patchMessages(feed, (m) => (m.id === messageId ? { ...m, pinnedAt, pinnedById } : m));
    }
    case EventKind.MessageEdited: {
      const messageId = str(event.payload.messageId);
      const body = str(event.payload.body);
      if (!messageId || body === null) return feed;
      const editedAt = date(event.payload.editedAt) ?? new Date(event.createdAt);
      return patchMessages(feed, (m) => (m.id === messageId ? { ...m, body, editedAt } : m));
    }
    case EventKind.MessageDeleted: {
      const messageId = str(event.payload.messageId);
      if (!messageId) return feed;
      const deletedAt = date(event.payload.deletedAt) ?? new Date(event.createdAt);
      // A deleted reply carries its root's new reply count and last reply time; a delete also unpins.
      const rootId = str(event.payload.threadRootId);
      const replyCount = typeof event.payload.replyCount === "number" ? event.payload.replyCount : null;
      const lastReplyAt = date(event.payload.lastReplyAt);
      return patchMessages(feed, (m) => {
        if (m.id === messageId) {
          return {
            ...m,
            body: "",
            attachments: [],
            reactions: [],
            pinnedAt: null,
            pinnedById: null,
            deletedAt,
          };
        }
        if (rootId && m.id === rootId && replyCount !== null) return { ...m, replyCount, lastReplyAt };
        return m;
      });
    }
    case EventKind.ReactionAdded:
    case EventKind.ReactionRemoved: {
      const messageId = str(event.payload.messageId);
      const userId = str(event.payload.userId);
      const emoji = str(event.payload.emoji);
      if (!messageId || !userId || !emoji) return feed;
      const isAdded = event.kind === EventKind.ReactionAdded;
      return patchMessages(feed, (m) =>
        m.id === messageId && !m.deletedAt
          ? { ...m, reactions: applyReaction(m.reactions, emoji, userId, isAdded) }
          : m,
      );
    }
    default:
      return feed;
  }
}

function isMessageChange(event: TConversationEvent): boolean {
  return (
    event.kind === EventKind.MessageEdited ||
    event.kind === EventKind.MessageDeleted ||
    event.kind === EventKind.ReactionAdded ||
    event.kind === EventKind.ReactionRemoved ||
    event.kind === EventKind.MessagePinned ||
    event.kind === EventKind.MessageUnpinned
  );
}

type TLiveDeps = { queryClient: QueryClient; trpc: TTRPC; trpcClient: TTRPCClient; userId: string };

/**
 * Wires a ParleyClient to the query caches (see the file header); returns the unsubscribe
 * function. Called once per client by RealtimeProvider.
 */
export function connectLiveData(client: ParleyClient, deps: TLiveDeps): () => void {
  const { queryClient, trpc, userId } = deps;
  let listTimer: ReturnType<typeof setTimeout> | undefined;
  const refreshList = () => {
    clearTimeout(listTimer);
    listTimer = setTimeout(() => {
      void queryClient.invalidateQueries(trpc.conversations.list.queryFilter());
    }, LIST_REFRESH_MS);
  };
  const refreshConversation = (conversationId: string) => {
    void queryClient.invalidateQueries(trpc.conversations.get.queryFilter({ conversationId }));
  };

  const onEvent = (event: TConversationEvent) => {
    const key = feedKey(event.conversationId);
    if (isMessageChange(event)) {
      for (const changes of changeWatchers.get(event.conversationId) ?? []) changes.push(event);
    }
    const feed = queryClient.getQueryData<TFeed>(key);
    if (feed) {
      const next = applyToFeed(feed, event);
      if (next !== feed) queryClient.setQueryData<TFeed>(key, next);
    } else if (queryClient.getQueryState(key)?.fetchStatus === "fetching") {
      if (event.kind === EventKind.MessageCreated) {
        // The first load is in flight and may have read the log before this event: keep it so the
        // load merges it (see useConversationFeed) instead of losing it until the next safety refetch.
        queryClient.setQueryData<TFeed>(key, applyToFeed(EMPTY_FEED, event));
      } else if (isMessageChange(event)) {
        // An edit, delete or reaction to a message the in-flight page may predate: load again (rare).
        void queryClient.invalidateQueries({ queryKey: key });
      }
    }
    applyToThreads(queryClient, event);
    switch (event.kind) {
      case EventKind.MessageCreated:
        if (event.actorId !== userId) refreshList();
        return;
      case EventKind.MessagePinned:
      case EventKind.MessageUnpinned:
      case EventKind.MessageDeleted:
        // The pins list is only loaded while its panel is (or was) open; refetch it if so.
        void queryClient.invalidateQueries(
          trpc.messages.pins.queryFilter({ conversationId: event.conversationId }),
        );
        return;
      case EventKind.MemberJoined:
      case EventKind.MemberLeft:
        void queryClient.invalidateQueries(
          trpc.conversations.members.queryFilter({ conversationId: event.conversationId }),
        );
        refreshConversation(event.conversationId);
        if (event.payload.userId === userId) refreshList();
        return;
      case EventKind.ConversationUpdated:
        refreshConversation(event.conversationId);
        refreshList();
        return;
    }
  };

  const onUserEvent = (event: TUserEvent) => {
    const conversationId = str(event.payload.conversationId);
    switch (event.kind) {
      case UserEventKind.ReadUpdated:
        refreshList();
        return;
      case UserEventKind.PreferencesUpdated:
        // A new custom status (set here or on another device): the footer and member lists follow
        // (RealtimeProvider also puts it in this device's presence, so watchers see it live).
        void queryClient.invalidateQueries(trpc.users.me.queryFilter());
        void queryClient.invalidateQueries(trpc.conversations.members.pathFilter());
        return;
      case UserEventKind.MembershipUpdated:
        // Muted on another device (or here): the list and the header's menu follow.
        refreshList();
        if (conversationId) refreshConversation(conversationId);
        return;
      case UserEventKind.ConversationAdded:
      case UserEventKind.ConversationRemoved:
      case UserEventKind.DmOpened:
        refreshList();
        if (conversationId) refreshConversation(conversationId);
        return;
    }
  };

  const onResync = (conversationId: string) => {
    replaceOnNextLoad.add(conversationId);
    void queryClient.invalidateQueries({ queryKey: feedKey(conversationId) });
    refreshList();
  };

  const onForbidden = (conversationId: string) => {
    queryClient.removeQueries({ queryKey: feedKey(conversationId) });
    refreshConversation(conversationId);
    refreshList();
  };

  const offs = [
    client.on("event", onEvent),
    client.on("userEvent", onUserEvent),
    client.on("resync", onResync),
    client.on("forbidden", onForbidden),
  ];
  return () => {
    clearTimeout(listTimer);
    for (const off of offs) off();
  };
}

/** Follows every member conversation of the list the client does not follow yet, from its lastSeq. */
export function trackConversations(
  client: ParleyClient,
  list: readonly { id: string; isMember: boolean; lastSeq: number }[],
): void {
  for (const c of list) {
    if (c.isMember && client.cursor(c.id) === undefined) client.track(c.id, c.lastSeq);
  }
}

/** The caller's conversations (sidebar); member conversations are tracked so badges move live. */
export function useConversations() {
  const trpc = useTRPC();
  const { client } = useRealtime();
  const query = useQuery(
    trpc.conversations.list.queryOptions(undefined, {
      refetchInterval: SAFETY_REFETCH_MS,
      refetchOnWindowFocus: true,
    }),
  );
  useEffect(() => {
    if (client && query.data) trackConversations(client, query.data);
  }, [client, query.data]);
  return query;
}

/** Marks everything up to `seq` read: through the socket (kept and resent until acked) when there is one. */
export function useMarkRead(conversationId: string) {
  const trpcClient = useTRPCClient();
  const { client } = useRealtime();
  const marked = useRef(0);
  return useCallback(
    async (seq: number) => {
      if (seq <= marked.current) return;
      marked.current = seq;
      if (client) {
        client.markRead(conversationId, seq);
        return;
      }
      try {
        await trpcClient.conversations.markRead.mutate({ conversationId, seq });
      } catch {
        marked.current = 0; // try again on the next change
      }
    },
    [client, conversationId, trpcClient],
  );
}

/** A message typed here that is not in history yet, as the view shows it. */
export type TPendingMessage = {
  clientMsgId: string;
  body: string;
  /** How many files it carries (they show once the message is stored). */
  attachmentCount: number;
  /** `sending` until the server stored it, then `sent` until its own event arrives; `failed` if refused. */
  status: "sending" | "sent" | "failed";
  error?: string;
};

/** An outbox entry as the views show it. */
export function toPending(entry: TOutboxEntry): TPendingMessage {
  const status = entry.status === "failed" ? "failed" : entry.status === "sent" ? "sent" : "sending";
  return {
    clientMsgId: entry.clientMsgId,
    body: entry.body,
    attachmentCount: entry.attachmentIds?.length ?? 0,
    status,
    ...(entry.error ? { error: entry.error.message } : {}),
  };
}

/** An outbox entry the channel shows; thread-only replies are shown (pending) by the thread panel. */
function isInChannel(e: TOutboxEntry): boolean {
  return !e.threadRootId || e.alsoInChannel === true;
}

/**
 * The outbox entries of one conversation that `belongs` accepts (the channel's or one thread's),
 * kept current from the client's `outbox` events. `belongs` must be stable (module-level or memoized).
 */
export function useOutbox(
  client: ParleyClient | null,
  conversationId: string,
  belongs: (e: TOutboxEntry) => boolean,
): TOutboxEntry[] {
  const [entries, setEntries] = useState<TOutboxEntry[]>([]);
  useEffect(() => {
    if (!client) {
      setEntries([]);
      return;
    }
    const mine = (all: readonly TOutboxEntry[]) =>
      all.filter((e) => e.conversationId === conversationId && belongs(e));
    setEntries(mine(client.getOutbox(conversationId)));
    return client.on("outbox", (_entry, all) => setEntries(mine(all)));
  }, [client, conversationId, belongs]);
  return entries;
}

/** Sends a `failed` outbox entry again with its clientMsgId (a refusal shows as `failed` again). */
export function useRetry(client: ParleyClient | null): (clientMsgId: string) => void {
  return useCallback(
    (clientMsgId: string) => {
      void client?.retry(clientMsgId).catch(() => {});
    },
    [client],
  );
}

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
        const live = !isReplace && previous && !previous.isComplete ? previous.messages : [];
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
      setPageError(err instanceof Error ? err.message : "Could not load older messages");
    } finally {
      isOlderInFlight.current = false;
      setLoadingOlder(false);
    }
  }, [conversationId, key, queryClient, trpcClient]);

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
      setPageError(err instanceof Error ? err.message : "Could not load newer messages");
    } finally {
      isNewerInFlight.current = false;
      setLoadingNewer(false);
    }
  }, [conversationId, key, queryClient, trpcClient]);

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
          setPageError(err instanceof Error ? err.message : "Could not load that message");
        }
      } finally {
        if (gen === generation.current) setJumping(false);
      }
    },
    [conversationId, key, queryClient, track, trpc, trpcClient],
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
        setPageError(err instanceof Error ? err.message : "Could not load the latest messages");
      }
    } finally {
      if (gen === generation.current) setJumping(false);
    }
  }, [conversationId, key, queryClient, trpcClient]);

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

  const loadError = feed.error ? feed.error.message : pageError;

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

/**
 * Edit, delete and react through tRPC. No optimistic patch: the change shows when its event comes
 * back over the socket (like everyone else's), so every device and the log agree.
 */
export function useMessageActions() {
  const trpcClient = useTRPCClient();
  const edit = useCallback(
    (messageId: string, body: string) => trpcClient.messages.edit.mutate({ messageId, body }),
    [trpcClient],
  );
  const remove = useCallback(
    (messageId: string) => trpcClient.messages.delete.mutate({ messageId }),
    [trpcClient],
  );
  const toggleReaction = useCallback(
    (messageId: string, emoji: string, isMine: boolean) =>
      isMine
        ? trpcClient.messages.unreact.mutate({ messageId, emoji })
        : trpcClient.messages.react.mutate({ messageId, emoji }),
    [trpcClient],
  );
  const pin = useCallback((messageId: string) => trpcClient.messages.pin.mutate({ messageId }), [trpcClient]);
  const unpin = useCallback(
    (messageId: string) => trpcClient.messages.unpin.mutate({ messageId }),
    [trpcClient],
  );
  return { edit, remove, toggleReaction, pin, unpin };
}

/** A typing frame shows for this long unless renewed (senders repeat it at most every 3 s). */
export const TYPING_TTL_MS = 6_000;

/**
 * Ids of the other users typing in a conversation now, oldest first. Each expires TYPING_TTL_MS
 * after its last frame, or at once when that user's message arrives. Typing frames are ephemeral
 * (never in the log), so this is component state, not a query cache entry.
 */
export function useTyping(conversationId: string): string[] {
  const { client, userId } = useRealtime();
  const [typing, setTyping] = useState<string[]>([]);
  useEffect(() => {
    setTyping([]);
    if (!client) return;
    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    const stop = (id: string) => {
      clearTimeout(timers.get(id));
      if (timers.delete(id)) setTyping((ids) => ids.filter((x) => x !== id));
    };
    const offTyping = client.on("typing", (frame) => {
      if (frame.conversationId !== conversationId || frame.userId === userId) return;
      clearTimeout(timers.get(frame.userId));
      timers.set(
        frame.userId,
        setTimeout(() => stop(frame.userId), TYPING_TTL_MS),
      );
      setTyping((ids) => (ids.includes(frame.userId) ? ids : [...ids, frame.userId]));
    });
    const offEvent = client.on("event", (event) => {
      if (
        event.conversationId === conversationId &&
        event.kind === EventKind.MessageCreated &&
        event.actorId
      ) {
        stop(event.actorId);
      }
    });
    return () => {
      offTyping();
      offEvent();
      for (const t of timers.values()) clearTimeout(t);
    };
  }, [client, conversationId, userId]);
  return typing;
}

/** Tells the conversation's members that this user is typing (the SDK throttles the frames). */
export function useSendTyping(conversationId: string): () => void {
  const { client } = useRealtime();
  return useCallback(() => {
    client?.typing(conversationId);
  }, [client, conversationId]);
}

/** A saved custom status as one line ("🌴 On vacation"), "" when none. */
export function savedStatusLine(user: { statusEmoji?: string; statusText?: string }): string {
  return [user.statusEmoji, user.statusText].filter(Boolean).join(" ");
}

/**
 * The status line to show for a user: the live one their presence carries while they are online
 * or away (it changes the moment they set a new status), else the saved one.
 */
export function statusLineOf(
  live: ReadonlyMap<string, string>,
  userId: string,
  saved: { statusEmoji?: string; statusText?: string },
): string {
  return live.get(userId) ?? savedStatusLine(saved);
}

/** A user's presence as the UI shows it. */
export type TPresenceStatus = "online" | "away" | "offline";

/**
 * Watches the presence of `userIds` (the SDK re-sends the watch after reconnects and the server
 * answers with current values); users not heard from yet are `offline`. Also returns the status
 * line each watched user's presence carries while they are online or away (the gateway starts it
 * from the saved status; their devices update it on `preferences.updated`). One caller per tab:
 * the watch replaces the previous set.
 */
export function usePresence(userIds: readonly string[]): {
  statuses: ReadonlyMap<string, TPresenceStatus>;
  lines: ReadonlyMap<string, string>;
} {
  const { client } = useRealtime();
  const [state, setState] = useState<{
    statuses: ReadonlyMap<string, TPresenceStatus>;
    lines: ReadonlyMap<string, string>;
  }>({ statuses: new Map(), lines: new Map() });
  const key = [...new Set(userIds)].sort().join(",");
  useEffect(() => {
    if (!client) return;
    const off = client.on("presence", (frame) => {
      setState((current) => {
        const line = frame.status === "offline" ? undefined : (frame.statusText ?? "");
        const isSame =
          current.statuses.get(frame.userId) === frame.status && current.lines.get(frame.userId) === line;
        if (isSame) return current;
        const lines = new Map(current.lines);
        if (line === undefined) lines.delete(frame.userId);
        else lines.set(frame.userId, line);
        return { statuses: new Map(current.statuses).set(frame.userId, frame.status), lines };
      });
    });
    client.watchPresence(key ? key.split(",") : []);
    return off;
  }, [client, key]);
  return state;
}
