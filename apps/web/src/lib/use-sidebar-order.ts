"use client";

/**
 * How this user's sidebar is sorted right now: their `sidebarUnreadsFirst` preference (server-side,
 * `users.preferences`; another device's change arrives as `preferences.updated`, chat-data.ts) and
 * the open conversation held where it was when it opened (conversation-order.ts `nextHeld`). The
 * sidebar and Alt+↑/↓ (app-shell.tsx) each call it with the same list and open id, so they agree.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo, useRef } from "react";
import { useTRPC } from "~/trpc/react";
import { nextHeld, type THeld, type TOrderable, type TSidebarOrderOptions } from "./conversation-order";

/** The user's sidebar preferences (undefined while loading). */
export function useSidebarPreferences() {
  const trpc = useTRPC();
  return useQuery(trpc.users.preferences.queryOptions(undefined, { staleTime: 60_000 }));
}

/** The options `sidebarSections`/`stepConversation` need for `list` with `openId` open. */
export function useSidebarOrder(
  list: readonly TOrderable[] | undefined,
  openId: string | null,
): TSidebarOrderOptions {
  const prefs = useSidebarPreferences();
  // Taken in render, before this render's list can move the open conversation.
  const held = useRef<THeld>(null);
  held.current = nextHeld(held.current, openId, list ?? []);
  const isUnreadsFirst = prefs.data?.sidebarUnreadsFirst ?? false;
  const hold = held.current;
  return useMemo(() => ({ isUnreadsFirst, held: hold }), [isUnreadsFirst, hold]);
}
