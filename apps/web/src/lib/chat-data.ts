"use client";

/**
 * Every piece of live chat data the UI reads comes through TanStack Query caches that are loaded
 * over tRPC and then kept current by the tab's ParleyClient (realtime-provider.tsx), with no
 * polling. This module wires the client to those caches; only a slow safety refetch remains
 * (SAFETY_REFETCH_MS, and on window focus).
 *
 * - History: one cache entry per conversation (`feedKey`), messages by seq, loaded and paged by
 *   `useConversationFeed` (conversation-feed.ts). Live message.created/edited/deleted and
 *   reaction.added/removed patch the entry (reactions as sets, so replaying one is harmless; the
 *   patches are the pure reducers of live-reducers.ts); `resync` (the client cannot catch up
 *   incrementally) makes the next load refetch the newest page and replace the entry.
 * - A page request races live edits, deletes and reactions: those seen while it is in flight are
 *   re-applied to the page (`fetchPage`), so a page never undoes a change the tab already showed.
 * - Conversations list (sidebar): new messages and read.updated from any device move its
 *   counts in the cache (list-counts.ts, as the server counts them); only an event the cached list
 *   cannot take (a conversation not in it, a read mark leaving some unread, a fetch in flight that
 *   may predate it) and those that change more than counts — added/removed/dm.opened, deletes of
 *   unread messages — invalidate it (coalesced), which refetches it once. Every member
 *   conversation in it is tracked from its lastSeq so unread badges move live.
 * - Sending goes through the SDK's outbox (outbox.ts).
 *
 * To add a live event: handle its kind in `connectLiveData` and patch (or invalidate) the query it
 * changes; never fetch in a loop from an event.
 */
import type { ParleyClient } from "@parley/client";
import {
  decodeConversationEvent,
  decodeUserEvent,
  EventKind,
  type TConversationEvent,
  type TUserEvent,
  UserEventKind,
} from "@parley/protocol";
import { type QueryClient, useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useRef } from "react";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import type { TConversationSummary } from "~/trpc/types";
import { applyEmojiChange } from "./custom-emoji";
import { addEphemeral } from "./ephemeral";
import { EMPTY_FEED, newestSeq, type TFeed, type TFeedView, type THistoryPage } from "./feed-window";
import { applyLaterEvent } from "./later-data";
import { applyReadMark, countNewMessage } from "./list-counts";
import { applyToFeed, isMessageChange, type TLiveEvent, type TMessageCreatedEvent } from "./live-reducers";
import { useRealtime } from "./realtime-context";
import { refetchFresh } from "./refetch";
import { applyToThreads } from "./thread-data";

/** Safety net only: lists and history refetch this often (and on window focus) in case a push was missed. */
export const SAFETY_REFETCH_MS = 60_000;
/** Bursts of events that change unread counts cause one list refetch after this quiet time. */
const LIST_REFRESH_MS = 150;

type TTRPC = ReturnType<typeof useTRPC>;
type TTRPCClient = ReturnType<typeof useTRPCClient>;

export type { TFeed, TFeedView };

/** The newest seq a history entry holds, in its window or (detached) waiting below it; 0 when none. */
function newestHeld(feed: TFeed | undefined): number {
  return feed ? Math.max(newestSeq(feed.messages), newestSeq(feed.buffered)) : 0;
}

/** Query key of a conversation's history. */
export const feedKey = (conversationId: string) => ["parley", "feed", conversationId] as const;

/**
 * Conversations whose next history load must replace, not merge (after `resync`; read by
 * useConversationFeed), each with the messages the SDK delivered since that resync. The page the
 * load reads may predate them (a message sent while it is in flight, say just after joining a
 * channel, whose join is learnt by a resync): the load replaces the stale cache but keeps these.
 */
export const replaceOnNextLoad = new Map<string, TMessageCreatedEvent[]>();

/**
 * Per conversation, the lists collecting message changes (edits, deletes, reactions) seen while a
 * page request is in flight; `fetchPage` re-applies them to the page.
 */
const changeWatchers = new Map<string, Set<TLiveEvent[]>>();

/** Requests a history page and returns it with the message changes that arrived meanwhile. */
export async function fetchPage(
  trpcClient: TTRPCClient,
  input: { conversationId: string; before?: number; after?: number; around?: number; limit: number },
): Promise<{ page: THistoryPage; changes: TLiveEvent[] }> {
  const changes: TLiveEvent[] = [];
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
      void refetchFresh(queryClient, trpc.conversations.list.queryFilter());
    }, LIST_REFRESH_MS);
  };
  type TList = TConversationSummary[];
  /** Moves the cached list by an event (list-counts.ts), or refetches it when the event cannot. */
  const patchList = (apply: (list: TList) => readonly TConversationSummary[] | null) => {
    const key = trpc.conversations.list.queryKey();
    const list = queryClient.getQueryData<TList>(key);
    // A fetch in flight may have read the server before this event, and its answer replaces the
    // cache: it is cancelled and the list fetched again after (refreshList).
    if (!list || queryClient.getQueryState(key)?.fetchStatus === "fetching") return refreshList();
    const next = apply(list);
    if (next === null) refreshList();
    else if (next !== list) queryClient.setQueryData<TList>(key, [...next]);
  };
  /**
   * Whether the cached list counts unread messages in the conversation: an edit (its mentions) or
   * a delete of one of them may change the counts, in a way only the server can say.
   */
  const hasUnreadIn = (conversationId: string) => {
    const row = queryClient
      .getQueryData<TList>(trpc.conversations.list.queryKey())
      ?.find((c) => c.id === conversationId);
    return row !== undefined && (row.unreadCount > 0 || row.mentionCount > 0);
  };
  const refreshConversation = (conversationId: string) => {
    void refetchFresh(queryClient, trpc.conversations.get.queryFilter({ conversationId }));
  };

  const onEvent = (frame: TConversationEvent) => {
    // Kinds this tab does not know (a newer server) and payloads it cannot read are ignored.
    const event = decodeConversationEvent(frame);
    if (!event) return;
    const key = feedKey(event.conversationId);
    if (isMessageChange(event)) {
      for (const changes of changeWatchers.get(event.conversationId) ?? []) changes.push(event);
    }
    if (event.kind === EventKind.MessageCreated) replaceOnNextLoad.get(event.conversationId)?.push(event);
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
        void refetchFresh(queryClient, { queryKey: key });
      }
    }
    applyToThreads(queryClient, event);
    switch (event.kind) {
      case EventKind.MessageCreated:
        // The reader's own count for nothing but move the row's lastSeq (as a fresh fetch would).
        patchList((list) => countNewMessage(list, event, userId));
        return;
      case EventKind.MessageEdited:
        // A mention added or removed: the mention count moves if the message is unread.
        if (event.actorId !== userId && hasUnreadIn(event.conversationId)) refreshList();
        return;
      case EventKind.MessageDeleted:
        // Counts drop if the message was unread, which the list cannot tell (no message seq here).
        if (hasUnreadIn(event.conversationId)) refreshList();
        void refetchFresh(
          queryClient,
          trpc.messages.pins.queryFilter({ conversationId: event.conversationId }),
        );
        return;
      case EventKind.MessagePinned:
      case EventKind.MessageUnpinned:
        // The pins list is only loaded while its panel is (or was) open; refetch it if so.
        void refetchFresh(
          queryClient,
          trpc.messages.pins.queryFilter({ conversationId: event.conversationId }),
        );
        return;
      case EventKind.MemberJoined:
      case EventKind.MemberLeft:
        void refetchFresh(
          queryClient,
          trpc.conversations.members.queryFilter({ conversationId: event.conversationId }),
        );
        refreshConversation(event.conversationId);
        if (event.payload.userId === userId) refreshList();
        return;
      case EventKind.MemberUpdated:
        // Someone's profile changed (name, title, pronouns, avatar): the lists that show them follow;
        // message rows got the name from applyToFeed above and read avatars from the member list.
        void refetchFresh(
          queryClient,
          trpc.conversations.members.queryFilter({ conversationId: event.conversationId }),
        );
        void refetchFresh(queryClient, trpc.users.list.queryFilter());
        void refetchFresh(queryClient, trpc.profile.get.pathFilter());
        if (event.payload.userId === userId) void refetchFresh(queryClient, trpc.users.me.queryFilter());
        refreshList(); // DM names and avatars in the sidebar
        return;
      case EventKind.ConversationUpdated:
        // Renamed, new topic, archived, converted public ↔ private (`kind`) or a new owner.
        if (event.payload.ownerId !== undefined) {
          void refetchFresh(
            queryClient,
            trpc.conversations.members.queryFilter({ conversationId: event.conversationId }),
          );
        }
        refreshConversation(event.conversationId);
        refreshList();
        return;
    }
  };

  const onUserEvent = (frame: TUserEvent) => {
    const event = decodeUserEvent(frame);
    if (!event) return;
    switch (event.kind) {
      case UserEventKind.ReadUpdated:
        patchList((list) => applyReadMark(list, event.payload));
        return;
      case UserEventKind.PreferencesUpdated:
        // A new custom status (set here or on another device): the footer and member lists follow
        // (RealtimeProvider also puts it in this device's presence, so watchers see it live).
        // Notification settings changed (payload { notifications: true }): settings and the tab's rule follow.
        if (event.payload.notifications === true) {
          void refetchFresh(queryClient, trpc.notifications.settings.queryFilter());
          return;
        }
        // "Show unreads at the top" changed (here or on another device): the sidebar re-sorts.
        // The UI language changed on another device: this one renders it from its next page load.
        if (event.payload.sidebarUnreadsFirst !== undefined || event.payload.locale !== undefined) {
          void refetchFresh(queryClient, trpc.users.preferences.queryFilter());
          return;
        }
        void refetchFresh(queryClient, trpc.users.me.queryFilter());
        void refetchFresh(queryClient, trpc.conversations.members.pathFilter());
        return;
      case UserEventKind.RoleChanged:
        // An admin changed my role: admin views, the people I may see and (as a guest) the
        // channels I may read follow without a reload.
        void refetchFresh(queryClient, trpc.users.pathFilter());
        void refetchFresh(queryClient, trpc.conversations.pathFilter());
        refreshList();
        return;
      case UserEventKind.MembershipUpdated:
        // Muted on another device (or here): the list and the header's menu follow.
        refreshList();
        refreshConversation(event.payload.conversationId);
        return;
      case UserEventKind.ConversationRemoved:
        // Deleted by an admin: its history is gone for everyone, so drop the cached pages too.
        if (event.payload.deleted)
          queryClient.removeQueries({ queryKey: feedKey(event.payload.conversationId) });
        refreshList();
        refreshConversation(event.payload.conversationId);
        return;
      case UserEventKind.EphemeralMessage:
        // A slash command's answer for this user only: shown in its conversation until reload.
        addEphemeral({
          ...event.payload,
          senderName: event.payload.senderName ?? "App",
          at: new Date().toISOString(),
          afterSeq: newestHeld(queryClient.getQueryData<TFeed>(feedKey(event.payload.conversationId))),
        });
        return;
      case UserEventKind.EmojiChanged:
        // A custom emoji was added or deleted: the picker, bodies and reactions follow.
        queryClient.setQueryData(trpc.emoji.list.queryKey(), (list) => applyEmojiChange(list, event.payload));
        return;
      case UserEventKind.ConversationAdded:
      case UserEventKind.DmOpened:
        refreshList();
        refreshConversation(event.payload.conversationId);
        return;
      case UserEventKind.SavedUpdated:
      case UserEventKind.ReminderUpdated:
      case UserEventKind.ReminderFired:
        // Saved messages and reminders (later-data.ts): the marks, the lists, a fired reminder's notice.
        applyLaterEvent(queryClient, trpc, event);
        return;
    }
  };

  const onResync = (conversationId: string) => {
    replaceOnNextLoad.set(conversationId, []);
    void refetchFresh(queryClient, { queryKey: feedKey(conversationId) });
    refreshList();
  };

  const onForbidden = (conversationId: string) => {
    queryClient.removeQueries({ queryKey: feedKey(conversationId) });
    refreshConversation(conversationId);
    refreshList();
  };

  // A client that knows no place in its user's own log (a fresh tab: no stored cursor and no user
  // event yet) says `hello` without one and is served user events from its welcome on: one
  // committed between this page's first fetches and that welcome (a setting changed on another
  // device, a custom emoji added) never reaches it. So on such a welcome everything but the
  // histories and threads (which resume from the conversations' cursors) is fetched again: the
  // fetches run after the subscription, so nothing falls between.
  const onState = (change: { to: string }) => {
    if (change.to !== "open" || client.userCursor !== null) return;
    // refetchFresh: the page's first fetches may still be in flight, having read before the event.
    void refetchFresh(queryClient, { predicate: (query) => query.queryKey[0] !== feedKey("")[0] });
  };

  const offs = [
    client.on("state", onState),
    client.on("event", onEvent),
    client.on("userEvent", onUserEvent),
    client.on("resync", onResync),
    // Retention removed the start of the log: what this tab holds of it is gone; refetch as after a resync.
    client.on("truncated", onResync),
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

/**
 * Marks a conversation of the list read to its newest message (plain Escape on the open one): the
 * list's `lastSeq`, or this device's cursor when a message arrived since the list was fetched (its
 * refetch is still on the way, and Escape right after a message lands must cover it). Nothing when
 * nothing is unread. Through the socket when there is one, else tRPC; the list refetches after.
 */
export function useMarkConversationRead() {
  const trpcClient = useTRPCClient();
  const { client } = useRealtime();
  return useCallback(
    (conversation: { id: string; lastSeq: number; readSeq: number }) => {
      const conversationId = conversation.id;
      const seq = Math.max(conversation.lastSeq, client?.cursor(conversationId) ?? 0);
      if (seq <= conversation.readSeq) return;
      if (client) client.markRead(conversationId, seq);
      else void trpcClient.conversations.markRead.mutate({ conversationId, seq }).catch(() => undefined);
    },
    [client, trpcClient],
  );
}

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
  const removePreview = useCallback(
    (messageId: string) => trpcClient.messages.removePreview.mutate({ messageId }),
    [trpcClient],
  );
  return { edit, remove, toggleReaction, pin, unpin, removePreview };
}
