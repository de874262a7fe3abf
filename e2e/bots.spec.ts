/**
 * Settings → Bots and the Slack-compatible API: an admin makes a bot and a token scoped to one
 * channel (shown once); the bot joins and posts through /api/slack/ with that token; a member
 * who has the channel open sees the message arrive live (the usual event path, over the gateway)
 * with its mrkdwn rendered, and the bot with a "bot" badge in the member list. A revoked token is
 * refused at once.
 */
import { expect, test } from "@playwright/test";
import { firstUser, historyOf, makeAdmin, newUser, sharedChannel, signUp } from "./fixtures.ts";

test("an admin's bot posts through the Slack API and a member sees it live", async ({ browser }) => {
  const run = crypto.randomUUID().slice(0, 8);
  const adminUser = newUser("Bots Admin", run);
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const member = await signUp(browser, newUser("Bots Member", run));
  const channelName = `bots-${run}`;
  const { url, conversationId } = await sharedChannel(admin.page, [member.page], channelName);

  const page = admin.page;
  await page.goto("/app/settings");
  const section = page.getByRole("region", { name: "Bots" });
  const botName = `Deploy Bot ${run}`;
  await section.getByLabel("Bot name").fill(botName);
  await section.getByRole("button", { name: "Create bot" }).click();
  const form = section.getByRole("form", { name: `New token for ${botName}` });
  await form.getByLabel("Token name").fill("ci");
  await form.getByLabel("Find channels").fill(channelName);
  await form.getByRole("checkbox", { name: `#${channelName}` }).check();
  await form.getByRole("button", { name: "Create token" }).click();
  const token = await form.getByLabel(`New token for ${botName}`).inputValue();
  expect(token).toMatch(/^pbt_/);
  await expect(section.getByRole("list", { name: `Tokens of ${botName}` })).toContainText(`#${channelName}`);

  const slack = async (method: string, body: Record<string, unknown>, bearer = token) => {
    const res = await page.request.post(`/api/slack/${method}`, {
      headers: { authorization: `Bearer ${bearer}` },
      form: Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)])),
    });
    expect(res.status()).toBe(200);
    return (await res.json()) as { ok: boolean; error?: string };
  };

  // The member has the channel open; the bot's message arrives without a reload.
  await member.page.goto(url);
  await expect(member.page.getByLabel(`Message # ${channelName}`)).toBeVisible();
  expect(await slack("conversations.join", { channel: conversationId })).toMatchObject({ ok: true });
  expect(
    await slack("chat.postMessage", { channel: conversationId, text: `*Deployed* build ${run}` }),
  ).toMatchObject({ ok: true });
  const history = historyOf(member.page);
  await expect(history.locator("strong", { hasText: "Deployed" })).toBeVisible();
  await expect(history).toContainText(`build ${run}`);
  await expect(history).toContainText(botName);

  await member.page.getByRole("button", { name: /3 members/ }).click();
  const members = member.page.getByRole("complementary", { name: "Members" });
  await expect(members.getByRole("listitem").filter({ hasText: botName })).toContainText("bot");

  await section.getByRole("button", { name: `Revoke token ci of ${botName}` }).click();
  await expect(section.getByRole("list", { name: `Tokens of ${botName}` }).getByRole("listitem")).toHaveCount(
    0,
  );
  expect(await slack("auth.test", {})).toEqual({ ok: false, error: "invalid_auth" });
  await Promise.all([admin.context.close(), member.context.close()]);
});
