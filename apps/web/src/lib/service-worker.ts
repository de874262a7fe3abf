"use client";

/**
 * The one service worker (public/sw.js: offline caches and web push; one scope holds one worker)
 * and what the page tells it. Its URL carries the build id (`/sw.js?v=<build>`, next.config.ts
 * sets PARLEY_BUILD_ID at build time): a new deploy's pages register a new URL, so the browser
 * installs that worker, which takes over at once (skipWaiting + clients.claim) and deletes the
 * caches of other builds. Pages already open keep the code they loaded; their next navigation
 * gets the new build (network first).
 */

/** This build's id (next.config.ts); "dev" under `next dev`. */
export const BUILD_ID = process.env.PARLEY_BUILD_ID ?? "dev";

/** The worker's script URL for this build. */
export const SERVICE_WORKER_URL = `/sw.js?v=${encodeURIComponent(BUILD_ID)}`;

/** Every cache the worker makes starts with this (sign-out deletes them all). */
export const OFFLINE_CACHE_PREFIX = "parley-";

/** How long a page must stay on a route before its HTML is saved for offline use. */
const SAVE_AFTER_MS = 1_500;

/** True when this browser has service workers (not on plain-http origins other than localhost). */
export function hasServiceWorker(): boolean {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator;
}

/** Registers (or updates to) this build's worker for the whole origin. */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration> {
  return navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: "/" });
}

/**
 * Asks the worker to save this page for offline use: its HTML (fetched again by the worker: the
 * first load, and routes reached by client-side navigation, never passed through it) and the
 * build's files the page loaded before the worker controlled it. Returns the cancel function.
 */
export function saveThisPageLater(): () => void {
  if (!hasServiceWorker()) return () => {};
  let isCancelled = false;
  const timer = setTimeout(async () => {
    const registration = await navigator.serviceWorker.ready;
    if (isCancelled) return;
    const assets = performance
      .getEntriesByType("resource")
      .map((entry) => entry.name)
      .filter((url) => url.startsWith(`${location.origin}/_next/static/`));
    registration.active?.postMessage({ type: "parley:save", page: location.pathname, assets });
  }, SAVE_AFTER_MS);
  return () => {
    isCancelled = true;
    clearTimeout(timer);
  };
}
