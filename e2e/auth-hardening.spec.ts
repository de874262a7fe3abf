// Issue 9 (defects 1, 7, 8) over real HTTP against the built server: sign-in lockout answers 429
// with Retry-After and the form shows the wait; a client's own X-Forwarded-For is not believed;
// guessable passwords are refused with zxcvbn's reason and a strength meter shows it while typing.
import { type APIRequestContext, expect, test } from "@playwright/test";
import { artifact, firstUser, newUser, signUp, trpc } from "./fixtures";

test.describe.configure({ mode: "serial" });

/** One password sign-in the way a script would do it (next-auth's credentials callback). */
async function credentials(
  request: APIRequestContext,
  email: string,
  password: string,
  headers: Record<string, string> = {},
) {
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  return request.post("/api/auth/callback/credentials", {
    form: { email, password, csrfToken, json: "true", callbackUrl: "/app" },
    headers,
  });
}

test("ten wrong passwords lock the account: 429 + Retry-After, even for the right password, and the form says how long", async ({
  browser,
  request,
}) => {
  const admin = await firstUser(browser, newUser("Lock Admin"));
  const victim = newUser("Lock Victim");
  await (await signUp(browser, victim)).context.close();

  for (let i = 0; i < 10; i++) {
    const res = await credentials(request, victim.email, `wrong-guess-${i}`);
    expect(res.status(), `attempt ${i + 1}`).toBe(401);
  }
  const locked = await credentials(request, victim.email, "wrong-guess-10");
  expect(locked.status()).toBe(429);
  const retryAfter = Number(locked.headers()["retry-after"]);
  expect(retryAfter).toBeGreaterThan(14 * 60);
  expect(retryAfter).toBeLessThanOrEqual(15 * 60);
  expect(await locked.json()).toMatchObject({ error: "TooManyAttempts", retryAfter });
  // The right password does not get through while the account is locked, in any encoding.
  expect((await credentials(request, victim.email, victim.password)).status()).toBe(429);
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const asJson = await request.post("/api/auth/callback/credentials", {
    data: { email: victim.email, password: victim.password, csrfToken, json: "true" },
  });
  expect(asJson.status()).toBe(429);

  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(victim.email);
  await page.getByLabel("Password").fill(victim.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Too many attempts" })).toHaveText(
    "Too many attempts, try again in 15 minutes.",
  );
  await expect(page).toHaveURL(/\/sign-in$/);

  // Admins see the lockout (the spec's first user is the owner when it runs on a fresh database).
  const me = await trpc<{ role: string }>(admin.page, "users.me", undefined, "GET");
  if (me.role === "owner" || me.role === "admin") {
    await admin.page.goto("/app/settings/audit-log");
    const lockout = admin.page
      .getByRole("table", { name: "Audit entries" })
      .getByRole("row")
      .filter({ hasText: "auth.lockout" })
      .filter({ hasText: victim.email.toLowerCase() });
    await expect(lockout.first()).toBeVisible();
  }
  await admin.context.close();
});

test("a direct client's X-Forwarded-For is not recorded as its address (TRUST_PROXY is off); token creation is rate-limited", async ({
  browser,
  request,
}) => {
  const user = newUser("Spoofer");
  await (await signUp(browser, user)).context.close();
  const res = await credentials(request, user.email, user.password, {
    "X-Forwarded-For": "203.0.113.77",
    "X-Real-IP": "203.0.113.78",
    "X-Parley-Client-Address": "203.0.113.79",
  });
  expect(res.status()).toBe(200);
  const list = await request.get(
    `/api/trpc/sessions.list?input=${encodeURIComponent(JSON.stringify({ json: null }))}`,
  );
  expect(list.status()).toBe(200);
  const sessions = (
    (await list.json()) as { result: { data: { json: { ip: string | null; isCurrent: boolean }[] } } }
  ).result.data.json;
  expect(sessions.length).toBeGreaterThan(0);
  for (const s of sessions) expect(["127.0.0.1", "::1"]).toContain(s.ip);

  // Personal access tokens: 20 per user per hour, then 429 with Retry-After (tRPC).
  const create = (i: number) =>
    request.post("/api/trpc/tokens.create", { data: { json: { name: `bot-${i}` } } });
  for (let i = 0; i < 20; i++) expect((await create(i)).status()).toBe(200);
  const refused = await create(20);
  expect(refused.status()).toBe(429);
  expect(Number(refused.headers()["retry-after"])).toBeGreaterThan(59 * 60);
  expect(await refused.text()).toContain("Too many attempts, try again in 60 minutes");
});

test('"password" is refused at sign-up with the reason, and the meter shows strength while typing', async ({
  browser,
  request,
}) => {
  const weak = await request.post("/api/trpc/auth.signUp", {
    data: { json: { name: "Weak", email: `weak-${Date.now()}@example.com`, password: "password" } },
  });
  expect(weak.status()).toBe(400);
  expect(await weak.text()).toContain("password is too easy to guess");

  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-up");
  const user = newUser("Meter");
  await page.getByLabel("Your name").fill(user.name);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill("password");
  const meter = page.getByTestId("password-strength");
  await expect(meter).toContainText("too easy to guess");
  await expect(page.getByRole("meter", { name: "Strength" })).toHaveAttribute("value", "0");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "password is too easy to guess" })).toBeVisible();
  await page.screenshot({ path: artifact("sign-up-weak-password.png") });
  await expect(page).toHaveURL(/\/sign-up/);

  await page.getByLabel("Password").fill(user.password);
  await expect(meter).toContainText(/strong/i);
  await expect(meter).not.toContainText("too easy to guess");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/app$/);
});
