"use client";

/**
 * Messages only this user sees (`message.ephemeral`: a slash command's answer, or why it failed),
 * kept per conversation in this tab until it reloads or the reader dismisses them — as Slack shows
 * them ("Only visible to you"). They are in no conversation's log, so nothing else holds them.
 * Fed by chat-data.ts's user-event handler; read with `useEphemerals`.
 */
import { useCallback, useSyncExternalStore } from "react";

export type TEphemeral = {
  id: string;
  conversationId: string;
  senderId: string;
  senderName: string;
  body: string;
  threadRootId: string | null;
  command: string;
  /** When it arrived here (ISO), for the row's time. */
  at: string;
  /** The newest seq of the conversation this tab held when it arrived: it shows after that message. */
  afterSeq: number;
};

/** The newest this many per conversation are kept (a command run in a loop cannot grow the tab). */
export const MAX_EPHEMERALS = 20;
const NONE: readonly TEphemeral[] = [];

const byConversation = new Map<string, readonly TEphemeral[]>();
const listeners = new Set<() => void>();

function changed() {
  for (const listener of listeners) listener();
}

/** Adds one that arrived (the same id twice is kept once: a user event may be replayed). */
export function addEphemeral(e: TEphemeral): void {
  const list = byConversation.get(e.conversationId) ?? NONE;
  if (list.some((x) => x.id === e.id)) return;
  byConversation.set(e.conversationId, [...list, e].slice(-MAX_EPHEMERALS));
  changed();
}

/** Removes one (the reader's Dismiss). */
export function dismissEphemeral(conversationId: string, id: string): void {
  const list = byConversation.get(conversationId);
  if (!list?.some((x) => x.id === id)) return;
  byConversation.set(
    conversationId,
    list.filter((x) => x.id !== id),
  );
  changed();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** The conversation's ephemeral messages (threads' included: `threadRootId`), oldest first. */
export function useEphemerals(conversationId: string): readonly TEphemeral[] {
  const get = useCallback(() => byConversation.get(conversationId) ?? NONE, [conversationId]);
  return useSyncExternalStore(subscribe, get, () => NONE);
}

/**
 * Messages and ephemeral ones in reading order: each ephemeral right after the newest message it
 * arrived after (`afterSeq`), so later messages show below it, as Slack does. One that arrived
 * before the oldest loaded message is left out while older pages exist (its place is not loaded).
 */
export function placeEphemerals<M>(
  messages: readonly M[],
  seqOf: (m: M) => number,
  ephemerals: readonly TEphemeral[],
  hasMoreBefore: boolean,
): ({ message: M } | { ephemeral: TEphemeral })[] {
  const waiting = [...ephemerals].sort((a, b) => a.afterSeq - b.afterSeq);
  const out: ({ message: M } | { ephemeral: TEphemeral })[] = [];
  let next = 0;
  for (const message of messages) {
    const seq = seqOf(message);
    for (; next < waiting.length && (waiting[next] as TEphemeral).afterSeq < seq; next++) {
      if (out.length > 0 || !hasMoreBefore) out.push({ ephemeral: waiting[next] as TEphemeral });
    }
    out.push({ message });
  }
  for (; next < waiting.length; next++) out.push({ ephemeral: waiting[next] as TEphemeral });
  return out;
}
