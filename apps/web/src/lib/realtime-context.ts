"use client";

/** The tab's realtime client in React context (provided by RealtimeProvider, read by chat-data). */
import type { ParleyClient, TConnectionState } from "@parley/client";
import { createContext, useContext } from "react";

/** The connection as the UI shows it. */
export type TRealtimeStatus = {
  state: TConnectionState;
  /** Why it is in this state (from the SDK's state machine, or "the browser is offline"). */
  reason: string;
  /** True once a socket was open at least once in this tab. */
  hasBeenOpen: boolean;
};

/** What RealtimeProvider shares. */
export type TRealtime = { client: ParleyClient | null; status: TRealtimeStatus; userId: string };

export const RealtimeContext = createContext<TRealtime | null>(null);

/** The tab's realtime client (null for a moment while it starts), its status and the user id. */
export function useRealtime(): TRealtime {
  const value = useContext(RealtimeContext);
  if (!value) throw new Error("useRealtime() needs a <RealtimeProvider> above it");
  return value;
}
