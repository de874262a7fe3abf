import { randomUUID } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import {
  firstUser,
  historyOf,
  newUser,
  sharedChannel,
  signUp,
  trpc,
  wasHighlighted,
  watchHighlights,
} from "./fixtures";

// Message search: Ctrl+F or the header's search box opens it (scoped to the open channel, or the
// open thread, until its chip is turned off), words, parts of words and filter chips narrow the
// results (the server's indexer is woken by each send, so a new message is found within a moment),
// results are grouped under their conversation's name, names of channels and people show beside
// them, a private channel of someone else is never found, more results load as the list scrolls,
// "Most relevant" and "Newest" order them differently, and a result opens the conversation at the
// message (a reply: in its thread), highlighted.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const ada = newUser(`Ada Search ${run}`, run);
const bob = newUser(`Bob Search ${run}`, run);
const channel = `search-${run}`;
const other = `elsewhere-${run}`;
const word = `zebra${run}`;

let adaPage: Page;
let bobPage: Page;
let channelId = "";

const dialogOf = (page: Page) => page.getByRole("dialog", { name: "Search messages" });
const resultsOf = (page: Page) => dialogOf(page).getByRole("listbox", { name: "Messages found" });
/** The results of one conversation, under its name. */
const groupOf = (page: Page, heading: string) => resultsOf(page).getByRole("group", { name: heading });
/** The header's search box (the banner landmark is the app's header row). */
const headerBoxOf = (page: Page) => page.getByRole("banner").getByRole("button", { name: /Search messages/ });

async function post(page: Page, name: string, text: string) {
  const composer = page.getByLabel(`Message # ${name}`);
  await composer.fill(text);
  await composer.press("Enter");
  await expect(historyOf(page).locator("article.msg:not(.pending)", { hasText: text })).toBeVisible({
    timeout: 5_000,
  });
}

/** Opens search with Ctrl+F (retried: a press before hydration is lost) and types `query`. */
async function search(page: Page, query: string) {
  await expect(async () => {
    await page.keyboard.press("Control+f");
    await expect(dialogOf(page)).toBeVisible({ timeout: 1_000 });
  }).toPass();
  await dialogOf(page).getByRole("combobox", { name: "Search messages" }).fill(query);
}

/** The scope chip of a dialog opened in a conversation ("In #name"). */
const scopeChipOf = (page: Page, label: string) =>
  dialogOf(page).getByRole("button", { name: `In ${label}` });

test("two users, a shared channel and a private one (setup)", async ({ browser }) => {
  adaPage = (await firstUser(browser, ada)).page;
  bobPage = (await signUp(browser, bob)).page;
  ({ conversationId: channelId } = await sharedChannel(adaPage, [bobPage], channel));
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
  // Opened in the channel: scoped to it, until the chip is turned off.
  await expect(scopeChipOf(adaPage, `#${channel}`)).toHaveAttribute("aria-pressed", "true");
  await scopeChipOf(adaPage, `#${channel}`).click();
  await expect(scopeChipOf(adaPage, `#${channel}`)).toHaveAttribute("aria-pressed", "false");
  const results = resultsOf(adaPage);
  // The indexer runs beside the server: give it a moment, as a user would.
  await expect(results.getByRole("option")).toHaveCount(1, { timeout: 15_000 });
  // Grouped under the channel's name; the hit shows its sender and time.
  const hit = groupOf(adaPage, `# ${channel}`).getByRole("option");
  await expect(hit).toHaveCount(1);
  await expect(hit).toContainText(ada.name);
  await expect(hit.locator("time")).toHaveCount(1);
  await expect(hit.locator("mark").first()).toHaveText(word);
  await expect(hit.locator("mark", { hasText: "deployment" })).toHaveCount(1);

  // Bob finds both once the scope (his private channel, open) is off: that channel is his.
  // This time through the header's search box (opened in his channel: scoped to it, too).
  await headerBoxOf(bobPage).click();
  await expect(dialogOf(bobPage)).toBeVisible();
  await dialogOf(bobPage).getByRole("combobox", { name: "Search messages" }).fill(`${word} deploy`);
  await expect(resultsOf(bobPage).getByRole("option")).toHaveCount(1, { timeout: 15_000 });
  await expect(groupOf(bobPage, `🔒 ${other}`).getByRole("option")).toHaveCount(1);
  await scopeChipOf(bobPage, `#${other}`).click();
  await expect(resultsOf(bobPage).getByRole("option")).toHaveCount(2, { timeout: 15_000 });
  // One group per conversation.
  await expect(resultsOf(bobPage).getByRole("group")).toHaveCount(2);
  await expect(groupOf(bobPage, `# ${channel}`).getByRole("option")).toHaveCount(1);
  await bobPage.keyboard.press("Escape");
  await expect(dialogOf(bobPage)).toHaveCount(0);
});

test("parts of words match, and names of channels and people show beside the messages", async () => {
  const box = dialogOf(adaPage).getByRole("combobox", { name: "Search messages" });
  // "ploym" is inside "deployment": a part of a word (three letters or more) finds it.
  await box.fill(`${word} ploym`);
  await expect(resultsOf(adaPage).getByRole("option")).toHaveCount(1);
  await expect(resultsOf(adaPage).getByRole("option").locator("mark", { hasText: "deployment" })).toHaveCount(
    1,
  );
  // Names: the shared channel and Bob; never Bob's private channel.
  await box.fill(run);
  const names = dialogOf(adaPage).getByRole("region", { name: "Channels and people" });
  await expect(names.getByRole("list", { name: "Channels found" })).toContainText(channel);
  await expect(names.getByRole("list", { name: "Channels found" })).not.toContainText(other);
  await expect(names.getByRole("list", { name: "People found" })).toContainText(bob.name);
});

test("filters narrow, a bad filter says why, and a result opens at the message", async () => {
  const box = dialogOf(adaPage).getByRole("combobox", { name: "Search messages" });
  // A filter chip puts its token into the query, and takes it out again.
  await box.fill(word);
  const threads = dialogOf(adaPage).getByRole("button", { name: "Threads" });
  await threads.click();
  await expect(box).toHaveValue(`${word} is:thread`);
  await expect(threads).toHaveAttribute("aria-pressed", "true");
  await expect(resultsOf(adaPage).getByRole("option")).toHaveCount(0);
  await threads.click();
  await expect(box).toHaveValue(word);
  await box.fill(`${word} in:#${channel} -deployment`);
  await expect(resultsOf(adaPage).getByRole("option")).toHaveCount(3);
  await box.fill(`${word} has:video`);
  await expect(dialogOf(adaPage).getByRole("alert")).toContainText("has: expects file, image, voice, link");
  await box.fill(`${word} deployment`);
  await expect(resultsOf(adaPage).getByRole("option")).toHaveCount(1);

  await watchHighlights(adaPage);
  await box.press("Enter");
  await expect(dialogOf(adaPage)).toHaveCount(0);
  await expect(adaPage).toHaveURL(/[?&]m=\d+/);
  const seq = new URL(adaPage.url()).searchParams.get("m") ?? "";
  const row = historyOf(adaPage).locator(`article.msg[data-seq="${seq}"]`);
  await expect(row).toContainText(`The ${word} deployment notes are ready`);
  await expect(row).toBeInViewport();
  await expect.poll(() => wasHighlighted(adaPage, seq)).toBe(true);
});

test("more results load as the list scrolls, and a reply opens in its thread, highlighted", async () => {
  await adaPage.keyboard.press("Escape");
  // 25 more messages (through the API: quicker than the composer), then a thread with a reply.
  const many = `yak${run.replace(/[0-9]/g, "")}`;
  for (let i = 0; i < 25; i++) {
    await trpc(adaPage, "messages.send", {
      conversationId: channelId,
      clientMsgId: randomUUID(),
      body: `${many} ${i}`,
    });
  }
  const root = await trpc<{ message: { id: string } }>(adaPage, "messages.send", {
    conversationId: channelId,
    clientMsgId: randomUUID(),
    body: `${word} root of a thread`,
  });
  await trpc(adaPage, "messages.send", {
    conversationId: channelId,
    clientMsgId: randomUUID(),
    body: `${word} walrus reply`,
    threadRootId: root.message.id,
  });

  await search(adaPage, many);
  const options = resultsOf(adaPage).getByRole("option");
  await expect(options).toHaveCount(20, { timeout: 15_000 });
  // The next page loads once the end of the list (its "More results" button) is in view.
  await options.nth(19).scrollIntoViewIfNeeded();
  await expect(options).toHaveCount(25);
  await expect(resultsOf(adaPage).getByRole("button", { name: "More results" })).toHaveCount(0);

  const box = dialogOf(adaPage).getByRole("combobox", { name: "Search messages" });
  await box.fill(`${word} walrus`);
  await expect(options).toHaveCount(1, { timeout: 15_000 });
  await expect(options.first()).toContainText("in a thread");
  await options.first().click();
  await expect(adaPage).toHaveURL(/[?&]thread=.*[?&]reply=\d+/);
  const thread = adaPage.getByRole("complementary", { name: "Thread" });
  const reply = thread.locator("article.msg[data-highlight]", { hasText: `${word} walrus reply` });
  await expect(reply).toBeVisible({ timeout: 5_000 });

  // Opened with the thread open: scoped to the thread (its root and replies), then the channel.
  await headerBoxOf(adaPage).click();
  await expect(dialogOf(adaPage).getByRole("button", { name: "In this thread" })).toHaveAttribute(
    "aria-pressed",
    "true",
  );
  await dialogOf(adaPage).getByRole("combobox", { name: "Search messages" }).fill(word);
  await expect(options).toHaveCount(2, { timeout: 15_000 });
  await expect(options.filter({ hasText: "root of a thread" })).toHaveCount(1);
  await expect(options.filter({ hasText: "walrus reply" })).toHaveCount(1);
  await dialogOf(adaPage).getByRole("button", { name: "In this thread" }).click();
  // Everything Ada can read: the three fillers, the notes, the root and the reply.
  await expect(options).toHaveCount(6, { timeout: 15_000 });
  await adaPage.keyboard.press("Escape");
});

test("most relevant first, or newest first", async () => {
  const kiwi = `kiwi${run}`;
  for (const body of [`${kiwi} ${kiwi} ${kiwi}: all about ${kiwi}`, `${kiwi} once, among other words`]) {
    await trpc(adaPage, "messages.send", { conversationId: channelId, clientMsgId: randomUUID(), body });
  }
  // In the channel (the thread closed): the scope is the channel, where both were said.
  await adaPage.goto(`/app/c/${channelId}`);
  await search(adaPage, kiwi);
  const options = resultsOf(adaPage).getByRole("option");
  await expect(options).toHaveCount(2, { timeout: 15_000 });
  // Relevance (the default with words): the message that says it four times, though older.
  await expect(dialogOf(adaPage).getByRole("radio", { name: "Most relevant" })).toBeChecked();
  await expect(options.first()).toContainText("all about");
  await dialogOf(adaPage).getByRole("radio", { name: "Newest" }).check();
  await expect(options.first()).toContainText("among other words");
  await expect(options.nth(1)).toContainText("all about");
});
