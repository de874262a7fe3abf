"use client";

/**
 * The last state the user saw, kept for a reload without network (ARCHITECTURE.md "Installable
 * app and offline"). The service worker serves the page's HTML and code from its caches; the data
 * is TanStack Query's cache, saved here to localStorage per user (`parley-cache:<userId>`) and put
 * back only when the page starts offline. Online, every query fetches as before and nothing is
 * restored, so the saved copy never races fresh data.
 *
 * What is saved: every successful query but search, audit and export answers (the sidebar list,
 * each opened conversation's history window, the conversation headers, people and profile), with
 * superjson (history rows carry Dates). The copy is dropped when it belongs to another build (its
 * shapes may have changed), is older than MAX_AGE_MS, or cannot be read.
 *
 * Privacy: keys carry the user id, so another account on the same browser never gets it; signing
 * out (and reaching the sign-in page) removes every saved copy and the service worker's page cache
 * (`clearOfflineData`). The SDK's outbox and cursors (`parley:<userId>:`, realtime-provider.tsx)
 * go only on an explicit sign-out: a session that merely expired keeps its unsent messages.
 */
import {
  type DehydratedState,
  dehydrate,
  hydrate,
  type Query,
  type QueryClient,
} from "@tanstack/react-query";
import superjson from "superjson";
import { BUILD_ID, OFFLINE_CACHE_PREFIX } from "./service-worker";

const CACHE_KEY_PREFIX = "parley-cache:";
/** A saved copy older than this is not shown (a week offline shows nothing rather than stale data). */
const MAX_AGE_MS = 7 * 24 * 60 * 60_000;
/** Saves are coalesced: at most one per second, plus one when the page is hidden or closed. */
const SAVE_EVERY_MS = 1_000;
/** Past this many characters the oldest history windows are left out (localStorage holds ~5 MB). */
const MAX_CHARS = 2_000_000;
/** tRPC routers whose answers are not worth keeping (big, or for admins only). */
const NOT_SAVED = new Set(["search", "audit", "export", "exports"]);

type TSaved = { build: string; savedAt: number; state: DehydratedState };

/** The localStorage key of one user's saved query cache. */
export function offlineCacheKey(userId: string): string {
  return `${CACHE_KEY_PREFIX}${userId}`;
}

function isSaved(query: Query): boolean {
  if (query.state.status !== "success" || query.state.data === undefined) return false;
  const head = query.queryKey[0];
  // tRPC keys start with the procedure path (["conversations", "list"]); ours with "parley".
  const router = Array.isArray(head) ? head[0] : head;
  return typeof router === "string" && !NOT_SAVED.has(router);
}

/** The cache as saved (the oldest entries left out while it is too big). */
export function serializeQueries(queryClient: QueryClient): string {
  const state = dehydrate(queryClient, { shouldDehydrateQuery: isSaved });
  let text = superjson.stringify({ build: BUILD_ID, savedAt: Date.now(), state } satisfies TSaved);
  if (text.length <= MAX_CHARS) return text;
  const byAge = [...state.queries].sort((a, b) => a.state.dataUpdatedAt - b.state.dataUpdatedAt);
  while (text.length > MAX_CHARS && byAge.length > 0) {
    byAge.shift();
    text = superjson.stringify({
      build: BUILD_ID,
      savedAt: Date.now(),
      state: { ...state, queries: byAge },
    } satisfies TSaved);
  }
  return text;
}

/**
 * Puts `userId`'s saved copy back into the cache (only data newer than what the cache holds wins);
 * false when there is none to use (a stale or foreign one is removed).
 */
export function restoreQueries(
  queryClient: QueryClient,
  userId: string,
  storage: Pick<Storage, "getItem" | "removeItem"> = localStorage,
): boolean {
  try {
    const text = storage.getItem(offlineCacheKey(userId));
    if (!text) return false;
    const saved = superjson.parse<TSaved>(text);
    if (saved?.build !== BUILD_ID || Date.now() - saved.savedAt > MAX_AGE_MS) {
      storage.removeItem(offlineCacheKey(userId));
      return false;
    }
    hydrate(queryClient, saved.state);
    return true;
  } catch {
    return false;
  }
}

/**
 * Keeps `userId`'s saved copy up to date while the page lives, and restores it first when the page
 * starts offline. Returns the stop function.
 */
export function persistQueries(queryClient: QueryClient, userId: string): () => void {
  if (typeof localStorage === "undefined") return () => {};
  if (!navigator.onLine) restoreQueries(queryClient, userId);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    clearTimeout(timer);
    timer = undefined;
    try {
      localStorage.setItem(offlineCacheKey(userId), serializeQueries(queryClient));
    } catch {
      // Storage full or refused (private windows): offline reloads then show less, nothing else.
    }
  };
  const off = queryClient.getQueryCache().subscribe((event) => {
    if (event.type !== "updated" || event.action.type !== "success") return;
    timer ??= setTimeout(save, SAVE_EVERY_MS);
  });
  const onHide = () => {
    if (timer !== undefined) save();
  };
  window.addEventListener("pagehide", onHide);
  document.addEventListener("visibilitychange", onHide);
  return () => {
    off();
    onHide();
    window.removeEventListener("pagehide", onHide);
    document.removeEventListener("visibilitychange", onHide);
  };
}

/**
 * Removes what this browser keeps for offline use: every saved query cache and the service
 * worker's caches (pages and code). With `userId` (an explicit sign-out) also that user's SDK
 * stores (outbox, cursors) and drafts.
 */
export async function clearOfflineData(userId?: string): Promise<void> {
  try {
    const prefixes = [CACHE_KEY_PREFIX, ...(userId ? [`parley:${userId}:`, `parley:draft:${userId}:`] : [])];
    const doomed: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key && prefixes.some((p) => key.startsWith(p))) doomed.push(key);
    }
    for (const key of doomed) localStorage.removeItem(key);
  } catch {
    // No storage: nothing was kept.
  }
  if (typeof caches === "undefined") return;
  const names = await caches.keys().catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(OFFLINE_CACHE_PREFIX)).map((n) => caches.delete(n)));
}
