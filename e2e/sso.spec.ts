/**
 * Single sign-on against a real OpenID provider (oidc-provider on loopback, e2e/sso-provider.ts,
 * started for the run by global-setup.ts):
 * Chromium clicks "Sign in with E2E SSO", signs in on the provider's page and comes back through
 * next-auth's callback (PKCE, state, ID token checks) — a first sign-in at the allowed domain
 * creates the account and lands in the app, signing out ends it; an address at another domain and
 * a deactivated user are refused with a sentence on the sign-in page. Group claims (the provider
 * sends them per account, see sso-provider.ts; the server has OIDC_REQUIRED_GROUP and
 * OIDC_ADMIN_GROUP): someone in the admin group becomes an admin at their first sign-in and has the
 * admin settings; someone outside the required group is refused. The rules in detail are core's
 * (packages/core/test/sso.integration.test.ts). Changes no workspace setting.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, sidebarOf, trpc } from "./fixtures";
import { SSO_DOMAIN, SSO_NAME, signInWithSso } from "./sso-provider.ts";

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

test("someone in the admin group becomes an admin at their first SSO sign-in and has the admin settings", async ({
  browser,
}) => {
  // Per test, not per file: `--repeat-each` may run it again in the same worker.
  const id = randomUUID().slice(0, 8);
  const context = await browser.newContext();
  const page = await context.newPage();
  // `admin-…`: the provider puts this account in parley-users and /parley-admins.
  const email = `admin-${id}@${SSO_DOMAIN}`;
  await signInWithSso(page, email);
  await expect(page).toHaveURL(/\/app(\/|$)/);
  expect(await trpc<{ role: string }>(page, "users.me", undefined, "GET")).toMatchObject({
    email,
    role: "admin",
  });
  await sidebarOf(page).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/app\/settings$/);
  // The admin sections are there, and an admin-only page opens.
  await expect(page.getByRole("heading", { name: "Workspace", exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "Joining" })).toBeVisible();
  await page.goto("/app/settings/audit-log");
  await expect(page).toHaveURL(/\/app\/settings\/audit-log$/);
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  // The account was made with the role the group gave (the audit log, which only admins read).
  type TAudit = { entries: { details: Record<string, unknown> | null }[] };
  const signedUp = await trpc<TAudit>(page, "audit.list", { action: "auth.signed_up", actor: email }, "GET");
  expect(signedUp.entries).toHaveLength(1);
  expect(signedUp.entries[0]?.details).toMatchObject({ via: "sso", role: "admin" });

  // The control: a JIT account outside the admin group is a member, without the admin settings.
  const other = await browser.newContext();
  const memberPage = await other.newPage();
  await signInWithSso(memberPage, `plain-${id}@${SSO_DOMAIN}`);
  await expect(memberPage).toHaveURL(/\/app(\/|$)/);
  expect(await trpc<{ role: string }>(memberPage, "users.me", undefined, "GET")).toMatchObject({
    role: "member",
  });
  await memberPage.goto("/app/settings");
  await expect(memberPage.getByRole("heading", { name: "Sessions" })).toBeVisible();
  await expect(memberPage.getByRole("region", { name: "Joining" })).toHaveCount(0);
  await expect(memberPage.getByRole("heading", { name: "Workspace", exact: true })).toHaveCount(0);
  await Promise.all([context.close(), other.close()]);
});

test("someone outside the required group is refused with a clear sentence and gets no account", async ({
  browser,
}) => {
  // Per test, not per file: `--repeat-each` may run it again in the same worker.
  const id = randomUUID().slice(0, 8);
  const context = await browser.newContext();
  const page = await context.newPage();
  // `nogroup-…`: the provider vouches for them (allowed domain, verified) but sends no groups.
  const email = `nogroup-${id}@${SSO_DOMAIN}`;
  await signInWithSso(page, email);
  await expect(page).toHaveURL(/\/sign-in\?error=sso_not_in_group/);
  await expect(
    page.getByRole("alert").filter({
      hasText: `Your ${SSO_NAME} account is not in the group allowed to use this workspace. Ask an admin for access.`,
    }),
  ).toBeVisible();
  await page.goto("/app");
  await expect(page).toHaveURL(/\/sign-in/);
  expect(await (await context.request.get("/api/auth/session")).json()).toEqual({});
  // The refusal is in the audit log with its reason, and no account was made for them.
  const adminUser = newUser("SSO Group Admin", id);
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const failed = await trpc<{ entries: { details: Record<string, unknown> | null }[] }>(
    admin.page,
    "audit.list",
    { action: "auth.sign_in_failed", actor: email },
    "GET",
  );
  expect(failed.entries.map((e) => e.details)).toContainEqual(
    expect.objectContaining({ method: "sso", reason: "SSO: not in the required group" }),
  );
  const everyone = await trpc<{ email: string }[]>(admin.page, "users.listAll", undefined, "GET");
  expect(everyone.map((u) => u.email)).not.toContain(email);
  expect(everyone.map((u) => u.email)).toContain(adminUser.email);
  await Promise.all([context.close(), admin.context.close()]);
});
