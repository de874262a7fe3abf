"use client";

/**
 * Presence (online, away, offline) and the custom status lines shown next to users. AppShell owns
 * the tab's one watch (`usePresence`) and provides its result through `PresenceContext` and
 * `StatusLinesContext`; every other component reads `usePresenceMap` and `useStatusLines`.
 */
import { createContext, useContext, useEffect, useState } from "react";
import { useRealtime } from "./realtime-context";

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

/** The shell's presence watch, shared with the components under it (provided by AppShell). */
export const PresenceContext = createContext<ReadonlyMap<string, TPresenceStatus>>(new Map());

/** Presence of the users the shell watches: DM partners and the members of the open conversation. */
export function usePresenceMap(): ReadonlyMap<string, TPresenceStatus> {
  return useContext(PresenceContext);
}

/** The shell's live status lines, shared like PresenceContext. */
export const StatusLinesContext = createContext<ReadonlyMap<string, string>>(new Map());

/** Live custom-status lines of the watched users who are online or away (see `statusLineOf`). */
export function useStatusLines(): ReadonlyMap<string, string> {
  return useContext(StatusLinesContext);
}
