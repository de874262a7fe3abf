/**
 * Unsent composer text per conversation, kept in the browser (localStorage) so a reload or a trip
 * to another conversation does not lose it. Keyed by user and conversation: people sharing a
 * browser never see each other's drafts. Storage can be missing or full (private windows, quotas):
 * then drafts are simply not kept, and typing and sending work as usual.
 */

/** The part of Web Storage drafts use (localStorage in the browser; a Map-backed fake in tests). */
export type TDraftStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

const PREFIX = "parley:draft:";

/** The storage key of one user's draft in one conversation. */
export function draftKey(userId: string, conversationId: string): string {
  return `${PREFIX}${userId}:${conversationId}`;
}

/** The saved draft, or "" when there is none or storage cannot be read. */
export function loadDraft(storage: TDraftStorage | null, userId: string, conversationId: string): string {
  try {
    return storage?.getItem(draftKey(userId, conversationId)) ?? "";
  } catch {
    return "";
  }
}

/** Saves the draft; blank text removes it. Returns false when storage refused (nothing else changes). */
export function saveDraft(
  storage: TDraftStorage | null,
  userId: string,
  conversationId: string,
  text: string,
): boolean {
  if (!storage) return false;
  try {
    if (text.trim()) storage.setItem(draftKey(userId, conversationId), text);
    else storage.removeItem(draftKey(userId, conversationId));
    return true;
  } catch {
    return false;
  }
}

/** Forgets the draft (after it was sent). */
export function clearDraft(storage: TDraftStorage | null, userId: string, conversationId: string): void {
  saveDraft(storage, userId, conversationId, "");
}

/** The browser's localStorage, or null where it is unavailable (server rendering, blocked storage). */
export function browserDraftStorage(): TDraftStorage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null;
  }
}
