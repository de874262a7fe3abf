/**
 * Settings → Export: a member exports their own data, sees it become ready (built by the server's
 * export worker) and downloads the archive, which holds their message. What each export holds and
 * who may see it is core/test/export.integration.test.ts's.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";
import { firstUser, newUser, recordTraffic, trpc } from "./fixtures.ts";

test("a member exports their own data and downloads it", async ({ browser }) => {
  const user = newUser("Export Member");
  const { context, page } = await firstUser(browser, user);
  const body = `exported words ${randomUUID()}`;
  const channel = await trpc<{ id: string }>(page, "conversations.create", {
    name: `export-${randomUUID().slice(0, 8)}`,
  });
  await trpc(page, "messages.send", { conversationId: channel.id, clientMsgId: randomUUID(), body });
  const traffic = recordTraffic(page);
  try {
    await page.goto("/app/settings");
    const section = page.getByRole("region", { name: "Export" });
    await section.getByRole("button", { name: "Export my data" }).click();
    const item = section.getByRole("listitem").first();
    // A CI run once saw no export listed at all for 30 s although the server had built it within
    // a second of the click: on failure the error carries the page's tRPC traffic and text.
    await expect(item.getByRole("status"))
      .toHaveText("Ready", { timeout: 30_000 })
      .catch(async (err: Error) => {
        const text =
          (await page
            .locator("body")
            .textContent()
            .catch(() => null)) ?? "(no body)";
        throw new Error(
          `${err.message}\n--- page at ${page.url()}:\n${text.slice(0, 2000)}\n--- traffic:\n${traffic.describe()}`,
        );
      });
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
