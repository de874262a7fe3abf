/**
 * Single sign-on against a real OpenID provider (oidc-provider on loopback, e2e/sso-provider.ts,
 * started for the run by global-setup.ts):
 * Chromium clicks "Sign in with E2E SSO", signs in on the provider's page and comes back through
 * next-auth's callback (PKCE, state, ID token checks) — a first sign-in at the allowed domain
 * creates the account and lands in the app, signing out ends it; an address at another domain and
 * a deactivated user are refused with a sentence on the sign-in page. The rules in detail are
 * core's (packages/core/test/sso.integration.test.ts). Changes no workspace setting.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, sidebarOf, trpc } from "./fixtures";
import { SSO_DOMAIN, signInWithSso } from "./sso-provider.ts";

const run = randomUUID().slice(0, 8);

test("a first SSO sign-in creates the account and lands in the app; signing out ends the session", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = `jit-${run}@${SSO_DOMAIN}`;
  await signInWithSso(page, email);
  await expect(page).toHaveURL(/\/app(\/|$)/);
  await expect(sidebarOf(page)).toBeVisible();
  const me = await trpc<{ id: string; email: string; name: string; role: string }>(
    page,
    "users.me",
    undefined,
    "GET",
  );
  expect(me).toMatchObject({ email, name: `SSO jit-${run}`, role: "member" });

  await sidebarOf(page).getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/app");
  await expect(page).toHaveURL(/\/sign-in/);

  // Signing in again (another browser: no session at the provider either) finds the same account,
  // linked by the provider's subject.
  const again = await browser.newContext();
  const second = await again.newPage();
  await signInWithSso(second, email);
  await expect(second).toHaveURL(/\/app(\/|$)/);
  expect(await trpc<{ id: string }>(second, "users.me", undefined, "GET")).toMatchObject({ id: me.id });
  await Promise.all([context.close(), again.close()]);
});

test("an address at a domain that may not join is refused with a clear sentence", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInWithSso(page, `outsider-${run}@elsewhere.test`);
  await expect(page).toHaveURL(/\/sign-in\?error=sso_domain_not_allowed/);
  // (Next's route announcer is an alert too: pick ours by its text.)
  await expect(page.getByRole("alert").filter({ hasText: /may not join this workspace/ })).toBeVisible();
  // No session was opened.
  await page.goto("/app");
  await expect(page).toHaveURL(/\/sign-in/);
  await context.close();
});

test("a deactivated user is refused at the SSO sign-in", async ({ browser }) => {
  const adminUser = newUser("SSO Admin", run);
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);

  const context = await browser.newContext();
  const page = await context.newPage();
  const email = `leaver-${run}@${SSO_DOMAIN}`;
  await signInWithSso(page, email);
  await expect(page).toHaveURL(/\/app(\/|$)/);
  const { id } = await trpc<{ id: string }>(page, "users.me", undefined, "GET");

  await trpc(admin.page, "users.deactivate", { userId: id });
  // The open session ended with the deactivation (the open tab may leave by itself as its socket
  // is closed, aborting this navigation) …
  await page.goto("/app").catch(() => undefined);
  await expect(page).toHaveURL(/\/sign-in/);
  // … and the provider still vouching for them (a fresh browser signs in there again) does not
  // get them back in.
  const again = await browser.newContext();
  const retry = await again.newPage();
  await signInWithSso(retry, email);
  await expect(retry).toHaveURL(/\/sign-in\?error=sso_deactivated/);
  await expect(retry.getByRole("alert").filter({ hasText: /has been deactivated/ })).toBeVisible();
  await retry.goto("/app");
  await expect(retry).toHaveURL(/\/sign-in/);
  await Promise.all([context.close(), again.close(), admin.context.close()]);
});
