/**
 * Settings → Uploads: an admin lowers the workspace's upload limit and changes the blocked types,
 * the server refuses a size above MAX_UPLOAD_BYTES, and "Reset to defaults" goes back; members
 * see no such section and the API refuses them.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, sharedChannel, signUp, trpc } from "./fixtures.ts";

type TLimits = { maxUploadBytes: number; blockedTypes: string[] };

test("an admin sets and resets the workspace's upload limits; members cannot", async ({ browser }) => {
  const adminUser = newUser("Uploads Admin");
  const { context, page } = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);

  await page.goto("/app/settings");
  const section = page.getByRole("region", { name: "Uploads" });
  await expect(section).toBeVisible();
  await expect(section.getByText(/Server defaults: 100 MB per file/)).toBeVisible();
  const size = section.getByLabel("Maximum file size (MB)");
  const types = section.getByLabel("Blocked file types (one MIME type per line)");
  await expect(size).toHaveValue("100");
  await expect(types).toHaveValue(/application\/x-msdownload/);

  // Above the operator's ceiling: refused, with the reason.
  await size.fill("150");
  await section.getByRole("button", { name: "Save upload limits" }).click();
  await expect(section.getByRole("alert")).toContainText("MAX_UPLOAD_BYTES");

  await size.fill("2");
  await types.fill("Text/CSV\napplication/zip\n");
  await section.getByRole("button", { name: "Save upload limits" }).click();
  await expect(section.getByRole("status")).toHaveText("Saved.");
  expect(await trpc<TLimits>(page, "files.limits", null, "GET")).toEqual({
    maxUploadBytes: 2 * 1024 * 1024,
    blockedTypes: ["text/csv", "application/zip"],
  });

  // The browser refuses a file over the new limit before uploading anything.
  const channel = `limits-${randomUUID().slice(0, 8)}`;
  await sharedChannel(page, [], channel);
  const uploadCalls: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("files.createUpload")) uploadCalls.push(r.url());
  });
  await page.getByTestId("file-input").setInputFiles({
    name: "big.bin",
    mimeType: "application/octet-stream",
    buffer: Buffer.alloc(3 * 1024 * 1024, 7),
  });
  const tray = page.getByRole("list", { name: "Files to send" });
  await expect(tray.getByRole("alert")).toHaveText("The file is larger than the limit of 2.0 MB");
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
  await page.getByRole("button", { name: "Remove big.bin" }).click();
  await expect(tray).toHaveCount(0);
  expect(uploadCalls).toEqual([]);

  await page.goto("/app/settings");
  await section.getByRole("button", { name: "Reset to defaults" }).click();
  await expect(section.getByRole("status")).toHaveText("Back to the defaults.");
  await expect(size).toHaveValue("100");
  const limits = await trpc<TLimits>(page, "files.limits", null, "GET");
  expect(limits.maxUploadBytes).toBe(100 * 1024 * 1024);
  expect(limits.blockedTypes).toContain("application/x-msdownload");

  const member = await signUp(browser, newUser("Uploads Member"));
  await member.page.goto("/app/settings");
  await expect(member.page.getByRole("heading", { name: "Sessions" })).toBeVisible();
  await expect(member.page.getByRole("region", { name: "Uploads" })).toHaveCount(0);
  const refused = await member.page.request.post("/api/trpc/workspace.setUploadLimits", {
    data: { json: { maxUploadBytes: 2048 } },
  });
  expect(refused.status()).toBe(403);

  await member.context.close();
  await context.close();
});
