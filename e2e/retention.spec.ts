/**
 * Settings → Message retention: an admin sets the workspace's default, gives one channel its own
 * retention, and runs the dry run, which lists that channel and removes nothing (who may change it
 * is checked in api/test/retention.integration.test.ts). The workspace (shared by every spec) is set
 * back to "forever" at the end.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, trpc } from "./fixtures.ts";

test("an admin sets the retention, a channel override and runs the dry run", async ({ browser }) => {
  const adminUser = newUser("Retention Admin");
  const { context, page } = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const name = `keep-${randomUUID().slice(0, 8)}`;
  const channel = await trpc<{ id: string }>(page, "conversations.create", { name });
  await trpc(page, "messages.send", {
    conversationId: channel.id,
    clientMsgId: randomUUID(),
    body: "still here",
  });
  try {
    await page.goto("/app/settings");
    const section = page.getByRole("region", { name: "Message retention" });
    await expect(section.getByRole("radio", { name: "Forever" })).toBeChecked();
    await section.getByRole("radio", { name: "Delete messages older than a number of days" }).check();
    await section.getByLabel("Days to keep messages").fill("30");
    await section.getByRole("button", { name: "Save retention" }).click();
    await expect(section.getByRole("status")).toHaveText("Saved.");

    // The channel keeps its messages for a year instead.
    const row = section.getByRole("form", { name: `Retention of #${name}` });
    await row.getByLabel(`Keep messages of #${name}`).selectOption("days");
    await row.getByLabel(`Days to keep messages of #${name}`).fill("365");
    await row.getByRole("button", { name: "Save" }).click();
    await expect(section.getByRole("row").filter({ hasText: `#${name}` })).toContainText("365 days");

    // The dry run lists it with nothing to remove (its message is new), and removes nothing.
    await section.getByRole("button", { name: "Show what would be removed" }).click();
    const dryRun = section.getByRole("table", { name: "Retention dry run" });
    await expect(dryRun.getByRole("row").filter({ hasText: `#${name}` })).toContainText("365 days");
    const history = await trpc<{ messages: { body: string }[] }>(
      page,
      "messages.history",
      { conversationId: channel.id, limit: 10 },
      "GET",
    );
    expect(history.messages.map((m) => m.body)).toEqual(["still here"]);
  } finally {
    await trpc(page, "retention.setWorkspace", { days: 0 });
    await context.close();
  }
});
