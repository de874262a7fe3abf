"use client";

/**
 * The open conversation's read receipts: `receipts.get` when it opens (members only; the server
 * decides what this viewer may see), patched by the SDK's live `receipts` frames (applyReceipts),
 * refetched after a reconnect (frames are not replayed) and when this user's "send read receipts"
 * preference changes on any device (`preferences.updated`).
 */
import { UserEventKind } from "@parley/protocol";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useTRPC } from "~/trpc/react";
import { applyReceipts, type TReceiptState } from "./read-receipts";
import { useRealtime } from "./realtime-context";
import { refetchFresh } from "./refetch";

/** The receipts of `conversationId` (undefined while loading, or when `isEnabled` is false). */
export function useReadReceipts(conversationId: string, isEnabled: boolean): TReceiptState | undefined {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { client } = useRealtime();
  const query = useQuery(trpc.receipts.get.queryOptions({ conversationId }, { enabled: isEnabled }));

  useEffect(() => {
    if (!client || !isEnabled) return;
    const key = trpc.receipts.get.queryKey({ conversationId });
    const offReceipts = client.on("receipts", (frame) => {
      if (frame.conversationId !== conversationId) return;
      queryClient.setQueryData(key, (state: TReceiptState | undefined) =>
        state ? applyReceipts(state, frame) : state,
      );
    });
    const offState = client.on("state", (change) => {
      if (change.to === "open") void refetchFresh(queryClient, { queryKey: key });
    });
    const offUser = client.on("userEvent", (event) => {
      if (event.kind === UserEventKind.PreferencesUpdated && "sendReadReceipts" in event.payload) {
        void refetchFresh(queryClient, trpc.receipts.pathFilter());
      }
    });
    return () => {
      offReceipts();
      offState();
      offUser();
    };
  }, [client, conversationId, isEnabled, queryClient, trpc]);

  return query.data;
}
