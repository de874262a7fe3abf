/**
 * SSO-only mode (issue 15) in Chromium, against the e2e server's real OpenID provider
 * (e2e/sso-provider.ts): an admin turns "SSO only" on in Settings → Joining; the sign-in page then
 * offers the single sign-on button and no password form; a password sign-in POSTed straight to
 * next-auth's credentials callback is refused (the owner's too: the e2e server has no break-glass
 * setting) and opens no session, and so is a sign-up; the person signs in with SSO instead and
 * lands in their own account (linked by the provider's verified e-mail). Turning it off gives
 * passwords back.
 *
 * Workspace-wide (playwright.config.ts): while it is on, every other spec's password sign-in would
 * fail, so it runs alone, after the rest, and switches the mode off again whatever happens.
 */
import { randomUUID } from "node:crypto";
import { type APIRequestContext, expect, type Page, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, sidebarOf, signUp, trpc } from "./fixtures";
import { SSO_NAME, signInWithSso } from "./sso-provider.ts";

/** One password sign-in the way a script would do it (next-auth's credentials callback). */
async function passwordSignIn(request: APIRequestContext, email: string, password: string) {
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  return request.post("/api/auth/callback/credentials", {
    form: { email, password, csrfToken, json: "true", callbackUrl: "/app" },
  });
}

async function isSsoOnly(page: Page): Promise<boolean> {
  return (await trpc<{ ssoOnly: boolean }>(page, "workspace.status", undefined, "GET")).ssoOnly;
}

test("SSO only: no password form, a POSTed password refused, single sign-on still signs the person in", async ({
  browser,
}) => {
  // Per test, not per file: `--repeat-each` may run it again in the same worker.
  const run = randomUUID().slice(0, 8);
  const adminUser = newUser("SSO Only Admin", run);
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const person = newUser("SSO Only Person", run);
  const signedUp = await signUp(browser, person);
  const { id: personId } = await trpc<{ id: string }>(signedUp.page, "users.me", undefined, "GET");
  await signedUp.context.close();

  // Before: the person's password works over the same endpoint (the control for the refusal below).
  const before = await browser.newContext();
  expect((await passwordSignIn(before.request, person.email, person.password)).status()).toBe(200);
  await before.close();

  try {
    // A fresh load: the page signed in before makeAdmin may still hold the member's view.
    await admin.page.goto("/app/settings");
    const joining = admin.page.getByRole("region", { name: "Joining" });
    const ssoOnly = joining.getByRole("checkbox", { name: /SSO only/ });
    // A controlled switch: it shows checked once the server saved it (so click, then wait).
    await expect(ssoOnly).toBeEnabled();
    await ssoOnly.click();
    await expect(ssoOnly).toBeChecked();
    await expect.poll(() => isSsoOnly(admin.page)).toBe(true);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto("/sign-in");
    await expect(page.getByRole("link", { name: `Sign in with ${SSO_NAME}` })).toBeVisible();
    await expect(page.getByLabel("Password")).toHaveCount(0);
    await expect(page.getByLabel("Email")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Sign in" })).toHaveCount(0);
    await expect(page.locator("input[type=password]")).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Create an account" })).toHaveCount(0);

    // The form is gone, and so is the road behind it: the right password is refused, for the
    // person and for the admin alike, and no session is opened.
    for (const user of [person, adminUser]) {
      const refused = await passwordSignIn(context.request, user.email, user.password);
      expect(refused.status(), user.email).toBe(401);
      expect(await refused.json()).toMatchObject({ url: expect.stringMatching(/error=CredentialsSignin/) });
    }
    const session = await (await context.request.get("/api/auth/session")).json();
    expect(session).toEqual({});
    await page.goto("/app");
    await expect(page).toHaveURL(/\/sign-in/);
    // Nor can anyone sign up with a password.
    const newcomer = newUser("SSO Only Newcomer", run);
    const signUpRefused = await context.request.post("/api/trpc/auth.signUp", {
      data: { json: { name: newcomer.name, email: newcomer.email, password: newcomer.password } },
    });
    expect(signUpRefused.status()).toBe(403);
    expect(await signUpRefused.text()).toContain("single sign-on only");

    // Single sign-on works, and lands the person in their own account.
    await signInWithSso(page, person.email);
    await expect(page).toHaveURL(/\/app(\/|$)/);
    await expect(sidebarOf(page)).toBeVisible();
    expect(await trpc<{ id: string }>(page, "users.me", undefined, "GET")).toMatchObject({ id: personId });
    await context.close();
  } finally {
    await trpc(admin.page, "workspace.setSsoOnly", { ssoOnly: false });
  }

  // Off again: passwords work (the rest of the suite relies on it).
  expect(await isSsoOnly(admin.page)).toBe(false);
  const after = await browser.newContext();
  expect((await passwordSignIn(after.request, person.email, person.password)).status()).toBe(200);
  await Promise.all([after.close(), admin.context.close()]);
});
