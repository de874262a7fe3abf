/**
 * Settings → Channels: an admin finds a member's channel, sees it go private (the row says so),
 * and deletes it after typing its name; the member, who has the channel open, loses it from the
 * sidebar live and the open view says it is gone. Members get no such section.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, sidebarOf, signUp, trpc } from "./fixtures.ts";

test("an admin makes a channel private and deletes it; the member's open client drops it live", async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const adminUser = newUser("Channels Admin");
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const member = await signUp(browser, newUser("Channels Member"));
  try {
    const name = `doomed-${randomUUID().slice(0, 8)}`;
    const channel = await trpc<{ id: string }>(member.page, "conversations.create", { name, topic: "to go" });
    await member.page.goto(`/app/c/${channel.id}`);
    await expect(member.page.getByRole("heading", { level: 1, name: `# ${name}` })).toBeVisible();
    await expect(sidebarOf(member.page).getByRole("link", { name: new RegExp(name) })).toBeVisible();

    await admin.page.goto("/app/settings");
    const section = admin.page.getByRole("region", { name: "Channels" });
    await section.getByLabel("Search channels").fill(name);
    const row = section.getByRole("listitem").filter({ hasText: name });
    await expect(row).toContainText("public");
    await expect(row).toContainText("to go");
    await row.getByRole("button", { name: `Make #${name} private` }).click();
    await expect(row.locator(".tag").first()).toHaveText("private");
    // A private row shows name and member count, nothing from inside.
    await expect(row).not.toContainText("to go");

    await row.getByRole("button", { name: `Delete #${name}` }).click();
    const confirm = row.getByRole("form", { name: `Delete #${name}` });
    const submit = confirm.getByRole("button", { name: "Delete channel" });
    await expect(submit).toBeDisabled();
    await confirm.getByLabel(`Type ${name} to confirm`).fill(name);
    await submit.click();
    await expect(section.getByRole("listitem").filter({ hasText: name })).toHaveCount(0);

    // The member's client drops it without a reload.
    await expect(sidebarOf(member.page).getByRole("link", { name: new RegExp(name) })).toHaveCount(0);
    await expect(member.page.getByRole("heading", { name: "Conversation unavailable" })).toBeVisible();

    // Members have no such section; the API refuses them.
    await member.page.goto("/app/settings");
    await expect(member.page.getByRole("heading", { name: "Sessions" })).toBeVisible();
    await expect(member.page.getByRole("region", { name: "Channels" })).toHaveCount(0);
    const refused = await member.page.request.get(
      `/api/trpc/channelAdmin.list?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`,
    );
    expect(refused.status()).toBe(403);
  } finally {
    await member.context.close();
    await admin.context.close();
  }
});
