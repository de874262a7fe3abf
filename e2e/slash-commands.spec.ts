/**
 * Slash commands in the browser: an admin registers `/deploy-<run>` in Settings → Integrations,
 * pointing at a local app (this spec's HTTP server, on 127.0.0.1, which the e2e server's
 * SLASH_COMMAND_ALLOW_HOSTS lets through). A member types the command in the composer: the app
 * gets Slack's signed form, and its answer shows only to that member ("Only visible to you"),
 * never in the channel's log, until they dismiss it; another member sees nothing of it.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { firstUser, historyOf, makeAdmin, newUser, sharedChannel, signUp } from "./fixtures.ts";

type TCall = { form: URLSearchParams; signature: string; timestamp: string; body: string };

let server: Server;
let origin = "";
const calls: TCall[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const form = new URLSearchParams(body);
      calls.push({
        form,
        body,
        signature: String(req.headers["x-slack-signature"] ?? ""),
        timestamp: String(req.headers["x-slack-request-timestamp"] ?? ""),
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ text: `Deploying *${form.get("text")}* now` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test("a member's /command reaches the app and its answer shows only to them until dismissed", async ({
  browser,
}) => {
  // Two users set up, Settings → Integrations, a command and its answer: over 60 s on a loaded box.
  test.setTimeout(150_000);
  const run = crypto.randomUUID().slice(0, 8);
  const command = `deploy-${run}`;
  const adminUser = newUser("Slash Admin", run);
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const member = await signUp(browser, newUser("Slash Member", run));
  const channelName = `slash-${run}`;
  const { url } = await sharedChannel(admin.page, [member.page], channelName);

  // The admin makes a bot and registers the command (Settings → Bots, → Integrations).
  const page = admin.page;
  await page.goto("/app/settings");
  const botName = `Deploy Bot ${run}`;
  const bots = page.getByRole("region", { name: "Bots" });
  await bots.getByLabel("Bot name").fill(botName);
  await bots.getByRole("button", { name: "Create bot" }).click();
  await expect(bots.getByText(botName).first()).toBeVisible();
  const form = page.getByRole("form", { name: "New slash command" });
  await form.getByLabel("Command").fill(`/${command}`);
  await form.getByLabel("Callback URL").fill(`${origin}/slash`);
  await form.getByLabel("Answers as bot").selectOption({ label: botName });
  await form.getByRole("button", { name: "Create command" }).click();
  const secret = await form.getByLabel("Signing secret").inputValue();
  expect(secret.length).toBeGreaterThan(20);

  // The member runs it from the composer; the other member (the admin) has the channel open too.
  await page.goto(url);
  await member.page.goto(url);
  const composer = member.page.getByLabel(`Message # ${channelName}`);
  await composer.fill(`/${command} web`);
  await composer.press("Enter");

  const mine = historyOf(member.page).locator("article.msg.ephemeral");
  await expect(mine).toHaveCount(1);
  await expect(mine.locator("strong", { hasText: "web" })).toBeVisible();
  await expect(mine).toContainText("Deploying");
  await expect(mine).toContainText("Only visible to you");
  await expect(mine).toContainText(botName);
  // Nothing was stored: no pending row is left, and the command's text is not a message.
  await expect(historyOf(member.page).locator("article.msg.pending")).toHaveCount(0);
  await expect(historyOf(member.page).getByText(`/${command} web`)).toHaveCount(0);

  // The app got Slack's form, signed with the secret shown once.
  expect(calls).toHaveLength(1);
  const call = calls[0]!;
  expect(call.form.get("command")).toBe(`/${command}`);
  expect(call.form.get("text")).toBe("web");
  expect(call.form.get("channel_name")).toBe(channelName);
  expect(call.signature).toBe(
    `v0=${createHmac("sha256", secret).update(`v0:${call.timestamp}:${call.body}`).digest("hex")}`,
  );

  // The other member sees neither the command nor its answer; a message after it reaches them.
  await composer.fill(`after the command ${run}`);
  await composer.press("Enter");
  const theirs = historyOf(page);
  await expect(theirs.getByText(`after the command ${run}`)).toBeVisible();
  await expect(theirs.locator("article.msg.ephemeral")).toHaveCount(0);
  await expect(theirs.getByText("Deploying")).toHaveCount(0);

  // The member's own view: the answer stays where it arrived, the later message below it.
  await expect(historyOf(member.page).getByText(`after the command ${run}`)).toBeVisible();
  const [answerAt, laterAt] = await historyOf(member.page)
    .locator("article.msg")
    .evaluateAll(
      (rows, text) => [
        rows.findIndex((r) => r.classList.contains("ephemeral")),
        rows.findIndex((r) => r.textContent?.includes(text)),
      ],
      `after the command ${run}`,
    );
  expect(answerAt).toBeGreaterThanOrEqual(0);
  expect(laterAt).toBeGreaterThan(answerAt!);

  // Dismissed, it is gone.
  await mine.getByRole("button", { name: "Dismiss" }).click();
  await expect(mine).toHaveCount(0);
  await expect(historyOf(member.page).getByText(`after the command ${run}`)).toBeVisible();
});
