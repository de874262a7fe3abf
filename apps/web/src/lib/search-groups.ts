/**
 * Search results grouped by conversation, as Slack shows them: groups in the order of their first
 * (best, or newest) hit, each group's hits in the result order. Pure: search-results.tsx renders it,
 * and ↑/↓ walk the hits in the order shown (`shownOrder`).
 */

export type THitGroup<T> = { conversationId: string; hits: T[] };

/** `hits` grouped by conversation, keeping the order described above. */
export function groupByConversation<T extends { conversationId: string }>(
  hits: readonly T[],
): THitGroup<T>[] {
  const groups = new Map<string, T[]>();
  for (const hit of hits) {
    const group = groups.get(hit.conversationId);
    if (group) group.push(hit);
    else groups.set(hit.conversationId, [hit]);
  }
  return [...groups].map(([conversationId, grouped]) => ({ conversationId, hits: grouped }));
}

/** The hits in the order the groups show them. */
export function shownOrder<T>(groups: readonly THitGroup<T>[]): T[] {
  return groups.flatMap((g) => g.hits);
}

/**
 * A group's heading: `# name` for a public channel, `🔒 name` for a private one, the DM's name as
 * the conversation list gives it (the other members), else "Direct message".
 */
export function conversationHeading(
  hit: { conversationId: string; conversationKind: string; conversationName: string | null },
  dmNames: ReadonlyMap<string, string>,
  dmFallback = "Direct message",
): string {
  if (hit.conversationKind === "public_channel") return `# ${hit.conversationName ?? ""}`;
  if (hit.conversationKind === "private_channel") return `🔒 ${hit.conversationName ?? ""}`;
  return dmNames.get(hit.conversationId) ?? dmFallback;
}
