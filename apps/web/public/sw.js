/*
 * Parley's one service worker (a scope holds one): offline caches and web push. Registered by every
 * page after load as `/sw.js?v=<build id>` (apps/web/src/lib/service-worker.ts); see ARCHITECTURE.md
 * "Installable app and offline".
 *
 * Offline: caches are named per build and deleted when another build's worker activates.
 *   parley-shell-<build>  /_next/static/* (content-hashed: cache first), /icons/*, the manifest.
 *   parley-pages-<build>  the HTML of /app routes (network first; the saved copy only when the
 *                         network fails). It holds the signed-in user's pages: the sign-in page
 *                         and sign-out delete it, and so does any /app navigation answered by a
 *                         redirect (signed out) — never served across users.
 *   Nothing else is cached: /api/* (tRPC, auth, files) and Next's RSC requests go to the network
 *   untouched. The data an offline reload shows is the page's own per-user saved query cache
 *   (lib/offline-cache.ts), not API answers stored here.
 *   A page asks for its route to be saved ({ type: "parley:save", page, assets }): routes reached
 *   by client-side navigation never pass here as documents.
 *
 * Push: the server (core/notifications) sends one notification per conversation, tagged
 * `parley:<conversationId>`:
 *   { type: "message", tag, title, body, url, count, conversationId, seq } shows (or replaces) it;
 *   { type: "clear", tag } closes it — the conversation was read on some device.
 * A click focuses an open Parley tab (navigating it to the message) or opens one.
 * Every payload received is also posted to open Parley pages as { parleyPush: payload }.
 */
const BUILD = new URL(self.location.href).searchParams.get("v") || "dev";
const SHELL = `parley-shell-${BUILD}`;
const PAGES = `parley-pages-${BUILD}`;
/** Shown for an /app route never saved, when the network is gone. */
const OFFLINE_HTML =
  '<!doctype html><meta charset="utf-8"><title>Parley</title><p>You are offline, and this page was not saved on this device. <a href="/app">Open Parley</a></p>';

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache
        .addAll(["/icons/icon-192.png", "/icons/icon-512.png", "/manifest.webmanifest"])
        .catch(() => undefined);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) =>
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((n) => n.startsWith("parley-") && n !== SHELL && n !== PAGES)
          .map((n) => caches.delete(n)),
      );
      await self.clients.claim();
    })(),
  ),
);

/** The key a page is saved under: its path (the query — ?m=, ?thread= — is the page's own state). */
function pageKey(url) {
  const u = new URL(url, self.location.origin);
  return `${u.origin}${u.pathname}`;
}

/** True for an answer that is the signed-in app's page (not a redirect to sign-in, not an error). */
function isAppPage(response) {
  return (
    response.type === "basic" &&
    response.status === 200 &&
    new URL(response.url).pathname.startsWith("/app") &&
    (response.headers.get("content-type") || "").startsWith("text/html")
  );
}

/**
 * The network's answer, saved on the side: the page gets it as it streams (awaiting the save
 * would hold the navigation until the whole HTML had arrived).
 */
async function networkFirstPage(event) {
  const request = event.request;
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (isAppPage(response)) event.waitUntil(cache.put(pageKey(request.url), response.clone()));
    else if (response.type === "opaqueredirect" || response.redirected) event.waitUntil(caches.delete(PAGES));
    return response;
  } catch {
    const saved = (await cache.match(pageKey(request.url))) || (await cache.match(pageKey("/app")));
    if (saved) return saved;
    return new Response(OFFLINE_HTML, {
      status: 503,
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }
}

async function cacheFirst(event) {
  const request = event.request;
  const cache = await caches.open(SHELL);
  const saved = await cache.match(request);
  if (saved) return saved;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") event.waitUntil(cache.put(request, response.clone()));
  return response;
}

async function networkFirstShell(event) {
  const request = event.request;
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") event.waitUntil(cache.put(request, response.clone()));
    return response;
  } catch (err) {
    const saved = await cache.match(request);
    if (saved) return saved;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname === "/app" || url.pathname.startsWith("/app/")) {
      event.respondWith(networkFirstPage(event));
    } else if (url.pathname.startsWith("/sign-in")) {
      event.waitUntil(caches.delete(PAGES));
    }
    return;
  }
  if (url.pathname.startsWith("/_next/static/")) event.respondWith(cacheFirst(event));
  else if (url.pathname.startsWith("/icons/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(networkFirstShell(event));
  }
});

/** Saves a page the worker did not see load (first load, client-side navigation) and its files. */
async function savePage(page, assets) {
  const path = pageKey(page);
  if (!new URL(path).pathname.startsWith("/app")) return;
  const pages = await caches.open(PAGES);
  if (!(await pages.match(path))) {
    const response = await fetch(path, { credentials: "same-origin", redirect: "manual" });
    if (isAppPage(response)) await pages.put(path, response);
  }
  const shell = await caches.open(SHELL);
  for (const asset of assets) {
    const u = new URL(asset);
    if (u.origin !== self.location.origin || !u.pathname.startsWith("/_next/static/")) continue;
    if (await shell.match(u.href)) continue;
    const response = await fetch(u.href).catch(() => null);
    if (response?.ok) await shell.put(u.href, response);
  }
}

self.addEventListener("message", (event) => {
  const data = event.data;
  if (data?.type !== "parley:save" || typeof data.page !== "string") return;
  const assets = Array.isArray(data.assets) ? data.assets.filter((a) => typeof a === "string") : [];
  event.waitUntil(savePage(data.page, assets).catch(() => undefined));
});

async function tellPages(payload) {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const page of pages) page.postMessage({ parleyPush: payload });
  return pages;
}

self.addEventListener("push", (event) => {
  let payload;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null;
  }
  if (!payload || typeof payload.tag !== "string") return;
  event.waitUntil(
    (async () => {
      await tellPages(payload);
      if (payload.type === "clear") {
        const shown = await self.registration.getNotifications({ tag: payload.tag });
        for (const n of shown) n.close();
        return;
      }
      await self.registration.showNotification(String(payload.title || "Parley"), {
        body: String(payload.body || ""),
        tag: payload.tag,
        renotify: true,
        data: { url: String(payload.url || "/app") },
      });
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || "/app", self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(
    (async () => {
      const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const page = pages.find((p) => new URL(p.url).origin === url.origin);
      if (page) {
        await page.focus();
        await page.navigate(url.href).catch(() => undefined);
        return;
      }
      await self.clients.openWindow(url.href);
    })(),
  );
});
