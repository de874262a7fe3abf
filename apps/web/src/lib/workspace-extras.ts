"use client";

/**
 * Custom emoji and user groups, loaded once per tab (AppShell) and read by whatever renders or
 * offers them — message bodies, reaction chips, the emoji picker, the composer's autocomplete —
 * from `WorkspaceExtrasContext`. Without a provider (tests) the lists are empty.
 */
import type { TCustomEmoji } from "@parley/protocol";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useMemo, useRef } from "react";
import { useTRPC } from "~/trpc/react";
import { SAFETY_REFETCH_MS } from "./chat-data";
import { customEmojiEntries, type TEmoji } from "./emoji";
import { refetchFresh } from "./refetch";

/** A user group as mentions need it. */
export type TMentionGroup = { groupId: string; handle: string; name: string; memberIds: readonly string[] };

export type TWorkspaceExtras = {
  emoji: readonly TCustomEmoji[];
  /** Custom emoji name → id. */
  emojiByName: ReadonlyMap<string, string>;
  /** The custom emoji as picker and autocomplete entries. */
  emojiEntries: readonly TEmoji[];
  groups: readonly TMentionGroup[];
  groupsById: ReadonlyMap<string, TMentionGroup>;
  /**
   * Asks for the groups again (at most every GROUPS_ASK_MS): a message names a group this tab has
   * not loaded (made after it opened; groups have no live event).
   */
  requestGroups: () => void;
};

const GROUPS_ASK_MS = 10_000;

const EMPTY: TWorkspaceExtras = {
  emoji: [],
  emojiByName: new Map(),
  emojiEntries: [],
  groups: [],
  groupsById: new Map(),
  requestGroups: () => {},
};

export const WorkspaceExtrasContext = createContext<TWorkspaceExtras>(EMPTY);

/** The custom emoji and user groups of this tab's workspace. */
export function useWorkspaceExtras(): TWorkspaceExtras {
  return useContext(WorkspaceExtrasContext);
}

/** Loads both lists (the emoji list is kept current by `emoji.changed`, chat-data.ts). */
export function useWorkspaceExtrasQuery(): TWorkspaceExtras {
  const trpc = useTRPC();
  const emoji = useQuery(trpc.emoji.list.queryOptions(undefined, { staleTime: SAFETY_REFETCH_MS }));
  const groups = useQuery(trpc.userGroups.list.queryOptions(undefined, { staleTime: SAFETY_REFETCH_MS }));
  const queryClient = useQueryClient();
  const lastAsk = useRef(0);
  const requestGroups = useCallback(() => {
    if (Date.now() - lastAsk.current < GROUPS_ASK_MS) return;
    lastAsk.current = Date.now();
    void refetchFresh(queryClient, trpc.userGroups.list.queryFilter());
  }, [queryClient, trpc]);
  return useMemo(() => {
    const list = emoji.data ?? [];
    const mentionGroups = (groups.data ?? []).map(
      (g): TMentionGroup => ({ groupId: g.id, handle: g.handle, name: g.name, memberIds: g.memberIds }),
    );
    return {
      emoji: list,
      emojiByName: new Map(list.map((e) => [e.name, e.id])),
      emojiEntries: customEmojiEntries(list),
      groups: mentionGroups,
      groupsById: new Map(mentionGroups.map((g) => [g.groupId, g])),
      requestGroups,
    };
  }, [emoji.data, groups.data, requestGroups]);
}
