/**
 * The order conversations are shown in: the sidebar (channels by name with archived ones last,
 * then DMs), Alt+↑/↓ (the same order), and the quick switcher's results.
 */

/** The fields ordering needs (a conversations.list row has them all). */
export type TOrderable = {
  id: string;
  kind: string;
  name: string | null;
  archivedAt: Date | string | null;
  unreadCount: number;
  mentionCount: number;
  muted: boolean;
};

const SWITCHER_MAX = 30;

/** Public and private channels (not DMs or group DMs). */
export function isChannel(c: { kind: string }): boolean {
  return c.kind === "public_channel" || c.kind === "private_channel";
}

/** The sidebar's two sections in display order: channels by name (archived last), then DMs. */
export function sidebarSections<T extends TOrderable>(list: readonly T[]): { channels: T[]; dms: T[] } {
  const channels = list
    .filter(isChannel)
    .sort(
      (a, b) =>
        Number(Boolean(a.archivedAt)) - Number(Boolean(b.archivedAt)) ||
        (a.name ?? "").localeCompare(b.name ?? ""),
    );
  const dms = list.filter((c) => !isChannel(c));
  return { channels, dms };
}

/** Every conversation in sidebar order (Alt+↑/↓ walks it). */
export function sidebarOrder<T extends TOrderable>(list: readonly T[]): T[] {
  const { channels, dms } = sidebarSections(list);
  return [...channels, ...dms];
}

/** The conversation `step` places from `currentId` in sidebar order, wrapping around; the first or last when none is open. */
export function stepConversation<T extends TOrderable>(
  list: readonly T[],
  currentId: string | null,
  step: 1 | -1,
): T | undefined {
  const order = sidebarOrder(list);
  if (order.length === 0) return undefined;
  const at = order.findIndex((c) => c.id === currentId);
  if (at === -1) return step === 1 ? order[0] : order.at(-1);
  return order[(at + step + order.length) % order.length];
}

function labelOf(c: TOrderable): string {
  return c.name ?? "Direct message";
}

/**
 * What the switcher lists for a query: unarchived conversations whose name contains it
 * (case-insensitive); those with mentions first, then unread (unless muted), then names that start
 * with the query, then by name.
 */
export function switcherResults<T extends TOrderable>(list: readonly T[], query: string): T[] {
  const q = query.trim().toLowerCase();
  const rank = (c: T) => (c.mentionCount > 0 ? 0 : c.unreadCount > 0 && !c.muted ? 1 : 2);
  const isPrefix = (c: T) => labelOf(c).toLowerCase().startsWith(q);
  return list
    .filter((c) => !c.archivedAt && labelOf(c).toLowerCase().includes(q))
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        Number(!isPrefix(a)) - Number(!isPrefix(b)) ||
        labelOf(a).localeCompare(labelOf(b)),
    )
    .slice(0, SWITCHER_MAX);
}
