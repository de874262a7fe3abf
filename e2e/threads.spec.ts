import { randomUUID } from "node:crypto";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import {
  firstUser,
  historyOf,
  newUser,
  openInApp,
  sharedChannel,
  sidebarOf,
  signUp,
  trpc,
  wasHighlighted,
  watchHighlights,
} from "./fixtures";

// Threads, pins, mentions, the quick switcher and the phone-width drawer, with two users in two
// browser contexts. Everything the other user does arrives live (no reloads, except the one that
// checks the open thread survives a reload).
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Thread", run);
const bob = newUser("Bob Thread", run);
const channel = `threads-${run}`;
const bobChannel = `bob-side-${run}`;

let alicePage: Page;
let bobContext: BrowserContext;
let bobPage: Page;
let channelUrl = "";
let conversationId = "";
let bobId = "";

const threadOf = (page: Page) => page.getByRole("complementary", { name: "Thread" });
const rowOf = (page: Page, text: string) =>
  historyOf(page).locator("article.msg:not(.pending)", { hasText: text });

async function post(page: Page, text: string) {
  const composer = page.getByLabel(`Message # ${channel}`);
  await composer.fill(text);
  await composer.press("Enter");
  await expect(rowOf(page, text)).toBeVisible({ timeout: 5_000 });
}

test("two users share a channel (setup)", async ({ browser }) => {
  const clipboard = { context: { permissions: ["clipboard-read", "clipboard-write"] } };
  alicePage = (await firstUser(browser, alice, clipboard)).page;
  bobPage = (await signUp(browser, bob, clipboard)).page;
  bobContext = bobPage.context();
  bobId = (await trpc<{ id: string }>(bobPage, "users.me", undefined, "GET")).id;
  ({ url: channelUrl, conversationId } = await sharedChannel(alicePage, [bobPage], channel));
  await expect(alicePage.getByRole("button", { name: /2 members/ })).toBeVisible({ timeout: 5_000 });
});

test("a reply in a thread bumps the root's reply count live for the other user", async () => {
  await post(alicePage, "Root message for a thread");
  const bobRoot = rowOf(bobPage, "Root message for a thread");
  await expect(bobRoot).toBeVisible({ timeout: 5_000 });

  await bobRoot.hover();
  await bobRoot.getByRole("button", { name: "Reply in thread" }).click();
  const bobThread = threadOf(bobPage);
  await expect(bobThread).toBeVisible();
  await expect(bobPage).toHaveURL(/[?&]thread=/);
  await expect(bobThread.getByText("Root message for a thread")).toBeVisible();
  const reply = bobThread.getByRole("textbox", { name: "Reply in thread" });
  await reply.fill("First reply, thread only");
  await reply.press("Enter");
  await expect(
    bobThread.locator("article.msg:not(.pending)", { hasText: "First reply, thread only" }),
  ).toBeVisible({
    timeout: 5_000,
  });

  // Alice never reloads: the root's summary appears and counts the reply.
  const aliceRoot = rowOf(alicePage, "Root message for a thread");
  await expect(aliceRoot.getByRole("button", { name: /^1 reply/ })).toBeVisible({ timeout: 5_000 });
  await expect(aliceRoot.getByRole("button", { name: /Last reply/ })).toBeVisible();
  // A thread-only reply stays out of the channel, on both sides.
  await expect(historyOf(alicePage).getByText("First reply, thread only")).toHaveCount(0);
  await expect(historyOf(bobPage).getByText("First reply, thread only")).toHaveCount(0);

  await aliceRoot.getByRole("button", { name: /^1 reply/ }).click();
  await expect(threadOf(alicePage).getByText("First reply, thread only")).toBeVisible({ timeout: 5_000 });
  // The open thread is in the URL, so a reload keeps it.
  await alicePage.reload();
  await expect(threadOf(alicePage).getByText("First reply, thread only")).toBeVisible();
});

test("a reply also sent to the channel shows in the channel for the other user", async () => {
  const bobThread = threadOf(bobPage);
  await bobThread.getByRole("checkbox", { name: "Also send to channel" }).check();
  const reply = bobThread.getByRole("textbox", { name: "Reply in thread" });
  await reply.fill("Second reply, also in the channel");
  await reply.press("Enter");

  const inChannel = rowOf(alicePage, "Second reply, also in the channel");
  await expect(inChannel).toBeVisible({ timeout: 5_000 });
  await expect(inChannel.getByText("replied to a thread")).toBeVisible();
  await expect(threadOf(alicePage).getByText("Second reply, also in the channel")).toBeVisible();
  await expect(
    rowOf(alicePage, "Root message for a thread").getByRole("button", { name: /^2 replies/ }),
  ).toBeVisible();
  // The checkbox is per reply.
  await expect(bobThread.getByRole("checkbox", { name: "Also send to channel" })).not.toBeChecked();

  await threadOf(alicePage).getByRole("button", { name: "Close thread" }).click();
  await expect(threadOf(alicePage)).toHaveCount(0);
  await expect(alicePage).not.toHaveURL(/thread=/);
  await threadOf(bobPage).getByRole("button", { name: "Close thread" }).click();
});

test("a pin shows in the other user's pins panel live, and the panel jumps to the message", async () => {
  await post(alicePage, "Pin me: the release checklist");
  await bobPage.getByRole("button", { name: "Pinned messages" }).click();
  const pins = bobPage.getByRole("complementary", { name: "Pinned messages" });
  await expect(pins.getByText(/Nothing is pinned yet/)).toBeVisible();

  const aliceRow = rowOf(alicePage, "Pin me: the release checklist");
  await aliceRow.hover();
  await aliceRow.getByRole("button", { name: "Pin message" }).click();
  await expect(aliceRow.getByText("Pinned by you")).toBeVisible({ timeout: 5_000 });
  await expect(aliceRow.getByRole("button", { name: "Unpin message" })).toBeVisible();

  const card = pins.getByRole("button", { name: `Jump to message from ${alice.name}` });
  await expect(card).toContainText("Pin me: the release checklist", { timeout: 5_000 });
  await expect(
    rowOf(bobPage, "Pin me: the release checklist").getByText(`Pinned by ${alice.name}`),
  ).toBeVisible();
  const seq = await rowOf(bobPage, "Pin me: the release checklist").getAttribute("data-seq");
  await watchHighlights(bobPage); // the highlight lasts 2.5 s: a busy machine can look later
  await card.click();
  await expect(bobPage).toHaveURL(new RegExp(`[?&]m=${seq}`));
  // The list opens at the message and highlights its row for a moment.
  await expect(historyOf(bobPage).locator(`article.msg[data-seq="${seq}"]`)).toBeInViewport();
  await expect.poll(() => wasHighlighted(bobPage, seq ?? "")).toBe(true);

  // Unpinning removes it from the panel live.
  await aliceRow.hover();
  await aliceRow.getByRole("button", { name: "Unpin message" }).click();
  await expect(pins.getByText(/Nothing is pinned yet/)).toBeVisible({ timeout: 5_000 });
  await bobPage.getByRole("button", { name: "Close pinned messages" }).click();
});

test("copy link copies the message's URL; an admin also gets Delete on others' messages", async () => {
  await post(bobPage, "Bob's message to link to");
  const row = rowOf(bobPage, "Bob's message to link to");
  const seq = await row.getAttribute("data-seq");
  // "Link copied" shows for 2 s: on a starved box it can come and go between two polls of an
  // assertion, so a watcher on the history notes it whenever it shows.
  await historyOf(bobPage).evaluate((log) => {
    const w = window as unknown as { __linkCopied?: string };
    w.__linkCopied = "";
    new MutationObserver(() => {
      for (const s of log.querySelectorAll('article.msg [role="status"].copied')) {
        w.__linkCopied = s.textContent ?? "";
      }
    }).observe(log, { subtree: true, childList: true, characterData: true });
  });
  await row.hover();
  await row.getByRole("button", { name: "Copy link to message" }).click();
  await expect
    .poll(() => bobPage.evaluate(() => (window as unknown as { __linkCopied?: string }).__linkCopied))
    .toBe("Link copied");
  const copied = await bobPage.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(`${new URL(bobPage.url()).origin}/app/c/${conversationId}?m=${seq}`);

  // Bob is a plain member: no Delete on Alice's message. Alice's Delete depends on her role.
  const bobOnAlices = rowOf(bobPage, "Root message for a thread");
  await bobOnAlices.hover();
  await expect(bobOnAlices.getByRole("button", { name: "Delete message" })).toHaveCount(0);
  const aliceRole = (await trpc<{ role: string }>(alicePage, "users.me", undefined, "GET")).role;
  const aliceOnBobs = rowOf(alicePage, "Bob's message to link to");
  await expect(aliceOnBobs).toBeVisible({ timeout: 5_000 });
  await aliceOnBobs.hover();
  await expect(aliceOnBobs.getByRole("button", { name: "Delete message" })).toHaveCount(
    aliceRole === "member" ? 0 : 1,
  );
  await expect(aliceOnBobs.getByRole("button", { name: "Edit message" })).toHaveCount(0);

  // "Add reaction…" opens the picker; picking one reacts.
  await aliceOnBobs.getByRole("button", { name: "Add reaction…" }).click();
  await aliceOnBobs
    .getByRole("group", { name: "Pick a reaction" })
    .getByRole("button", { name: "React with 🚀" })
    .click();
  await expect(rowOf(bobPage, "Bob's message to link to").getByRole("button", { name: "🚀 1" })).toBeVisible({
    timeout: 5_000,
  });
  // "More emoji" opens the full picker (a popover the list cannot clip); a search finds any emoji.
  await aliceOnBobs.hover();
  await aliceOnBobs.getByRole("button", { name: "Add reaction…" }).click();
  await aliceOnBobs.getByRole("button", { name: "More emoji" }).click();
  const full = alicePage.getByRole("dialog", { name: "Emoji picker" });
  await expect(full).toBeVisible();
  await full.getByLabel("Search emoji").fill("tada");
  await full.getByLabel("Search emoji").press("Enter");
  await expect(full).toBeHidden();
  await expect(rowOf(bobPage, "Bob's message to link to").getByRole("button", { name: "🎉 1" })).toBeVisible({
    timeout: 5_000,
  });
});

test("a mention of Bob raises his red mention badge", async () => {
  // Bob looks elsewhere (his own channel), so the shared channel is not being read.
  await openInApp(bobPage, "/app/new-channel");
  await bobPage.getByLabel("Channel name").fill(bobChannel);
  await bobPage.getByRole("button", { name: "Create channel" }).click();
  await expect(bobPage.getByRole("heading", { level: 1, name: `# ${bobChannel}` })).toBeVisible();

  await trpc(
    alicePage,
    "messages.send",
    { conversationId, clientMsgId: randomUUID(), body: `<@${bobId}> can you review the checklist?` },
    "POST",
  );
  const link = sidebarOf(bobPage).getByRole("link", { name: new RegExp(channel) });
  await expect(link.getByRole("status", { name: "1 mention" })).toBeVisible({ timeout: 5_000 });

  // A message without a mention adds to unread but not to mentions.
  await trpc(
    alicePage,
    "messages.send",
    { conversationId, clientMsgId: randomUUID(), body: "no mention" },
    "POST",
  );
  await expect(link).toHaveClass(/unread/, { timeout: 5_000 });
  await expect(link.getByRole("status", { name: "1 mention" })).toBeVisible();

  // Muting keeps the mention badge but drops the bold.
  await openInApp(bobPage, channelUrl);
  await bobPage.getByRole("button", { name: "Conversation options" }).click();
  await bobPage.getByRole("menuitem", { name: "Mute channel" }).click();
  await expect(bobPage.getByText("muted", { exact: true })).toBeVisible();
  await openInApp(bobPage, "/app/settings");
  await trpc(
    alicePage,
    "messages.send",
    { conversationId, clientMsgId: randomUUID(), body: `hi <@${bobId}>` },
    "POST",
  );
  await expect(link.getByRole("status", { name: "1 mention" })).toBeVisible({ timeout: 5_000 });
  await expect(link).toHaveClass(/muted-conv/);
  await expect(link).not.toHaveClass(/\bunread\b/);
  await openInApp(bobPage, channelUrl);
  await bobPage.getByRole("button", { name: "Conversation options" }).click();
  await bobPage.getByRole("menuitem", { name: "Unmute channel" }).click();
  await expect(bobPage.getByText("muted", { exact: true })).toHaveCount(0);
});

test("a mention in a thread reply badges without bolding, and is read once Bob sees the thread", async () => {
  await openInApp(bobPage, "/app/settings");
  const rootId = await rowOf(alicePage, "Root message for a thread").getAttribute("data-message-id");
  expect(rootId).toBeTruthy();
  await trpc(
    alicePage,
    "messages.send",
    { conversationId, clientMsgId: randomUUID(), body: `<@${bobId}> see my reply`, threadRootId: rootId },
    "POST",
  );
  const link = sidebarOf(bobPage).getByRole("link", { name: new RegExp(channel) });
  await expect(link.getByRole("status", { name: "1 mention" })).toBeVisible({ timeout: 5_000 });
  // A thread-only reply is not channel traffic: no bold, no unread count.
  await expect(link).not.toHaveClass(/\bunread\b/);

  await bobPage.goto(`${channelUrl}?thread=${rootId}`);
  await expect(threadOf(bobPage).getByText("see my reply")).toBeVisible();
  // Seeing the reply in the open thread reads it: the badge goes while Bob is still there…
  await expect(link.getByRole("status")).toHaveCount(0, { timeout: 5_000 });
  // …and the read position reaches the server (navigating away first could drop it in flight)…
  await expect
    .poll(async () => {
      const mine = await trpc<{ id: string; mentionCount: number | null }[]>(
        bobPage,
        "conversations.list",
        undefined,
        "GET",
      );
      return mine.find((c) => c.id === conversationId)?.mentionCount;
    })
    .toBe(0);
  // …so it stays gone elsewhere.
  await bobPage.goto("/app/settings");
  await expect(link).toBeVisible();
  await expect(link.getByRole("status")).toHaveCount(0);
});

test("the quick switcher jumps to a channel; Alt+↑/↓ walks the sidebar", async () => {
  await openInApp(bobPage, "/app/settings");
  const dialog = bobPage.getByRole("dialog", { name: "Jump to conversation" });
  // Ctrl+K is handled once the page has hydrated; a press before that is lost (a CI run on a busy
  // box pressed first): press until the switcher opens, never twice while it is open.
  await expect(async () => {
    if (!(await dialog.isVisible())) await bobPage.keyboard.press("Control+k");
    await expect(dialog).toBeVisible({ timeout: 1_000 });
  }).toPass();
  await dialog.getByRole("combobox", { name: "Search conversations" }).fill(bobChannel.slice(0, 12));
  await expect(dialog.getByRole("option", { name: new RegExp(bobChannel) })).toHaveAttribute(
    "aria-selected",
    "true",
  );
  await bobPage.keyboard.press("Enter");
  await expect(dialog).toHaveCount(0);
  await expect(bobPage.getByRole("heading", { level: 1, name: `# ${bobChannel}` })).toBeVisible();

  // Escape closes without moving.
  await bobPage.keyboard.press("Control+k");
  await expect(dialog).toBeVisible();
  await bobPage.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(bobPage.getByRole("heading", { level: 1, name: `# ${bobChannel}` })).toBeVisible();

  // Alt+↓ opens the next conversation in the sidebar's order (channels by name; which one follows
  // bob-side-… depends on the workspace's other channels, e.g. #general and #random).
  const links = sidebarOf(bobPage).locator('ul[aria-labelledby="channels-heading"] > li > a');
  const hrefs = await links.evaluateAll((els) => els.map((el) => el.getAttribute("href") ?? ""));
  const here = new URL(bobPage.url()).pathname;
  const next = hrefs[hrefs.indexOf(here) + 1];
  expect(hrefs.indexOf(here), `${here} in ${hrefs.join(", ")}`).toBeGreaterThanOrEqual(0);
  expect(next, "a channel after bob's").toBeTruthy();
  await bobPage.keyboard.press("Alt+ArrowDown");
  await expect(bobPage).toHaveURL(new RegExp(`${next}$`));
  await expect(bobPage.getByRole("heading", { level: 1 })).not.toHaveText(`# ${bobChannel}`);
  await bobPage.keyboard.press("Alt+ArrowUp");
  await expect(bobPage.getByRole("heading", { level: 1, name: `# ${bobChannel}` })).toBeVisible();

  // Presses back to back each take one step, even while the last one's page is still loading (a
  // press handled before the new page rendered stepped from the page before it): ↓↓ ends two places
  // down, in the whole sidebar's order (channels, then direct messages).
  const all = await sidebarOf(bobPage)
    .locator('ul[aria-labelledby="channels-heading"] > li > a, ul[aria-labelledby="dms-heading"] > li > a')
    .evaluateAll((els) => els.map((el) => el.getAttribute("href") ?? ""));
  expect(all.length, `three conversations in ${all.join(", ")}`).toBeGreaterThanOrEqual(3);
  const twoDown = all[(all.indexOf(here) + 2) % all.length];
  await bobPage.keyboard.press("Alt+ArrowDown");
  await bobPage.keyboard.press("Alt+ArrowDown");
  await expect(bobPage).toHaveURL(new RegExp(`${twoDown}$`));
});

test("a custom status set from the sidebar footer shows in the members panel and the DM header", async () => {
  await openInApp(bobPage, channelUrl);
  await sidebarOf(bobPage).getByRole("button", { name: "Set a status" }).click();
  const form = sidebarOf(bobPage).getByRole("form", { name: "Set a status" });
  await form.getByRole("button", { name: /On vacation/ }).click();
  await expect(form.getByRole("textbox", { name: "Status text" })).toHaveValue("On vacation");
  await form.getByRole("button", { name: "Save status" }).click();
  await expect(sidebarOf(bobPage).getByRole("button", { name: "Edit status" })).toContainText("On vacation");

  await openInApp(alicePage, channelUrl);
  await alicePage.getByRole("button", { name: /2 members/ }).click();
  const members = alicePage.getByRole("complementary", { name: "Members" });
  await expect(members.getByText("🌴 On vacation")).toBeVisible();
  await expect(alicePage).toHaveURL(/[?&]panel=members/);

  const dm = await trpc<{ id: string }>(alicePage, "conversations.openDm", { userIds: [bobId] }, "POST");
  await alicePage.goto(`/app/c/${dm.id}`);
  await expect(alicePage.getByRole("heading", { level: 1, name: bob.name })).toBeVisible();
  await expect(alicePage.locator(".conv-header").getByText("🌴 On vacation")).toBeVisible();

  // Changes reach Alice's open DM live, through Bob's presence (no reload on her side).
  const header = alicePage.locator(".conv-header");
  await sidebarOf(bobPage).getByRole("button", { name: "Edit status" }).click();
  await form.getByRole("button", { name: "Clear status" }).click();
  await expect(sidebarOf(bobPage).getByRole("button", { name: "Set a status" })).toBeVisible();
  await expect(header.getByText("🌴 On vacation")).toHaveCount(0, { timeout: 5_000 });
  await sidebarOf(bobPage).getByRole("button", { name: "Set a status" }).click();
  await form.getByRole("textbox", { name: "Status text" }).fill("Back at 3");
  await form.getByRole("button", { name: "Save status" }).click();
  await expect(header.getByText("Back at 3")).toBeVisible({ timeout: 5_000 });
});

test("desktop notifications are only offered by a dismissable prompt, never asked on load", async ({
  browser,
}) => {
  // A context without granted permissions, like a first visit (the others grant clipboard access).
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(alice.email);
  await page.getByLabel("Password").fill(alice.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/app$/);
  const prompt = sidebarOf(page).getByRole("region", { name: "Desktop notifications" });
  await expect(prompt).toBeVisible();
  await expect(prompt.getByRole("button", { name: "Turn on desktop notifications" })).toBeVisible();
  expect(await page.evaluate(() => Notification.permission)).toBe("default");
  await prompt.getByRole("button", { name: "Not now" }).click();
  await expect(prompt).toHaveCount(0);
  await page.reload();
  // The footer's status button renders after hydration, like the prompt would.
  await expect(sidebarOf(page).getByRole("button", { name: /status/ })).toBeVisible();
  await expect(prompt).toHaveCount(0);
  await page.context().close();
});

test("at phone width the sidebar is a drawer behind a Menu button", async () => {
  const phone = await bobContext.newPage();
  await phone.setViewportSize({ width: 390, height: 780 });
  await phone.goto(channelUrl);
  await expect(phone.getByRole("heading", { level: 1, name: `# ${channel}` })).toBeVisible();
  const nav = phone.getByRole("navigation", { name: "Workspace" });
  await expect(nav).toBeHidden();
  const menu = phone.getByRole("button", { name: "Menu", exact: true });
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await menu.click();
  await expect(nav).toBeVisible();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await nav.getByRole("link", { name: new RegExp(bobChannel) }).click();
  await expect(phone.getByRole("heading", { level: 1, name: `# ${bobChannel}` })).toBeVisible();
  await expect(nav).toBeHidden();

  // A panel covers the whole width on a phone.
  await phone.getByRole("button", { name: /1 member/ }).click();
  const members = phone.getByRole("complementary", { name: "Members" });
  await expect(members).toBeVisible();
  const box = await members.boundingBox();
  expect(box?.width).toBe(390);
  await phone.close();
});
