/**
 * The order conversations are shown in: the sidebar (channels by name with archived ones last,
 * then DMs), Alt+↑/↓ (the same order), and the quick switcher's results.
 *
 * "Show unreads at the top" (the user's `sidebarUnreadsFirst` preference, as in Slack's sidebar
 * sort): within each section, conversations with mentions come first, then unread ones (not
 * muted), then the rest, each group in the usual order. The open conversation keeps the rank it
 * had when it was opened (`held`, see `nextHeld`) until the reader leaves it, so reading it does
 * not pull it from under the pointer.
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

/** How much a conversation asks to be read: 0 mentions (muted or not), 1 unread (not muted), 2 nothing. */
export type TUnreadRank = 0 | 1 | 2;

/** A conversation's unread rank (the switcher's and "unreads first"'s grouping). */
export function unreadRank(c: TOrderable): TUnreadRank {
  return c.mentionCount > 0 ? 0 : c.unreadCount > 0 && !c.muted ? 1 : 2;
}

/** The open conversation and the rank it keeps while it stays open. */
export type THeld = { id: string; rank: TUnreadRank } | null;

/** How the sidebar sorts: by name (the default), or unreads first with the open one held in place. */
export type TSidebarOrderOptions = { isUnreadsFirst?: boolean; held?: THeld };

/**
 * The hold after a render with `openId` open: kept while the same conversation stays open, taken
 * afresh (its rank now, before reading it changes anything) when another one opens, none when
 * nothing is open or the open one is not in the list (yet).
 */
export function nextHeld(held: THeld, openId: string | null, list: readonly TOrderable[]): THeld {
  if (openId === null) return null;
  if (held?.id === openId) return held;
  const open = list.find((c) => c.id === openId);
  return open ? { id: open.id, rank: unreadRank(open) } : null;
}

/**
 * The sidebar's two sections in display order: channels by name (archived last), then DMs (in the
 * server's order); with `isUnreadsFirst`, mentions then unread ones lead each section.
 */
export function sidebarSections<T extends TOrderable>(
  list: readonly T[],
  options: TSidebarOrderOptions = {},
): { channels: T[]; dms: T[] } {
  const { isUnreadsFirst = false, held = null } = options;
  const rank = (c: T): number => (!isUnreadsFirst ? 0 : c.id === held?.id ? held.rank : unreadRank(c));
  // Array sort is stable: equal ranks keep the order below (names, or the server's for DMs).
  const channels = list
    .filter(isChannel)
    .sort(
      (a, b) =>
        Number(Boolean(a.archivedAt)) - Number(Boolean(b.archivedAt)) ||
        rank(a) - rank(b) ||
        (a.name ?? "").localeCompare(b.name ?? ""),
    );
  const dms = list.filter((c) => !isChannel(c)).sort((a, b) => rank(a) - rank(b));
  return { channels, dms };
}

/** Every conversation in sidebar order (Alt+↑/↓ walks it). */
export function sidebarOrder<T extends TOrderable>(
  list: readonly T[],
  options: TSidebarOrderOptions = {},
): T[] {
  const { channels, dms } = sidebarSections(list, options);
  return [...channels, ...dms];
}

/** The conversation `step` places from `currentId` in sidebar order, wrapping around; the first or last when none is open. */
export function stepConversation<T extends TOrderable>(
  list: readonly T[],
  currentId: string | null,
  step: 1 | -1,
  options: TSidebarOrderOptions = {},
): T | undefined {
  const order = sidebarOrder(list, options);
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
  const rank = unreadRank;
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
