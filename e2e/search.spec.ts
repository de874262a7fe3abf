import { randomUUID } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import {
  firstUser,
  historyOf,
  newUser,
  sharedChannel,
  signUp,
  wasHighlighted,
  watchHighlights,
} from "./fixtures";

// Message search: Ctrl+F opens it, words and filters narrow the results (the server's indexer
// follows the log, so a new message is found within a moment), a private channel of someone else
// is never found, and a result opens the conversation at the message.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const ada = newUser("Ada Search", run);
const bob = newUser("Bob Search", run);
const channel = `search-${run}`;
const other = `elsewhere-${run}`;
const word = `zebra${run}`;

let adaPage: Page;
let bobPage: Page;

const dialogOf = (page: Page) => page.getByRole("dialog", { name: "Search messages" });
const resultsOf = (page: Page) => dialogOf(page).getByRole("listbox", { name: "Messages found" });

async function post(page: Page, name: string, text: string) {
  const composer = page.getByLabel(`Message # ${name}`);
  await composer.fill(text);
  await composer.press("Enter");
  await expect(historyOf(page).locator("li.msg:not(.pending)", { hasText: text })).toBeVisible({
    timeout: 5_000,
  });
}

/** Opens search with Ctrl+F (retried: a press before hydration is lost) and types `query`. */
async function search(page: Page, query: string) {
  await expect(async () => {
    await page.keyboard.press("Control+f");
    await expect(dialogOf(page)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await dialogOf(page).getByRole("combobox", { name: "Search messages" }).fill(query);
}

test("two users, a shared channel and a private one (setup)", async ({ browser }) => {
  adaPage = (await firstUser(browser, ada)).page;
  bobPage = (await signUp(browser, bob)).page;
  await sharedChannel(adaPage, [bobPage], channel);
  for (let i = 1; i <= 3; i++) await post(adaPage, channel, `${word} filler message ${i}`);
  await post(adaPage, channel, `The ${word} deployment notes are ready`);
  // Bob's own private channel: Ada must never find what is said there.
  await bobPage
    .getByRole("navigation", { name: "Workspace" })
    .getByRole("link", { name: "Create channel" })
    .click();
  await bobPage.getByLabel("Channel name").fill(other);
  await bobPage.getByRole("checkbox", { name: /Private/ }).check();
  await bobPage.getByRole("button", { name: "Create channel" }).click();
  await expect(bobPage.getByRole("heading", { level: 1, name: new RegExp(other) })).toBeVisible();
  await post(bobPage, other, `${word} secret deployment plan`);
});

test("Ctrl+F finds words by prefix with matches marked, and never another's private channel", async () => {
  await search(adaPage, `${word} deploy`);
  const results = resultsOf(adaPage);
  // The indexer runs beside the server: give it a moment, as a user would.
  await expect(results.getByRole("option")).toHaveCount(1, { timeout: 15_000 });
  const hit = results.getByRole("option").first();
  await expect(hit).toContainText(`# ${channel}`);
  await expect(hit).toContainText(ada.name);
  await expect(hit.locator("mark").first()).toHaveText(word);
  await expect(hit.locator("mark", { hasText: "deployment" })).toHaveCount(1);

  // Bob finds both: his private channel is his.
  await search(bobPage, `${word} deploy`);
  await expect(resultsOf(bobPage).getByRole("option")).toHaveCount(2, { timeout: 15_000 });
  await bobPage.keyboard.press("Escape");
  await expect(dialogOf(bobPage)).toHaveCount(0);
});

test("filters narrow, a bad filter says why, and a result opens at the message", async () => {
  const box = dialogOf(adaPage).getByRole("combobox", { name: "Search messages" });
  await box.fill(`${word} in:#${channel} -deployment`);
  await expect(resultsOf(adaPage).getByRole("option")).toHaveCount(3, { timeout: 10_000 });
  await box.fill(`${word} has:video`);
  await expect(dialogOf(adaPage).getByRole("alert")).toContainText("has: expects file, image, voice, link");
  await box.fill(`${word} deployment`);
  await expect(resultsOf(adaPage).getByRole("option")).toHaveCount(1, { timeout: 10_000 });

  await watchHighlights(adaPage);
  await box.press("Enter");
  await expect(dialogOf(adaPage)).toHaveCount(0);
  await expect(adaPage).toHaveURL(/[?&]m=\d+/);
  const seq = new URL(adaPage.url()).searchParams.get("m") ?? "";
  const row = historyOf(adaPage).locator(`li.msg[data-seq="${seq}"]`);
  await expect(row).toContainText(`The ${word} deployment notes are ready`);
  await expect(row).toBeInViewport();
  await expect.poll(() => wasHighlighted(adaPage, seq)).toBe(true);
});
