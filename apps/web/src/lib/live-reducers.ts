/**
 * Pure reducers for live data: what one conversation event does to a loaded history (`applyToFeed`)
 * or thread (`applyToThread`). No React, no tRPC: chat-data.ts and thread-data.ts apply them to
 * their query caches, and live-reducers.test.ts tests them directly. Events arrive decoded by the
 * protocol's schemas (`decodeConversationEvent`, in connectLiveData), so payloads are typed here.
 * To handle a new event kind, add its case to `applyToFeed` (threads reuse it for everything but
 * new replies); the live-state-*.integration.test.ts stories check every kind against a fresh fetch.
 */
import { EventKind, type TKnownConversationEvent } from "@parley/protocol";
import type { TMessage } from "~/trpc/types";
import { addMessage, EMPTY_FEED, mergeMessages, patchMessages, type TFeed } from "./feed-window";
import { applyReaction } from "./reactions";

/** A conversation event whose payload the protocol decoded (`decodeConversationEvent`). */
export type TLiveEvent = TKnownConversationEvent;

/** Re-applies changes seen during a page request (idempotent: bodies replace, reactions are sets). */
export function reapply(feed: TFeed, changes: readonly TLiveEvent[]): TFeed {
  return changes.reduce(applyToFeed, feed);
}

/** A live `message.created` event. */
export type TMessageCreatedEvent = TLiveEvent & { kind: typeof EventKind.MessageCreated };

/**
 * The message a message.created event carries, in the shape history returns: the payload's
 * message, the frame's conversation and seq, and a new message's state (no replies, edits,
 * deletion or reactions yet).
 */
export function messageFromEvent(event: TMessageCreatedEvent): TMessage {
  return {
    ...event.payload.message,
    conversationId: event.conversationId,
    seq: event.seq,
    replyCount: 0,
    editedAt: null,
    deletedAt: null,
    reactions: [],
    linkPreview: null,
  };
}

/**
 * Applies one live conversation event to a loaded history; returns it unchanged when not relevant.
 * A thread reply bumps its root's count and last-reply time, and joins the channel's history only
 * when sent "also to the channel" (as messages.history returns it).
 */
export function applyToFeed(feed: TFeed, event: TLiveEvent): TFeed {
  switch (event.kind) {
    case EventKind.MessageCreated:
      return addMessage(feed, messageFromEvent(event));
    case EventKind.MessagePinned:
    case EventKind.MessageUnpinned: {
      const { messageId } = event.payload;
      const pin =
        event.kind === EventKind.MessagePinned
          ? { pinnedAt: event.payload.pinnedAt, pinnedById: event.payload.pinnedById }
          : { pinnedAt: null, pinnedById: null };
      if (![...feed.messages, ...feed.buffered].some((m) => m.id === messageId)) return feed;
      return patchMessages(feed, (m) => (m.id === messageId ? { ...m, ...pin } : m));
    }
    case EventKind.MessagePreview: {
      const { messageId, preview } = event.payload;
      return patchMessages(feed, (m) =>
        m.id === messageId && !m.deletedAt ? { ...m, linkPreview: preview } : m,
      );
    }
    case EventKind.MessageEdited: {
      const { messageId, ...edit } = event.payload;
      return patchMessages(feed, (m) => (m.id === messageId ? { ...m, ...edit } : m));
    }
    case EventKind.MessageDeleted: {
      // A deleted reply carries its root's new reply count and last reply time; a delete also unpins.
      const { messageId, deletedAt, threadRootId, replyCount, lastReplyAt } = event.payload;
      return patchMessages(feed, (m) => {
        if (m.id === messageId) {
          return {
            ...m,
            body: "",
            mentionedUserIds: [],
            mentionsAll: false,
            attachments: [],
            reactions: [],
            linkPreview: null,
            pinnedAt: null,
            pinnedById: null,
            deletedAt,
          };
        }
        if (threadRootId && m.id === threadRootId && replyCount !== undefined) {
          return { ...m, replyCount, lastReplyAt: lastReplyAt ?? null };
        }
        return m;
      });
    }
    case EventKind.ReactionAdded:
    case EventKind.ReactionRemoved: {
      const { messageId, userId, emoji } = event.payload;
      const isAdded = event.kind === EventKind.ReactionAdded;
      return patchMessages(feed, (m) =>
        m.id === messageId && !m.deletedAt
          ? { ...m, reactions: applyReaction(m.reactions, emoji, userId, isAdded) }
          : m,
      );
    }
    case EventKind.MemberUpdated: {
      // A new display name: the sender's messages show it (history reads the current name too).
      const { userId, name } = event.payload;
      const isStale = (m: TMessage) => m.senderId === userId && m.senderName !== name;
      if (![...feed.messages, ...feed.buffered].some(isStale)) return feed;
      return patchMessages(feed, (m) => (isStale(m) ? { ...m, senderName: name } : m));
    }
    default:
      return feed;
  }
}

/** True for the events that change a message already in a history (edits, deletes, reactions, pins, previews, sender names). */
export function isMessageChange(event: TLiveEvent): boolean {
  return (
    event.kind === EventKind.MessageEdited ||
    event.kind === EventKind.MessageDeleted ||
    event.kind === EventKind.ReactionAdded ||
    event.kind === EventKind.ReactionRemoved ||
    event.kind === EventKind.MessagePinned ||
    event.kind === EventKind.MessageUnpinned ||
    event.kind === EventKind.MessagePreview ||
    event.kind === EventKind.MemberUpdated
  );
}

/** One thread as the panel shows it: the root and its replies (ascending seq). */
export type TThread = { root: TMessage; replies: TMessage[]; hasMoreBefore: boolean };

/**
 * Applies one live conversation event to a loaded thread; returns it unchanged when not relevant.
 * A new reply is merged by seq (a replay is harmless) and bumps the root's count once; edits,
 * deletes, reactions and pins patch the root or a reply like they patch channel history.
 */
export function applyToThread(thread: TThread, event: TLiveEvent): TThread {
  if (event.conversationId !== thread.root.conversationId) return thread;
  if (event.kind === EventKind.MessageCreated) {
    const reply = messageFromEvent(event);
    if (reply.threadRootId !== thread.root.id) return thread;
    const isNew = !thread.replies.some((r) => r.seq === reply.seq);
    return {
      ...thread,
      replies: mergeMessages(thread.replies, [reply]),
      root: isNew
        ? { ...thread.root, replyCount: thread.root.replyCount + 1, lastReplyAt: reply.createdAt }
        : thread.root,
    };
  }
  const all = [thread.root, ...thread.replies];
  const next = applyToFeed({ ...EMPTY_FEED, messages: all, hasMoreBefore: false, isComplete: true }, event);
  if (next.messages === all) return thread;
  const root = next.messages.find((m) => m.id === thread.root.id) ?? thread.root;
  return { ...thread, root, replies: next.messages.filter((m) => m.id !== thread.root.id) };
}
