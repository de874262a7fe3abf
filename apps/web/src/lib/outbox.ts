"use client";

/**
 * Messages typed here and not yet in history, from the SDK's outbox: typed order per conversation,
 * resent with the same clientMsgId until acked, `failed` entries retried with that id. The channel
 * (conversation-feed.ts) and the thread panel (thread-data.ts) each show their own entries.
 */
import type { ParleyClient, TOutboxEntry, TSendFailure } from "@parley/client";
import { useCallback, useEffect, useState } from "react";

/** A message typed here that is not in history yet, as the view shows it. */
export type TPendingMessage = {
  clientMsgId: string;
  body: string;
  /** How many files it carries (they show once the message is stored). */
  attachmentCount: number;
  /** `sending` until the server stored it, then `sent` until its own event arrives; `failed` if refused. */
  status: "sending" | "sent" | "failed";
  /** Why it failed (the server\'s refusal; show it with useErrorText). */
  error?: TSendFailure;
};

/** An outbox entry as the views show it. */
export function toPending(entry: TOutboxEntry): TPendingMessage {
  const status = entry.status === "failed" ? "failed" : entry.status === "sent" ? "sent" : "sending";
  return {
    clientMsgId: entry.clientMsgId,
    body: entry.body,
    attachmentCount: entry.attachmentIds?.length ?? 0,
    status,
    ...(entry.error ? { error: entry.error } : {}),
  };
}

/** An outbox entry the channel shows; thread-only replies are shown (pending) by the thread panel. */
export function isInChannel(e: TOutboxEntry): boolean {
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
