/*
 * Parley's service worker: web push only (no caching). The server (core/notifications) sends one
 * notification per conversation, tagged `parley:<conversationId>`:
 *   { type: "message", tag, title, body, url, count, conversationId, seq } shows (or replaces) it;
 *   { type: "clear", tag } closes it — the conversation was read on some device.
 * A click focuses an open Parley tab (navigating it to the message) or opens one.
 * Every payload received is also posted to open Parley pages as { parleyPush: payload }.
 */
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

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
