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
import { applyReaction } from "./reactions";
import { useRealtime } from "./realtime-context";
import { applyToThreads } from "./thread-data";
import { unconfirmed } from "./timeline";

/** Safety net only: lists and history refetch this often (and on window focus) in case a push was missed. */
export const SAFETY_REFETCH_MS = 60_000;
const PAGE = 50;
/** Bursts of events that change unread counts cause one list refetch after this quiet time. */
const LIST_REFRESH_MS = 150;

type TTRPC = ReturnType<typeof useTRPC>;
type TTRPCClient = ReturnType<typeof useTRPCClient>;

/** One conversation's loaded history. `isComplete` is false while only live events are in it. */
export type TFeed = { messages: TMessage[]; hasMoreBefore: boolean; isComplete: boolean };

/** Query key of a conversation's history. */
export const feedKey = (conversationId: string) => ["parley", "feed", conversationId] as const;

/** Conversations whose next history load must replace, not merge (after `resync`). */
const replaceOnNextLoad = new Set<string>();

function bySeq(messages: readonly TMessage[]): TMessage[] {
  return [...messages].sort((a, b) => a.seq - b.seq);
}

/** Merges messages by seq (a later copy of a seq replaces the earlier one). */
function mergeMessages(current: readonly TMessage[], incoming: readonly TMessage[]): TMessage[] {
  const map = new Map<number, TMessage>();
  for (const m of current) map.set(m.seq, m);
  for (const m of incoming) map.set(m.seq, m);
  return bySeq([...map.values()]);
}

function newestSeq(messages: readonly TMessage[]): number {
  return messages.at(-1)?.seq ?? 0;
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
      const isShown = !message.threadRootId || message.alsoInChannel;
      const isNew = !feed.messages.some((m) => m.seq === message.seq);
      let messages = isShown ? mergeMessages(feed.messages, [message]) : feed.messages;
      if (message.threadRootId && isNew && feed.messages.some((m) => m.id === message.threadRootId)) {
        messages = messages.map((m) =>
          m.id === message.threadRootId
            ? { ...m, replyCount: m.replyCount + 1, lastReplyAt: message.createdAt }
            : m,
        );
      }
      return messages === feed.messages ? feed : { ...feed, messages };
    }
    case EventKind.MessagePinned:
    case EventKind.MessageUnpinned: {
      const messageId = str(event.payload.messageId);
      if (!messageId) return feed;
      const isPinned = event.kind === EventKind.MessagePinned;
      const pinnedAt = isPinned ? (date(event.payload.pinnedAt) ?? new Date(event.createdAt)) : null;
      const pinnedById = isPinned ? (str(event.payload.pinnedById) ?? event.actorId ?? null) : null;
      if (!feed.messages.some((m) => m.id === messageId)) return feed;
      return {
        ...feed,
        messages: feed.messages.map((m) => (m.id === messageId ? { ...m, pinnedAt, pinnedById } : m)),
      };
    }
    case EventKind.MessageEdited: {
      const messageId = str(event.payload.messageId);
      const body = str(event.payload.body);
      if (!messageId || body === null) return feed;
      const editedAt = date(event.payload.editedAt) ?? new Date(event.createdAt);
      return {
        ...feed,
        messages: feed.messages.map((m) => (m.id === messageId ? { ...m, body, editedAt } : m)),
      };
    }
    case EventKind.MessageDeleted: {
      const messageId = str(event.payload.messageId);
      if (!messageId) return feed;
      const deletedAt = date(event.payload.deletedAt) ?? new Date(event.createdAt);
      // A deleted reply carries its root's new reply count and last reply time; a delete also unpins.
      const rootId = str(event.payload.threadRootId);
      const replyCount = typeof event.payload.replyCount === "number" ? event.payload.replyCount : null;
      const lastReplyAt = date(event.payload.lastReplyAt);
      return {
        ...feed,
        messages: feed.messages.map((m) => {
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
        }),
      };
    }
    case EventKind.ReactionAdded:
    case EventKind.ReactionRemoved: {
      const messageId = str(event.payload.messageId);
      const userId = str(event.payload.userId);
      const emoji = str(event.payload.emoji);
      if (!messageId || !userId || !emoji) return feed;
      const isAdded = event.kind === EventKind.ReactionAdded;
      return {
        ...feed,
        messages: feed.messages.map((m) =>
          m.id === messageId && !m.deletedAt
            ? { ...m, reactions: applyReaction(m.reactions, emoji, userId, isAdded) }
            : m,
        ),
      };
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
    const feed = queryClient.getQueryData<TFeed>(key);
    if (feed) {
      const next = applyToFeed(feed, event);
      if (next !== feed) queryClient.setQueryData<TFeed>(key, next);
    } else if (queryClient.getQueryState(key)?.fetchStatus === "fetching") {
      if (event.kind === EventKind.MessageCreated) {
        // The first load is in flight and may have read the log before this event: keep it so the
        // load merges it (see useConversationFeed) instead of losing it until the next safety refetch.
        queryClient.setQueryData<TFeed>(
          key,
          applyToFeed({ messages: [], hasMoreBefore: true, isComplete: false }, event),
        );
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
function isInChannel(e: TOutboxEntry, conversationId: string): boolean {
  return e.conversationId === conversationId && (!e.threadRootId || e.alsoInChannel === true);
}

/** The outbox entries of one conversation, kept current from the client's `outbox` events. */
function useOutbox(client: ParleyClient | null, conversationId: string): TOutboxEntry[] {
  const [entries, setEntries] = useState<TOutboxEntry[]>(
    () => client?.getOutbox(conversationId).filter((e) => isInChannel(e, conversationId)) ?? [],
  );
  useEffect(() => {
    if (!client) {
      setEntries([]);
      return;
    }
    setEntries(client.getOutbox(conversationId).filter((e) => isInChannel(e, conversationId)));
    return client.on("outbox", (_entry, all) => {
      setEntries(all.filter((e) => isInChannel(e, conversationId)));
    });
  }, [client, conversationId]);
  return entries;
}

/** History, outbox and paging for one conversation. Mount it with `key={conversationId}`. */
export function useConversationFeed(conversationId: string) {
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();
  const { client } = useRealtime();
  const [isLoadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const key = feedKey(conversationId);

  const feed = useQuery({
    queryKey: key,
    queryFn: async (): Promise<TFeed> => {
      // lastSeq before the page: every event after it is delivered by the client, and whatever
      // of it the page already holds is merged by seq.
      const conversation = await trpcClient.conversations.get.query({ conversationId });
      const page = await trpcClient.messages.history.query({ conversationId, limit: PAGE });
      const previous = queryClient.getQueryData<TFeed>(key);
      const isReplace = replaceOnNextLoad.delete(conversationId);
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
          messages: mergeMessages(page.messages, live),
          hasMoreBefore: page.hasMoreBefore,
          isComplete: true,
        };
      } else {
        next = {
          messages: mergeMessages(previous.messages, page.messages),
          hasMoreBefore: previous.isComplete ? previous.hasMoreBefore : page.hasMoreBefore,
          isComplete: true,
        };
      }
      if (client && conversation.isMember && client.cursor(conversationId) === undefined) {
        client.track(conversationId, conversation.lastSeq);
      }
      return next;
    },
    staleTime: SAFETY_REFETCH_MS / 2,
    refetchInterval: SAFETY_REFETCH_MS,
    refetchOnWindowFocus: true,
  });

  const messages = feed.data?.messages ?? EMPTY;
  const isLoaded = feed.data?.isComplete ?? false;

  const loadOlder = useCallback(async () => {
    const oldest = queryClient.getQueryData<TFeed>(key)?.messages[0]?.seq;
    if (oldest === undefined) return;
    setLoadingOlder(true);
    try {
      const page = await trpcClient.messages.history.query({ conversationId, before: oldest, limit: PAGE });
      queryClient.setQueryData<TFeed>(key, (f) =>
        f
          ? { ...f, messages: mergeMessages(page.messages, f.messages), hasMoreBefore: page.hasMoreBefore }
          : f,
      );
      setOlderError(null);
    } catch (err) {
      setOlderError(err instanceof Error ? err.message : "Could not load older messages");
    } finally {
      setLoadingOlder(false);
    }
  }, [conversationId, key, queryClient, trpcClient]);

  const outbox = useOutbox(client, conversationId);

  const send = useCallback(
    (body: string, options?: TSendOptions) => {
      if (!client) return false;
      client.send(conversationId, body, options);
      return true;
    },
    [client, conversationId],
  );

  const retry = useCallback(
    (clientMsgId: string) => {
      void client?.retry(clientMsgId).catch(() => {}); // a refusal shows as `failed` again
    },
    [client],
  );

  // An entry whose message is already in history is shown once, as that message.
  const pending = useMemo(() => unconfirmed(outbox, messages).map(toPending), [outbox, messages]);

  const loadError = feed.error ? feed.error.message : olderError;

  return {
    messages,
    pending,
    isLoaded,
    hasMoreBefore: feed.data?.hasMoreBefore ?? false,
    isLoadingOlder,
    loadError,
    loadOlder,
    send,
    canSend: client !== null,
    retry,
    newestSeq: newestSeq(messages),
  };
}

const EMPTY: TMessage[] = [];

/** The quick reactions offered on every message (the full picker is a later issue). */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "👀"] as const;

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

/** A user's presence as the UI shows it. */
export type TPresenceStatus = "online" | "away" | "offline";

/**
 * Watches the presence of `userIds` (the SDK re-sends the watch after reconnects and the server
 * answers with current values); users not heard from yet are `offline`. One caller per tab: the
 * watch replaces the previous set.
 */
export function usePresence(userIds: readonly string[]): ReadonlyMap<string, TPresenceStatus> {
  const { client } = useRealtime();
  const [statuses, setStatuses] = useState<ReadonlyMap<string, TPresenceStatus>>(new Map());
  const key = [...new Set(userIds)].sort().join(",");
  useEffect(() => {
    if (!client) return;
    const off = client.on("presence", (frame) => {
      setStatuses((m) =>
        m.get(frame.userId) === frame.status ? m : new Map(m).set(frame.userId, frame.status),
      );
    });
    client.watchPresence(key ? key.split(",") : []);
    return off;
  }, [client, key]);
  return statuses;
}
