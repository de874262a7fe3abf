/**
 * Pure reducers for live data: what one conversation event does to a loaded history (`applyToFeed`)
 * or thread (`applyToThread`). No React, no tRPC: chat-data.ts and thread-data.ts apply them to
 * their query caches, and live-reducers.test.ts tests them directly. To handle a new event kind,
 * add its case to `applyToFeed` (threads reuse it for everything but new replies).
 */
import { EventKind, type TConversationEvent } from "@parley/protocol";
import type { TMessage } from "~/trpc/types";
import { addMessage, EMPTY_FEED, mergeMessages, patchMessages, type TFeed } from "./feed-window";
import { applyReaction } from "./reactions";

/** Re-applies changes seen during a page request (idempotent: bodies replace, reactions are sets). */
export function reapply(feed: TFeed, changes: readonly TConversationEvent[]): TFeed {
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

/** True for the events that change a message already in a history (edits, deletes, reactions, pins). */
export function isMessageChange(event: TConversationEvent): boolean {
  return (
    event.kind === EventKind.MessageEdited ||
    event.kind === EventKind.MessageDeleted ||
    event.kind === EventKind.ReactionAdded ||
    event.kind === EventKind.ReactionRemoved ||
    event.kind === EventKind.MessagePinned ||
    event.kind === EventKind.MessageUnpinned
  );
}

/** One thread as the panel shows it: the root and its replies (ascending seq). */
export type TThread = { root: TMessage; replies: TMessage[]; hasMoreBefore: boolean };

/**
 * Applies one live conversation event to a loaded thread; returns it unchanged when not relevant.
 * A new reply is merged by seq (a replay is harmless) and bumps the root's count once; edits,
 * deletes, reactions and pins patch the root or a reply like they patch channel history.
 */
export function applyToThread(thread: TThread, event: TConversationEvent): TThread {
  if (event.conversationId !== thread.root.conversationId) return thread;
  if (event.kind === EventKind.MessageCreated) {
    const reply = messageFromEvent(event);
    if (!reply || reply.threadRootId !== thread.root.id) return thread;
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
