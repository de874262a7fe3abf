/**
 * Settings → Health: an admin opens the page from Settings and sees live figures — its own open
 * socket among the connections, and this server process reporting; a member is refused.
 */
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, signUp } from "./fixtures.ts";

test("an admin sees live connections and the reporting process; a member is refused", async ({ browser }) => {
  const adminUser = newUser("Health Admin");
  const { context, page } = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const member = newUser("Health Member");
  const memberSide = await signUp(browser, member);
  await memberSide.page.goto("/app/settings/health");
  await expect(memberSide.page.getByText("Only workspace admins can do this")).toBeVisible();
  await memberSide.context.close();

  await page.goto("/app/settings");
  await page.getByRole("link", { name: "Open the health page" }).click();
  await expect(page).toHaveURL(/\/app\/settings\/health$/);
  const now = page.getByLabel("Current figures");
  // This tab's own socket counts (the figures refresh every 5 s).
  await expect(now.getByRole("definition").first()).toHaveText(/^[1-9]\d*$/, { timeout: 15_000 });
  const processes = page.getByRole("table", { name: "Processes" });
  await expect(processes.getByRole("row").filter({ hasText: "web + gateway" })).toHaveCount(1);
  await context.close();
});
