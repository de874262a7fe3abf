/**
 * A bot shares a file through the Slack-compatible API on the real server: files.getUploadURLExternal,
 * the bytes POSTed to the upload URL (12 MiB: more than Next's request proxy would pass on, which is
 * why /api/slack/upload/ is outside its matcher), files.completeUploadExternal. A member who has the
 * channel open sees the message with its comment and the file arrive live, and downloads exactly
 * the bytes the bot sent through the file's URL. The used upload URL is refused.
 */
import { createHash } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, historyOf, makeAdmin, newUser, sharedChannel, signUp } from "./fixtures.ts";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

test("a bot's file upload reaches the channel as one message, bytes intact", async ({ browser }) => {
  test.setTimeout(120_000);
  const run = crypto.randomUUID().slice(0, 8);
  const adminUser = newUser("Files Admin", run);
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const member = await signUp(browser, newUser("Files Member", run));
  const channelName = `bot-files-${run}`;
  const { url, conversationId } = await sharedChannel(admin.page, [member.page], channelName);

  const page = admin.page;
  await page.goto("/app/settings");
  const section = page.getByRole("region", { name: "Bots" });
  const botName = `Report Bot ${run}`;
  await section.getByLabel("Bot name").fill(botName);
  await section.getByRole("button", { name: "Create bot" }).click();
  const form = section.getByRole("form", { name: `New token for ${botName}` });
  await form.getByLabel("Token name").fill("reports");
  await form.getByLabel("Find channels").fill(channelName);
  await form.getByRole("checkbox", { name: `#${channelName}` }).check();
  await form.getByRole("button", { name: "Create token" }).click();
  const token = await form.getByLabel(`New token for ${botName}`).inputValue();

  const slack = async (method: string, body: Record<string, string>) => {
    const res = await page.request.post(`/api/slack/${method}`, {
      headers: { authorization: `Bearer ${token}` },
      form: body,
    });
    expect(res.status()).toBe(200);
    return (await res.json()) as { ok: boolean; error?: string; upload_url?: string; file_id?: string };
  };

  await member.page.goto(url);
  await expect(member.page.getByLabel(`Message # ${channelName}`)).toBeVisible();
  expect(await slack("conversations.join", { channel: conversationId })).toMatchObject({ ok: true });

  const bytes = Buffer.alloc(12 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i += 4096) bytes.write(`${run}:${i}`, i);
  const started = await slack("files.getUploadURLExternal", {
    filename: "report.bin",
    length: String(bytes.length),
  });
  expect(started).toMatchObject({ ok: true });
  const uploadUrl = started.upload_url ?? "";
  expect(uploadUrl).toContain("/api/slack/upload/");
  const posted = await page.request.post(uploadUrl, {
    headers: { "content-type": "application/octet-stream" },
    data: bytes,
  });
  expect(posted.status()).toBe(200);
  expect(await posted.text()).toBe(`OK - ${bytes.length}`);
  expect(
    await slack("files.completeUploadExternal", {
      files: JSON.stringify([{ id: started.file_id, title: "Weekly report" }]),
      channel_id: conversationId,
      initial_comment: `*Weekly* report ${run}`,
    }),
  ).toMatchObject({ ok: true });

  // Live, without a reload: the comment (mrkdwn rendered) and the file, by the bot.
  const history = historyOf(member.page);
  await expect(history.locator("strong", { hasText: "Weekly" })).toBeVisible();
  await expect(history).toContainText(`report ${run}`);
  const download = history.getByRole("link", { name: "Download report.bin" });
  await expect(download).toBeVisible();
  await expect(history).toContainText("12.0 MB");
  const href = (await download.getAttribute("href")) ?? "";
  expect(href).toBe(`/api/files/${started.file_id}`);
  const fetched = await member.page.request.get(href);
  expect(fetched.status()).toBe(200);
  expect(sha256(await fetched.body())).toBe(sha256(bytes));

  // The upload URL took its bytes once.
  const again = await page.request.post(uploadUrl, { data: Buffer.from("x") });
  expect(again.status()).toBe(404);
  await Promise.all([admin.context.close(), member.context.close()]);
});
