/** Pure reaction-group updates for live events (unit-tested in reactions.test.ts). */

/** One emoji's reactions on a message, as history returns them. */
export type TReactionGroup = { emoji: string; count: number; userIds: string[] };

/**
 * One user's reaction added to or removed from a message's groups. Set semantics (adding a
 * present user or removing an absent one changes nothing), so an event whose effect the loaded
 * page already shows is harmless. A new emoji goes last (first use); an emptied group goes away.
 */
export function applyReaction(
  reactions: TReactionGroup[],
  emoji: string,
  userId: string,
  isAdded: boolean,
): TReactionGroup[] {
  const group = reactions.find((r) => r.emoji === emoji);
  if (isAdded) {
    if (group?.userIds.includes(userId)) return reactions;
    if (!group) return [...reactions, { emoji, count: 1, userIds: [userId] }];
    return reactions.map((r) =>
      r === group ? { ...r, count: r.count + 1, userIds: [...r.userIds, userId] } : r,
    );
  }
  if (!group?.userIds.includes(userId)) return reactions;
  const userIds = group.userIds.filter((id) => id !== userId);
  if (userIds.length === 0) return reactions.filter((r) => r !== group);
  return reactions.map((r) => (r === group ? { ...r, count: userIds.length, userIds } : r));
}
