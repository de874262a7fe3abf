/**
 * Custom emoji on the web, the pure part (unit- and state-tested): the list as `emoji.list` returns
 * it, kept current by `emoji.changed` user events, and where an emoji's image is. A custom emoji is
 * written `:name:` in messages and reactions; the text is shown as the image while the emoji
 * exists, and stays plain text once it is deleted.
 */
import type { TCustomEmoji } from "@parley/protocol";

/** The stable URL of an emoji's image (the route checks the session, then redirects to storage). */
export function customEmojiUrl(id: string): string {
  return `/api/emoji/${id}`;
}

/** `:name:` of a custom emoji (the form reactions and bodies carry). */
export function customEmojiCode(name: string): string {
  return `:${name}:`;
}

/** The name inside a reaction's `:name:`, or null for a Unicode emoji. */
export function shortcodeName(emoji: string): string | null {
  return /^:([a-z0-9_+-]+):$/.exec(emoji)?.[1] ?? null;
}

/**
 * The list after `emoji.changed` {name, emoji}: the entry named `name` replaced by `emoji` (added),
 * or removed (`emoji` null); kept in name order, as `emoji.list` returns it. Undefined stays
 * undefined (nothing loaded yet: the first load will have it).
 */
export function applyEmojiChange(
  list: readonly TCustomEmoji[] | undefined,
  change: { name: string; emoji: TCustomEmoji | null },
): TCustomEmoji[] | undefined {
  if (!list) return undefined;
  const rest = list.filter((e) => e.name !== change.name);
  if (change.emoji) rest.push(change.emoji);
  return rest.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
