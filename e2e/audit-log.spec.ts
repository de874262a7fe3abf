/**
 * Settings → Audit log: an admin deactivates someone, opens the audit log, sees the entry, filters
 * it, and downloads the CSV (which is itself recorded); a member is refused the page and the export.
 */
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, signUp } from "./fixtures.ts";

test("an admin deactivates someone, finds it in the audit log, filters, and downloads the CSV", async ({
  browser,
}) => {
  const adminUser = newUser("Audit Admin");
  const { context, page } = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const member = newUser("Audit Member");
  const memberSide = await signUp(browser, member);

  // The member cannot read the log or export it: the server refuses.
  await memberSide.page.goto("/app/settings/audit-log");
  await expect(memberSide.page.getByRole("region", { name: "Entries" }).getByRole("alert")).toHaveText(
    "Only workspace admins can do this",
  );
  const refused = await memberSide.page.request.get("/api/audit/export");
  expect(refused.status()).toBe(403);
  await memberSide.context.close();

  await page.goto("/app/settings");
  // People are paged: find them first.
  await page.getByLabel("Name or e-mail").fill(member.email);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("button", { name: `Deactivate ${member.name}` }).click();
  await expect(page.getByRole("button", { name: `Reactivate ${member.name}` })).toBeVisible();

  await page.getByRole("link", { name: "Open the audit log" }).click();
  await expect(page).toHaveURL(/\/app\/settings\/audit-log$/);
  const table = page.getByRole("table", { name: "Audit entries" });
  const deactivated = table
    .getByRole("row")
    .filter({ hasText: "user.deactivated" })
    .filter({ hasText: member.email });
  await expect(deactivated).toHaveCount(1);
  await expect(deactivated).toContainText(adminUser.email);
  await expect(deactivated).toContainText(/127\.0\.0\.1|::1/);

  // Filter: only deactivations by this admin.
  const filters = page.getByRole("form", { name: "Filter the audit log" });
  await filters.getByLabel("Action").selectOption("user.deactivated");
  await filters.getByLabel("Actor (e-mail contains)").fill(adminUser.email);
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(table.getByRole("row")).toHaveCount(2); // the header and the one entry
  await expect(table.getByRole("row").nth(1)).toContainText(member.email);
  // A filter nothing matches.
  await filters.getByLabel("Action").selectOption("token.revoked");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByText("No entries.")).toBeVisible();
  await filters.getByLabel("Action").selectOption("user.deactivated");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(table.getByRole("row")).toHaveCount(2);

  // Download the CSV of what is shown.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^parley-audit-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await readFile(await download.path(), "utf8");
  const lines = csv.split("\r\n").filter(Boolean);
  expect(lines[0]).toBe(
    '"time","actor","actor_id","action","target_type","target_id","target","address","user_agent","details"',
  );
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(`"${adminUser.email}"`);
  expect(lines[1]).toContain('"user.deactivated"');
  expect(lines[1]).toContain(`"${member.email}"`);

  // The export itself is on record.
  await filters.getByLabel("Action").selectOption("audit.exported");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(table.getByRole("row").filter({ hasText: "audit.exported" })).toHaveCount(1);
  await context.close();
});
