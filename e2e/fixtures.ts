/**
 * Shared setup for the browser specs: users signing up in their own contexts, a channel they
 * share, tRPC over HTTP with a page's session cookie, and where screenshots go. Every spec seeds
 * its own users (a random run id) so specs run alone or together, in any order.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  expect,
  type Page,
} from "@playwright/test";

export type TUser = { name: string; email: string; password: string };

/** A user with a unique email for this run. */
export function newUser(name: string, run = randomUUID().slice(0, 8)): TUser {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return { name, email: `${slug}-${run}@example.com`, password: `${slug}-password-${run}` };
}

/** Screenshots kept for humans to look at (gitignored). */
export function artifact(name: string): string {
  return join(import.meta.dirname, "artifacts", name);
}

export function sidebarOf(page: Page) {
  return page.getByRole("navigation", { name: "Workspace" });
}

/**
 * Opens `path` — a conversation (`/app/c/<id>`) or one of the sidebar's pages (`/app/settings`,
 * `/app/saved`, `/app/browse`, `/app/new-channel`, `/app/new-message`) — by clicking its sidebar
 * link, as a user does: a client-side navigation, where `page.goto` loads the whole app again
 * (≈ 1.5 s on a quiet box, 3–5 s on a loaded CI box, and most of a browser test's CPU). Keep `goto`
 * where the test is about a fresh load or a deep link (`?m=`, `?thread=`).
 */
export async function openInApp(page: Page, path: string): Promise<void> {
  await sidebarOf(page).locator(`a[href="${path}"]`).click();
  await expect(page).toHaveURL((url) => url.pathname === path);
}

export function historyOf(page: Page) {
  return page.getByRole("log", { name: "Message history" });
}

/** Options of the sign-up helpers. */
export type TUserOptions = {
  /** Called with every page opened (e.g. to watch for dialogs an XSS would raise). */
  onPage?: (page: Page) => void;
  /** For the user's browser context (e.g. clipboard permissions). */
  context?: BrowserContextOptions;
};

/** Fills the name, email and password fields the sign-up and first-run forms share. */
async function fillAccount(page: Page, user: TUser): Promise<void> {
  await page.getByLabel("Your name").fill(user.name);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
}

/**
 * A new account, signed in, on /app. Made through the API the sign-up page itself calls (tRPC
 * `auth.signUp`, then next-auth's credentials callback), which saves every spec the page's load
 * and typing; the sign-up page's own behaviour is foundation.spec.ts's and auth-hardening's.
 */
export async function signUp(
  browser: Browser,
  user: TUser,
  options: TUserOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options.context);
  const page = await context.newPage();
  options.onPage?.(page);
  const created = await context.request.post("/api/trpc/auth.signUp", {
    data: { json: { name: user.name, email: user.email, password: user.password } },
  });
  expect(created.status(), await created.text()).toBe(200);
  const { csrfToken } = (await (await context.request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const signedIn = await context.request.post("/api/auth/callback/credentials", {
    form: { email: user.email, password: user.password, csrfToken, json: "true" },
  });
  expect(signedIn.status(), await signedIn.text()).toBe(200);
  await page.goto("/app");
  await expect(page).toHaveURL(/\/app$/);
  return { context, page };
}

/** Signs an existing user in, in a new context (another device). */
export async function signIn(browser: Browser, user: TUser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/app$/);
  return page;
}

/**
 * The first user: owner of a fresh workspace when this spec runs alone (turning on open sign-up
 * so others can join), or an ordinary sign-up when another spec set the workspace up.
 */
export async function firstUser(
  browser: Browser,
  user: TUser,
  options: TUserOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options.context);
  // Asked through the API, not by loading "/" in the page: in all but the first spec the workspace
  // is set up, and a page load just to find that out cost every spec one (seconds on a busy box).
  const status = await context.request.get(
    `/api/trpc/workspace.status?input=${encodeURIComponent(JSON.stringify({ json: null }))}`,
  );
  expect(status.status(), await status.text()).toBe(200);
  const { isSetUp } = ((await status.json()) as { result: { data: { json: { isSetUp: boolean } } } }).result
    .data.json;
  if (isSetUp) {
    await context.close();
    return signUp(browser, user, options);
  }
  const page = await context.newPage();
  options.onPage?.(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel("Workspace name").fill("Parley E2E");
  await fillAccount(page, user);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/app$/);
  await sidebarOf(page).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("radio", { name: /Anyone with the address/ }).check();
  await page.getByRole("button", { name: "Save sign-up settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  return { context, page };
}

/**
 * Makes a member a workspace admin in the database (when another spec set the workspace up
 * first, `firstUser` is an ordinary member; specs of admin settings need an admin).
 */
export function makeAdmin(email: string): void {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (run through scripts/with-test-db.mjs)");
  execFileSync("psql", [
    url,
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    `UPDATE "User" SET role = 'admin' WHERE email = '${email}' AND role = 'member'`,
  ]);
}

/**
 * `owner` creates a public channel and every page in `joiners` joins it, through the API the
 * pages themselves call; then each page (in the app, as signUp and firstUser leave it) opens it
 * from its sidebar, where it arrived live (a client-side navigation: no page load). Returns its
 * URL and id. Creating a channel in the UI is foundation.spec.ts's and a11y.spec's; joining one
 * from its page, foundation's and joining.spec's.
 */
export async function sharedChannel(
  owner: Page,
  joiners: readonly Page[],
  name: string,
): Promise<{ url: string; conversationId: string }> {
  const { id: conversationId } = await trpc<{ id: string }>(owner, "conversations.create", { name });
  for (const page of joiners) await trpc(page, "conversations.join", { conversationId });
  const link = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`);
  for (const page of [owner, ...joiners]) {
    await sidebarOf(page).getByRole("link", { name: link }).click();
    await expect(page.getByLabel(`Message # ${name}`)).toBeVisible();
  }
  return { url: `/app/c/${conversationId}`, conversationId };
}

/** tRPC over HTTP with the page's session cookie (superjson envelope). */
export async function trpc<T>(
  page: Page,
  path: string,
  input: unknown,
  method: "GET" | "POST" = "POST",
): Promise<T> {
  const res =
    method === "GET"
      ? await page.request.get(
          `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
          // A read is safe to repeat: Playwright's pooled socket may have been closed by the server
          // after idling past its keep-alive timeout while a loaded box had not yet seen the FIN
          // (ECONNRESET on a long run's next request; Playwright retries only that error).
          { maxRetries: 2 },
        )
      : await page.request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

/**
 * Notes every message the list highlights (`.ml-highlight`, shown for 2.5 s after a jump) from
 * now on, also across navigations, so a busy machine cannot make the test look too late.
 */
export async function watchHighlights(page: Page): Promise<void> {
  const install = () => {
    const w = window as unknown as { __highlighted?: Set<string> };
    if (w.__highlighted) return;
    const seen = new Set<string>();
    w.__highlighted = seen;
    const note = () => {
      for (const li of document.querySelectorAll(".ml-highlight article.msg")) {
        seen.add(li.getAttribute("data-seq") ?? "");
      }
    };
    new MutationObserver(note).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["class"],
    });
  };
  await page.addInitScript(install);
  await page.evaluate(install);
}

/** Whether the list highlighted the message with this seq since watchHighlights. */
export function wasHighlighted(page: Page, seq: number | string): Promise<boolean> {
  return page.evaluate(
    (s) => (window as unknown as { __highlighted?: Set<string> }).__highlighted?.has(s) ?? false,
    String(seq),
  );
}

/**
 * Records the page's tRPC calls (procedures, HTTP status, milliseconds) and navigations, so a
 * failed wait can say what the page asked the server and what it got back: a CI log has no trace
 * viewer. `describe()` returns the record as lines.
 */
export function recordTraffic(page: Page): { describe: () => string } {
  const lines: string[] = [];
  const started = Date.now();
  const at = () => `+${Date.now() - started}ms`;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) lines.push(`${at()} navigated to ${frame.url()}`);
  });
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/trpc"))
      lines.push(`${at()} ${request.method()} ${url.pathname.slice(10)} sent`);
  });
  page.on("requestfinished", async (request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith("/api/trpc")) return;
    const response = await request.response().catch(() => null);
    lines.push(
      `${at()} ${request.method()} ${url.pathname.slice(10)} → ${response?.status() ?? "no response"}`,
    );
  });
  page.on("requestfailed", (request) => {
    lines.push(`${at()} FAILED ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on("pageerror", (err) => lines.push(`${at()} page error: ${err.message}`));
  return { describe: () => lines.join("\n") };
}

/** Collects CSP violations on `page`: `securitypolicyviolation` events and Chromium's console reports. */
export async function watchCsp(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) seen.push(`console: ${msg.text().slice(0, 300)}`);
  });
  await page.exposeFunction("__cspViolation", (v: string) => seen.push(`event: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __cspViolation?: (v: string) => void }).__cspViolation;
      report?.(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return seen;
}
