/**
 * Settings → "@channel, @here and @everyone": an admin lets only admins use them in channels with
 * more than 2 members; in such a channel a member's composer warns, the server refuses the send
 * and the member sees why with their text still there, while the admin's @channel goes through.
 * Members cannot change the policy. The policy is reset at the end (the workspace is shared).
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, historyOf, makeAdmin, newUser, sharedChannel, signUp, trpc } from "./fixtures.ts";

const RULE =
  "Only workspace admins can use @channel, @here or @everyone in channels with more than 2 members";

test("an admin restricts @channel in larger channels; a member's @channel is refused with the reason", async ({
  browser,
}) => {
  // Three people sign up and share a channel before anything is checked: more than the default minute.
  test.setTimeout(180_000);
  const adminUser = newUser("Broadcast Admin");
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const member = await signUp(browser, newUser("Broadcast Member"));
  const third = await signUp(browser, newUser("Broadcast Third"));
  try {
    await admin.page.goto("/app/settings");
    const section = admin.page.getByRole("region", { name: "@channel, @here and @everyone" });
    await expect(section.getByRole("radio", { name: "Everyone" })).toBeChecked();
    await section.getByRole("radio", { name: "Only workspace admins and owners" }).check();
    const threshold = section.getByLabel("Larger channels have more than (members)");
    await threshold.fill("2");
    await section.getByRole("button", { name: "Save mention settings" }).click();
    await expect(section.getByRole("status")).toHaveText("Saved.");

    // Members see no such section, and the API refuses them.
    await member.page.goto("/app/settings");
    await expect(member.page.getByRole("heading", { name: "Sessions" })).toBeVisible();
    await expect(member.page.getByRole("region", { name: "@channel, @here and @everyone" })).toHaveCount(0);
    const refused = await member.page.request.post("/api/trpc/workspace.setBroadcastPolicy", {
      data: { json: { policy: "everyone", threshold: 5 } },
    });
    expect(refused.status()).toBe(403);

    // A channel of three.
    const name = `bcast-${randomUUID().slice(0, 8)}`;
    await sharedChannel(admin.page, [member.page, third.page], name);
    const composer = member.page.getByLabel(`Message # ${name}`);
    await composer.fill("@channel lunch is ready");
    await expect(member.page.locator(".composer-warning")).toHaveText(`${RULE}.`);
    await member.page.getByRole("button", { name: "Send" }).click();

    const failed = historyOf(member.page).locator('[data-status="failed"]');
    await expect(failed.getByRole("alert")).toContainText(`Not sent: ${RULE}.`);
    // The text is still there, mention and all.
    await expect(failed.locator(".body")).toContainText("@channel lunch is ready");
    // Nothing reached the others.
    await expect(historyOf(third.page).getByText("lunch is ready")).toHaveCount(0);

    // The same text without the broadcast goes through; an admin's @channel does too.
    await composer.fill("lunch is ready");
    await expect(member.page.locator(".composer-warning")).toHaveCount(0);
    await member.page.getByRole("button", { name: "Send" }).click();
    await expect(historyOf(third.page).getByText("lunch is ready")).toBeVisible();
    const adminComposer = admin.page.getByLabel(`Message # ${name}`);
    await adminComposer.fill("@channel dessert too");
    await expect(admin.page.locator(".composer-warning")).toHaveCount(0);
    await admin.page.getByRole("button", { name: "Send" }).click();
    await expect(historyOf(third.page).getByText("dessert too")).toBeVisible();
  } finally {
    await trpc(admin.page, "workspace.setBroadcastPolicy", { policy: "everyone", threshold: 5 });
    await third.context.close();
    await member.context.close();
    await admin.context.close();
  }
});
