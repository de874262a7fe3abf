/**
 * Every page and API answer carries the security headers SECURITY.md promises; the nonce-based
 * Content-Security-Policy (apps/web/src/proxy.ts) is fresh per response, Next's scripts carry it,
 * and the app works under it: a CSP violation while signing up, opening a channel and sending a
 * message fails the test. The session cookies are checked on a real sign-in response (this server
 * is plain http: HttpOnly and SameSite=Lax, no Secure; the https case is
 * apps/web/src/server/auth-cookies.integration.test.ts).
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, historyOf, newUser, sidebarOf, watchCsp } from "./fixtures";

/** The directives of a CSP header: name → sources. */
function directives(csp: string | undefined): Map<string, string[]> {
  return new Map(
    (csp ?? "").split(/;\s*/).map((d) => {
      const [name = "", ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

function nonceOf(csp: string | undefined): string {
  const nonce = directives(csp)
    .get("script-src")
    ?.find((s) => s.startsWith("'nonce-"));
  expect(nonce, `no nonce in ${csp}`).toBeDefined();
  return (nonce ?? "").slice("'nonce-".length, -1);
}

for (const path of ["/sign-in", "/api/healthz", "/api/trpc/workspace.status"]) {
  test(`${path} is served with the security headers`, async ({ request }) => {
    const res = await request.get(path);
    const headers = res.headers();
    expect(headers["x-frame-options"]).toBe("DENY");
    const csp = directives(headers["content-security-policy"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("script-src")).toContain("'strict-dynamic'");
    expect(csp.get("script-src")).not.toContain("'unsafe-inline'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["permissions-policy"]).toContain("microphone=(self)");
    expect(headers["x-powered-by"]).toBeUndefined();
    // PUBLIC_URL is http here: no HSTS (it would pin a plain-http origin to https).
    expect(headers["strict-transport-security"]).toBeUndefined();
  });
}

test("each response gets its own nonce and every script of the page carries it", async ({
  request,
  page,
}) => {
  const first = await request.get("/sign-in");
  const second = await request.get("/sign-in");
  const nonce = nonceOf(first.headers()["content-security-policy"]);
  expect(nonce).not.toBe(nonceOf(second.headers()["content-security-policy"]));
  // Only one CSP header (two would both be enforced, and a stale static one could hide here).
  expect(first.headersArray().filter((h) => h.name.toLowerCase() === "content-security-policy")).toHaveLength(
    1,
  );
  const html = await first.text();
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);

  // In the browser: every script element has the nonce of the response that served the page.
  const res = await page.goto("/sign-in");
  const pageNonce = nonceOf(res?.headers()["content-security-policy"]);
  await expect(page.getByRole("button").first()).toBeVisible();
  const nonces = await page.evaluate(() => [...document.scripts].map((s) => s.nonce));
  expect(nonces.length).toBeGreaterThan(0);
  expect(new Set(nonces)).toEqual(new Set([pageNonce]));
});

test("an injected script without the nonce is refused, and the refusal is seen", async ({ page }) => {
  // The negative control of the next test's violation watch: markup injected into the page (what
  // an HTML-injection bug would produce) carries no nonce, so it must not run, and must be seen.
  // Every document (on a fresh database /sign-in redirects to /setup).
  await page.route("**/*", async (route) => {
    if (route.request().resourceType() !== "document") return route.fallback();
    const res = await route.fetch();
    const html = (await res.text()).replace("</head>", "<script>window.__injected = true</script></head>");
    await route.fulfill({ response: res, body: html });
  });
  const violations = await watchCsp(page);
  await page.goto("/sign-in");
  await expect(page.getByRole("button").first()).toBeVisible();
  await expect.poll(() => violations.some((v) => v.startsWith("event: script-src"))).toBe(true);
  expect(violations.some((v) => v.startsWith("console:"))).toBe(true);
  expect(await page.evaluate(() => (window as { __injected?: boolean }).__injected)).toBeUndefined();
});

test("the app works under the CSP: sign up, open a channel, send a message, no violation", async ({
  browser,
}) => {
  const run = randomUUID().slice(0, 8);
  const { context, page } = await firstUser(browser, newUser("Csp Member", run));
  const violations = await watchCsp(page);
  // From a fresh load of the app (scripts, styles, the realtime socket, the unread favicon).
  await page.goto("/app");
  const name = `csp-${run}`;
  // Created in the UI (the new-channel form and the navigation after it run under the CSP too).
  await sidebarOf(page).getByRole("link", { name: "Create channel" }).click();
  await page.getByLabel("Channel name").fill(name);
  await page.getByRole("button", { name: "Create channel" }).click();
  const composer = page.getByLabel(`Message # ${name}`);
  await composer.fill("Sent under a strict CSP");
  await composer.press("Enter");
  // Acked over the WebSocket (connect-src): shown as sent, no longer pending.
  const sent = historyOf(page).locator("article.msg").filter({ hasText: "Sent under a strict CSP" });
  await expect(sent).toBeVisible();
  await expect(sent).not.toHaveClass(/pending/);
  await page.reload();
  await expect(historyOf(page).getByText("Sent under a strict CSP")).toBeVisible();
  expect(violations).toEqual([]);
  await context.close();
});

test("sign-in cookies are HttpOnly and SameSite=Lax (and not Secure on an http origin)", async ({
  browser,
  request,
}) => {
  const user = newUser("Cookie Reader", randomUUID().slice(0, 8));
  await (await firstUser(browser, user)).context.close();
  const csrf = await request.get("/api/auth/csrf");
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const signIn = await request.post("/api/auth/callback/credentials", {
    form: { email: user.email, password: user.password, csrfToken, json: "true" },
  });
  expect(signIn.status()).toBe(200);
  const lines = [...csrf.headersArray(), ...signIn.headersArray()]
    .filter((h) => h.name.toLowerCase() === "set-cookie")
    .map((h) => h.value);
  const byName = new Map(
    lines.map((l) => [
      l.slice(0, l.indexOf("=")),
      l
        .split(/;\s*/)
        .slice(1)
        .map((a) => a.toLowerCase()),
    ]),
  );
  expect([...byName.keys()]).toEqual(
    expect.arrayContaining(["next-auth.csrf-token", "next-auth.session-token"]),
  );
  for (const [name, attrs] of byName) {
    expect(attrs, name).toContain("httponly");
    expect(attrs, name).toContain("samesite=lax");
    expect(attrs, name).not.toContain("secure");
  }
});

test("before the page's script runs, the password forms cannot submit (nothing secret can reach a URL)", async ({
  browser,
}) => {
  // The server's HTML as a browser without the app's JavaScript sees it: a click or Enter then would
  // submit the form natively — a GET by default, the password in the URL and in every log.
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    for (const path of ["/sign-in", "/sign-up"]) {
      await page.goto(path);
      const form = page.locator("form").filter({ has: page.locator('input[type="password"]') });
      await expect(form).toHaveAttribute("method", "post");
      await expect(form.getByRole("button", { name: /^(Sign in|Create account)$/ })).toBeDisabled();
    }
  } finally {
    await context.close();
  }
});
