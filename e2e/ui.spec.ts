import { randomUUID } from "node:crypto";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import { artifact, firstUser, historyOf, newUser, sidebarOf, signUp, trpc } from "./fixtures";

// The chat UI's rendering and liveness: safe markdown, the typing indicator and presence dots.
// Two users in two browser contexts, like realtime.spec.ts; each file seeds its own users.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice UI", run);
const bob = newUser("Bob UI", run);
const channel = `ui-${run}`;

let alicePage: Page;
let bobContext: BrowserContext;
let bobPage: Page;
let channelUrl = "";
/** Dialogs (alert, confirm, …) any page opened: an XSS would show up here. */
const dialogs: string[] = [];

function watchDialogs(page: Page) {
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
}

async function send(page: Page, text: string) {
  const composer = page.getByLabel(`Message # ${channel}`);
  await composer.fill(text);
  await composer.press("Enter");
}

test("two users share a channel (setup)", async ({ browser }) => {
  alicePage = (await firstUser(browser, alice, { onPage: watchDialogs })).page;
  ({ context: bobContext, page: bobPage } = await signUp(browser, bob, { onPage: watchDialogs }));

  await sidebarOf(alicePage).getByRole("link", { name: "Create channel" }).click();
  await alicePage.getByLabel("Channel name").fill(channel);
  await alicePage.getByRole("button", { name: "Create channel" }).click();
  await expect(alicePage.getByRole("heading", { level: 1, name: `# ${channel}` })).toBeVisible();
  channelUrl = alicePage.url();

  await bobPage.goto(channelUrl);
  await bobPage.getByRole("button", { name: "Join channel" }).click();
  await expect(bobPage.getByLabel(`Message # ${channel}`)).toBeVisible();
  await expect(alicePage.getByText("2 members")).toBeVisible();
});

test("markdown renders and raw HTML shows as text without running", async () => {
  await send(alicePage, "Some **bold words** and `inline code` and ~~gone~~");
  await send(alicePage, "<script>alert(1)</script> <img src=x onerror=alert(2)>");
  await send(alicePage, "[a site](https://example.com/ui) and [a trap](javascript:alert(3))");

  for (const page of [alicePage, bobPage]) {
    const log = historyOf(page);
    await expect(log.locator("strong", { hasText: "bold words" })).toBeVisible();
    await expect(log.locator("code", { hasText: "inline code" })).toBeVisible();
    await expect(log.locator("del", { hasText: "gone" })).toBeVisible();
    await expect(log.getByText("<script>alert(1)</script> <img src=x onerror=alert(2)>")).toBeVisible();
    await expect(log.locator("img")).toHaveCount(0);
    await expect(log.locator("[onerror]")).toHaveCount(0);
    await expect(log.locator("script")).toHaveCount(0);
    const link = log.getByRole("link", { name: "a site" });
    await expect(link).toHaveAttribute("href", "https://example.com/ui");
    await expect(link).toHaveAttribute("target", "_blank");
    await expect(link).toHaveAttribute("rel", "noopener noreferrer nofollow");
    await expect(log.getByText("a trap")).toBeVisible();
    await expect(log.getByRole("link", { name: "a trap" })).toHaveCount(0);
  }
  expect(dialogs).toEqual([]);
  await bobPage.screenshot({ path: artifact("ui-markdown.png") });
});

test("the other member sees who is typing until the message arrives", async () => {
  const typing = bobPage.getByRole("status", { name: "Typing" });
  await expect(typing).toHaveText("");
  // Alice's sends above already said "typing" (at most one frame per 3 s per conversation, in the
  // SDK and the gateway): let that window pass so this test's first keystroke is announced.
  await alicePage.waitForTimeout(3_500);
  await alicePage.getByLabel(`Message # ${channel}`).pressSequentially("Typing something", { delay: 20 });
  await expect(typing).toHaveText(`${alice.name} is typing…`, { timeout: 5_000 });
  // The typist never sees themselves.
  await expect(alicePage.getByRole("status", { name: "Typing" })).toHaveText("");
  await alicePage.getByLabel(`Message # ${channel}`).press("Enter");
  await expect(historyOf(bobPage).getByText("Typing something")).toBeVisible();
  await expect(typing).toHaveText("");
});

test("a DM shows the other member online while their app is open, offline once it closes", async () => {
  const bobMe = await trpc<{ id: string }>(bobPage, "users.me", undefined, "GET");
  await trpc(alicePage, "conversations.openDm", { userIds: [bobMe.id] }, "POST");
  const dm = sidebarOf(alicePage).getByRole("link", { name: new RegExp(bob.name) });
  await expect(dm).toBeVisible();
  await expect(dm.getByRole("img", { name: "online" })).toBeVisible();
  await alicePage.screenshot({ path: artifact("ui-presence.png") });

  await bobContext.close();
  await expect(dm.getByRole("img", { name: "offline" })).toBeVisible();
  expect(dialogs).toEqual([]);
});
