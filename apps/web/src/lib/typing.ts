"use client";

/** Typing indicators: who else is typing in a conversation, and telling others that this user is. */
import { EventKind } from "@parley/protocol";
import { useCallback, useEffect, useState } from "react";
import { useRealtime } from "./realtime-context";

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
