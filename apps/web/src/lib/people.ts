"use client";

/**
 * Who is who in a conversation, for rows that show people (message rows): user id → avatar id,
 * read from the conversation's member list (the query ConversationView already holds; these
 * observers never refetch it themselves). member.updated events invalidate it (chat-data.ts), so
 * a new avatar shows live.
 */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";
import type { TRouterOutputs } from "~/trpc/types";

type TMembers = TRouterOutputs["conversations"]["members"];

const EMPTY: ReadonlyMap<string, string | null> = new Map();

// One function (not a new closure per row), so react-query computes the map once per fetch per row.
function toAvatars(members: TMembers): ReadonlyMap<string, string | null> {
  return new Map(members.map((m) => [m.userId, m.avatarId]));
}

/** The avatar ids of a conversation's members (empty until loaded, or without a conversation). */
export function useMemberAvatars(conversationId: string | undefined): ReadonlyMap<string, string | null> {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.conversations.members.queryOptions(
      { conversationId: conversationId ?? "" },
      { enabled: Boolean(conversationId), staleTime: Number.POSITIVE_INFINITY, select: toAvatars },
    ),
  );
  return query.data ?? EMPTY;
}
