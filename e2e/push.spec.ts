import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import {
  type PushEndpoint,
  type ReceivedPush,
  startPushEndpoint,
} from "../packages/core/test/push-endpoint.ts";
import { firstUser, newUser, signUp, trpc } from "./fixtures";
import { pushTlsDir } from "./push-tls.ts";

// Web push with the tab closed. What runs for real: the settings button registers /sw.js and asks
// for permission in Chromium; the page hands a subscription to the server (notifications.
// subscribePush); the server's notifier pushes through web-push, encrypted (RFC 8291) and
// VAPID-signed, to a local push service started here, which decrypts it; that decrypted payload is
// then delivered to the browser's registered service worker (DevTools' ServiceWorker.
// deliverPushMessage, what a push service's delivery ends in) and the notification it shows is
// read back — and cleared by the server's `clear` push once the DM is read.
// What cannot run here: Chromium's own pushManager.subscribe needs its push service (FCM) on the
// internet, so the subscription handed to the server is the local push service's (its keys made
// by the test), not one Chromium minted; and Chromium cannot receive from the local service itself.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const ada = newUser("Ada Push", run);
const bob = newUser("Bob Push", run);

let endpoint: PushEndpoint;

test.beforeAll(async () => {
  const dir = pushTlsDir();
  endpoint = await startPushEndpoint({
    key: readFileSync(join(dir, "key.pem")),
    cert: readFileSync(join(dir, "cert.pem")),
  });
});
test.afterAll(async () => {
  await endpoint?.close();
});

const pushesTo = (device: string): ReceivedPush[] => endpoint.received.filter((r) => r.device === device);

/**
 * Delivers `payload` to the context's service worker for `origin`, as a push service would. The
 * worker is started first and the push sent once it runs (a push service wakes a stopped worker;
 * a DevTools push aimed at one still starting or stopping was seen to vanish on a busy box).
 */
async function deliverToServiceWorker(context: BrowserContext, page: Page, origin: string, payload: unknown) {
  const cdp = await context.newCDPSession(page);
  const scopeURL = `${origin}/`;
  let registrationId = "";
  const state = new Map<string, string>();
  cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
    const mine = registrations.find((r) => r.scopeURL === scopeURL && !r.isDeleted);
    if (mine) registrationId = mine.registrationId;
  });
  cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
    for (const v of versions) state.set(v.registrationId, `${v.status}/${v.runningStatus}`);
  });
  await cdp.send("ServiceWorker.enable");
  await cdp.send("ServiceWorker.startWorker", { scopeURL });
  await expect
    .poll(() => state.get(registrationId), { message: "the service worker runs", timeout: 15_000 })
    .toBe("activated/running");
  await cdp.send("ServiceWorker.deliverPushMessage", {
    origin,
    registrationId,
    data: JSON.stringify(payload),
  });
  await cdp.detach();
}

/** The titles and bodies of the notifications the service worker shows for `tag`. */
function shownNotifications(page: Page, tag: string) {
  return page.evaluate(async (t) => {
    const registration = await navigator.serviceWorker.getRegistration("/");
    const shown = (await registration?.getNotifications({ tag: t })) ?? [];
    return shown.map((n) => `${n.title}: ${n.body}`);
  }, tag);
}

test("a user with the tab closed gets the DM as a push; reading it clears it", async ({ browser }) => {
  const { page: adaPage } = await firstUser(browser, ada);
  const { context: bobContext, page: bobPage } = await signUp(browser, bob);
  const origin = new URL(bobPage.url()).origin;
  await bobContext.grantPermissions(["notifications"], { origin });
  const bobId = (await trpc<{ id: string }>(bobPage, "users.me", undefined, "GET")).id;

  // Settings → Notifications: the button registers the service worker (after the permission).
  await bobPage.goto("/app/settings");
  await bobPage.getByRole("button", { name: "Turn on push on this browser" }).click();
  await expect
    .poll(() =>
      bobPage.evaluate(
        // The one worker (offline caches and push), versioned by build: /sw.js?v=<build id>.
        async () =>
          (await navigator.serviceWorker.getRegistration("/"))?.active?.scriptURL.split("?")[0] ?? "",
      ),
    )
    .toBe(`${origin}/sw.js`);

  // The subscription round trip, from the page with Bob's session, to the local push service.
  const device = `bob-${run}`;
  const status = await bobPage.evaluate(async (subscription) => {
    const res = await fetch("/api/trpc/notifications.subscribePush", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: subscription }),
    });
    return res.status;
  }, endpoint.device(device));
  expect(status).toBe(200);

  const dm = await trpc<{ id: string }>(adaPage, "conversations.openDm", { userIds: [bobId] });
  const send = (body: string) =>
    trpc<{ seq: number }>(adaPage, "messages.send", {
      conversationId: dm.id,
      clientMsgId: randomUUID(),
      body,
    });

  // Control: with Bob's tab open (online), a DM is not pushed.
  await bobPage.goto("/app");
  // Connected (the sidebar shows me online only while this tab's socket is open).
  await expect(bobPage.locator(".me-name .presence.online")).toBeVisible();
  await send("while you are here");
  await bobPage.waitForTimeout(3_000);
  expect(pushesTo(device)).toEqual([]);

  // Bob closes the tab: no socket left. Ada's next DM is pushed, encrypted, to his device (with
  // the one he left unread, held while he was online: as one notification, or as two in a row).
  await bobPage.close();
  await send(`lunch at noon, ${run}?`);
  const lunch = () => pushesTo(device).filter((p) => String(p.payload.body).includes("lunch at noon"));
  await expect.poll(() => lunch().length, { timeout: 15_000 }).toBeGreaterThan(0);
  const pushed = lunch().at(-1)!;
  expect(pushesTo(device).at(-1)).toBe(pushed);
  expect(endpoint.refused).toEqual([]);
  expect(pushed.payload).toMatchObject({
    type: "message",
    tag: `parley:${dm.id}`,
    title: "Ada Push",
    conversationId: dm.id,
  });
  expect(String(pushed.payload.body)).toContain(`lunch at noon, ${run}?`);

  // The browser's service worker shows that payload as a notification…
  const page = await bobContext.newPage();
  await page.goto("/api/healthz"); // same origin, no app (so no socket)
  await deliverToServiceWorker(bobContext, page, origin, pushed.payload);
  await expect
    .poll(() => shownNotifications(page, `parley:${dm.id}`))
    .toEqual([`Ada Push: ${String(pushed.payload.body)}`]);

  // …and once Bob reads the DM (any device), the server pushes a clear that closes it.
  const count = pushesTo(device).length;
  await trpc(page, "conversations.markRead", { conversationId: dm.id, seq: Number(pushed.payload.seq) });
  await expect.poll(() => pushesTo(device).length, { timeout: 15_000 }).toBe(count + 1);
  const clear = pushesTo(device).at(-1)!;
  expect(clear.payload).toEqual({ type: "clear", tag: `parley:${dm.id}`, conversationId: dm.id });
  await deliverToServiceWorker(bobContext, page, origin, clear.payload);
  await expect.poll(() => shownNotifications(page, `parley:${dm.id}`)).toEqual([]);
});

test("the tab title and favicon carry the unread-mention count; mark all as read clears it", async ({
  browser,
}) => {
  const carol = newUser("Carol Push", run);
  const dan = newUser("Dan Push", run);
  const { page: carolPage } = await signUp(browser, carol);
  const { page: danPage } = await signUp(browser, dan);
  const danId = (await trpc<{ id: string }>(danPage, "users.me", undefined, "GET")).id;
  const dm = await trpc<{ id: string }>(carolPage, "conversations.openDm", { userIds: [danId] });
  for (const body of ["one", "two"]) {
    await trpc(carolPage, "messages.send", { conversationId: dm.id, clientMsgId: randomUUID(), body });
  }
  // A page whose own title Next sets (the count must survive it).
  await danPage.goto("/app/settings");
  await expect.poll(() => danPage.title(), { timeout: 15_000 }).toMatch(/^\(2\) /);
  await expect(danPage.locator("link#parley-favicon")).toHaveAttribute("data-count", "2");
  await danPage.getByRole("button", { name: "Mark all as read" }).click();
  await expect.poll(() => danPage.title()).not.toMatch(/^\(\d+\) /);
  await expect(danPage.locator("link#parley-favicon")).toHaveAttribute("data-count", "0");
});
