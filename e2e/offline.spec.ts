import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, historyOf, newUser, sharedChannel, signUp } from "./fixtures";

// Installable and resilient (ARCHITECTURE.md "Installable app and offline"): the manifest and its
// icons; the service worker registers and controls the page; a reload with the network gone is
// answered from its caches and shows the last messages (the saved query cache) and the offline
// banner; a message typed then goes out once the network is back, and the other member gets it.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);

test("the manifest makes the app installable: name, start URL, colours and icons that load", async ({
  request,
  page,
}) => {
  const res = await request.get("/manifest.webmanifest");
  expect(res.status()).toBe(200);
  const manifest = (await res.json()) as {
    name: string;
    short_name: string;
    start_url: string;
    display: string;
    theme_color: string;
    background_color: string;
    icons: { src: string; sizes: string; type: string; purpose?: string }[];
  };
  expect(manifest).toMatchObject({
    name: "Parley",
    short_name: "Parley",
    start_url: "/app",
    display: "standalone",
    theme_color: "#ffffff",
    background_color: "#ffffff",
  });
  const sizes = manifest.icons.map((i) => `${i.sizes} ${i.purpose ?? "any"}`).sort();
  expect(sizes).toEqual(["192x192 any", "512x512 any", "512x512 maskable"]);
  for (const icon of manifest.icons) {
    const image = await request.get(icon.src);
    expect(image.status(), icon.src).toBe(200);
    expect(image.headers()["content-type"]).toBe("image/png");
    // A PNG of the size it claims (IHDR width at byte 16).
    const bytes = await image.body();
    expect(bytes.readUInt32BE(16)).toBe(Number(icon.sizes.split("x")[0]));
  }
  // Every page links it and carries the title-bar colour of both themes.
  await page.goto("/sign-in");
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute("href", "/manifest.webmanifest");
  const themes = await page
    .locator('meta[name="theme-color"]')
    .evaluateAll((metas) => metas.map((m) => `${m.getAttribute("media")} ${m.getAttribute("content")}`));
  expect(themes.sort()).toEqual([
    "(prefers-color-scheme: dark) #16181d",
    "(prefers-color-scheme: light) #ffffff",
  ]);
});

test("an offline reload shows the last messages and the banner; a message typed offline is delivered later", async ({
  browser,
}) => {
  // Two users, a channel, a reload and a reconnect: about a minute on a busy 2-core box.
  test.slow();
  const { context: adaContext, page: ada } = await firstUser(browser, newUser("Ada Offline", run));
  const { page: bob } = await signUp(browser, newUser("Bob Offline", run));
  const channel = `offline-${run}`;
  await sharedChannel(ada, [bob], channel);
  const composer = ada.getByLabel(`Message # ${channel}`);
  await composer.fill(`seen before the network went ${run}`);
  await composer.press("Enter");
  const seen = historyOf(ada).getByText(`seen before the network went ${run}`);
  await expect(seen).toBeVisible();
  await expect(historyOf(bob).getByText(`seen before the network went ${run}`)).toBeVisible();

  // The worker registered after load and took control of the page (clients.claim).
  await expect
    .poll(() => ada.evaluate(() => navigator.serviceWorker.controller?.scriptURL.split("?")[0] ?? ""))
    .toBe(new URL("/sw.js", ada.url()).href);
  // This route's HTML is saved (the page asked; it reached it by client-side navigation), and so
  // is the query cache holding the message.
  await expect
    .poll(() =>
      ada.evaluate(async () => (await caches.match(location.origin + location.pathname)) !== undefined),
    )
    .toBe(true);
  await expect
    .poll(() =>
      ada.evaluate(
        (text) =>
          Object.keys(localStorage).some(
            (k) => k.startsWith("parley-cache:") && (localStorage.getItem(k) ?? "").includes(text),
          ),
        `seen before the network went ${run}`,
      ),
    )
    .toBe(true);

  // The nonce the saved copy was rendered with: a page rendered afresh would carry a new one.
  const savedNonce = await ada.evaluate(async () => {
    const csp = (await caches.match(location.origin + location.pathname))?.headers.get(
      "content-security-policy",
    );
    return /'nonce-([^']+)'/.exec(csp ?? "")?.[1] ?? "";
  });
  expect(savedNonce).not.toBe("");

  await adaContext.setOffline(true);
  const reloaded = await ada.reload();
  expect(reloaded?.fromServiceWorker()).toBe(true);
  expect(await ada.evaluate(() => document.querySelector<HTMLScriptElement>("script[nonce]")?.nonce)).toBe(
    savedNonce,
  );
  const banner = ada.getByRole("status").filter({ hasText: "Offline." });
  await expect(banner).toBeVisible();
  await expect(seen).toBeVisible();
  await expect(ada.getByRole("navigation", { name: "Workspace" }).getByText(channel)).toBeVisible();

  // The banner is the hydrated app speaking: the composer works, and the message waits.
  await composer.fill(`typed while offline ${run}`);
  await composer.press("Enter");
  const pending = historyOf(ada).locator('article.msg.pending[data-status="sending"]');
  await expect(pending.getByText(`typed while offline ${run}`)).toBeVisible();
  await expect(historyOf(bob).getByText(`typed while offline ${run}`)).toHaveCount(0);

  await adaContext.setOffline(false);
  await expect(banner).toHaveCount(0, { timeout: 15_000 });
  await expect(historyOf(bob).getByText(`typed while offline ${run}`)).toBeVisible({ timeout: 15_000 });
  await expect(pending).toHaveCount(0);
  await expect(historyOf(ada).getByText(`typed while offline ${run}`)).toHaveCount(1);
});

test("signing out removes the saved pages and data", async ({ browser }) => {
  const { page } = await signUp(browser, newUser("Cy Offline", run));
  /** The /app pages in any cache, and the localStorage keys that hold this user's state. */
  const kept = () =>
    page.evaluate(async () => {
      const saved: string[] = [];
      for (const name of await caches.keys()) {
        for (const req of await (await caches.open(name)).keys()) saved.push(new URL(req.url).pathname);
      }
      return {
        pages: saved.filter((p) => p.startsWith("/app")),
        data: Object.keys(localStorage).filter(
          (k) => k.startsWith("parley") && k !== "parley:notifications-prompt-dismissed",
        ),
      };
    });
  await expect.poll(async () => (await kept()).pages).toContain("/app");
  await expect.poll(async () => (await kept()).data.some((k) => k.startsWith("parley-cache:"))).toBe(true);
  await page.getByRole("navigation", { name: "Workspace" }).getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await expect.poll(kept).toEqual({ pages: [], data: [] });
});
