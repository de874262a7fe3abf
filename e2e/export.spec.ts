/**
 * Settings → Export: a member exports their own data, sees it become ready (built by the server's
 * export worker) and downloads the archive, which holds their message. What each export holds and
 * who may see it is core/test/export.integration.test.ts's.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";
import { firstUser, newUser, trpc } from "./fixtures.ts";

test("a member exports their own data and downloads it", async ({ browser }) => {
  const user = newUser("Export Member");
  const { context, page } = await firstUser(browser, user);
  const body = `exported words ${randomUUID()}`;
  const channel = await trpc<{ id: string }>(page, "conversations.create", {
    name: `export-${randomUUID().slice(0, 8)}`,
  });
  await trpc(page, "messages.send", { conversationId: channel.id, clientMsgId: randomUUID(), body });
  try {
    await page.goto("/app/settings");
    const section = page.getByRole("region", { name: "Export" });
    await section.getByRole("button", { name: "Export my data" }).click();
    const item = section.getByRole("listitem").first();
    await expect(item.getByRole("status")).toHaveText("Ready", { timeout: 30_000 });
    await expect(item).toContainText("1 message, 0 files");

    const downloading = page.waitForEvent("download");
    await item.getByRole("button", { name: /^Download / }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^parley-export-user-.*\.tar\.gz$/);
    await expect(item.getByRole("link", { name: /Download link/ })).toBeVisible();
    const tar = gunzipSync(await readFile((await download.path()) as string)).toString("utf8");
    expect(tar).toContain(body);
    expect(tar).toContain(user.email);
  } finally {
    await context.close();
  }
});
