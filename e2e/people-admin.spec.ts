/**
 * Settings → People: an admin finds a member by e-mail and makes them a guest — the member's open
 * tab loses "Browse channels" and "Create channel" at once, without a reload (user.role_changed) —
 * then makes a password reset link, which the member uses once to set a new password.
 */
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, sidebarOf, signUp } from "./fixtures.ts";

test("an admin makes a member a guest (their tab follows live) and gives them a reset link", async ({
  browser,
}) => {
  const adminUser = newUser("People Admin");
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const memberUser = newUser("People Member");
  const member = await signUp(browser, memberUser);
  await expect(sidebarOf(member.page).getByRole("link", { name: "Browse channels" })).toBeVisible();

  const page = admin.page;
  await page.goto("/app/settings");
  const section = page.getByRole("region", { name: "People" });
  await section.getByLabel("Name or e-mail").fill(memberUser.email);
  await section.getByRole("button", { name: "Search", exact: true }).click();
  const people = section.getByRole("list", { name: "People" });
  await expect(people.getByRole("listitem")).toHaveCount(1);
  await section.getByLabel(`Role of ${memberUser.name}`, { exact: true }).selectOption("guest");
  await expect(people.getByRole("listitem").first()).toContainText("guest");

  // No reload on the member's side: the role change reached their socket.
  await expect(sidebarOf(member.page).getByRole("link", { name: "Browse channels" })).toHaveCount(0);
  await expect(sidebarOf(member.page).getByRole("link", { name: "Create channel" })).toHaveCount(0);

  await section.getByRole("button", { name: `Make a password reset link for ${memberUser.name}` }).click();
  const link = await section
    .getByLabel(`Password reset link for ${memberUser.name}`, { exact: true })
    .inputValue();
  expect(link).toMatch(/\/reset-password\?token=/);

  const fresh = `${memberUser.password}-renewed`;
  const other = await (await browser.newContext()).newPage();
  await other.goto(new URL(link).pathname + new URL(link).search);
  await other.getByLabel("Password").fill(fresh);
  await other.getByRole("button", { name: "Set password" }).click();
  await expect(other.getByText("Your password is set.")).toBeVisible();
  // Once only.
  await other.goto(new URL(link).pathname + new URL(link).search);
  await other.getByLabel("Password").fill(`${fresh}-again`);
  await other.getByRole("button", { name: "Set password" }).click();
  await expect(other.getByRole("alert").filter({ hasText: "invalid, used or expired" })).toBeVisible();

  await other.goto("/sign-in");
  await other.getByLabel("Email").fill(memberUser.email);
  await other.getByLabel("Password").fill(fresh);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other).toHaveURL(/\/app$/);
  await Promise.all([admin.context.close(), member.context.close(), other.context().close()]);
});
