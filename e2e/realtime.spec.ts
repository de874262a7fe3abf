import { randomUUID } from "node:crypto";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import { artifact, firstUser, historyOf, newUser, sidebarOf, signIn, signUp, trpc } from "./fixtures";

// Live delivery through the single server (Next + the gateway on /ws): two users, one of them on
// two devices, and a sender that goes offline. No test here reloads a page to see a change.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Live", run);
const bob = newUser("Bob Live", run);
const channel = `live-${run}`;

let aliceContext: BrowserContext;
let alicePage: Page;
let bobPage: Page;
let bobSecondPage: Page;
let channelUrl = "";
let conversationId = "";

/** The bodies of the messages shown in history (sent and pending), in DOM order. */
async function shownBodies(page: Page): Promise<string[]> {
  return historyOf(page).locator("article.msg .body").allInnerTexts();
}

test("two users share a channel (setup)", async ({ browser }) => {
  ({ context: aliceContext, page: alicePage } = await firstUser(browser, alice));
  bobPage = (await signUp(browser, bob)).page;

  await sidebarOf(alicePage).getByRole("link", { name: "Create channel" }).click();
  await alicePage.getByLabel("Channel name").fill(channel);
  await alicePage.getByRole("button", { name: "Create channel" }).click();
  await expect(alicePage.getByRole("heading", { level: 1, name: `# ${channel}` })).toBeVisible();
  channelUrl = alicePage.url();
  conversationId = channelUrl.split("/c/")[1]!.split(/[/?#]/)[0]!;

  await bobPage.goto(channelUrl);
  await bobPage.getByRole("button", { name: "Join channel" }).click();
  await expect(bobPage.getByLabel(`Message # ${channel}`)).toBeVisible();
  // Bob's join reaches Alice's open channel live (member count from the member.joined event).
  await expect(alicePage.getByText("2 members")).toBeVisible({ timeout: 3_000 });
});

test("a message posted by one user appears for the other without a reload", async () => {
  const composer = alicePage.getByLabel(`Message # ${channel}`);
  await composer.fill("Hello Bob, live");
  await composer.press("Enter");
  await expect(historyOf(bobPage).getByText("Hello Bob, live")).toBeVisible({ timeout: 3_000 });

  // A send through tRPC runs inside Next's bundle: its copy of @parley/core must publish into the
  // fan-out the server installed, so Bob's socket gets this one too.
  await trpc(
    alicePage,
    "messages.send",
    { conversationId, clientMsgId: randomUUID(), body: "Sent over HTTP" },
    "POST",
  );
  await expect(historyOf(bobPage).getByText("Sent over HTTP")).toBeVisible({ timeout: 3_000 });
  await expect(historyOf(alicePage).getByText("Sent over HTTP")).toHaveCount(1);
  await bobPage.screenshot({ path: artifact("realtime-main.png") });
});

test("reading on one device clears the unread badge on the user's other device", async ({ browser }) => {
  bobSecondPage = await signIn(browser, bob);
  await sidebarOf(bobPage).getByRole("link", { name: "Settings" }).click();
  await expect(bobPage.getByRole("heading", { name: "Settings" })).toBeVisible();

  const composer = alicePage.getByLabel(`Message # ${channel}`);
  await composer.fill("Unread for Bob");
  await composer.press("Enter");
  const badge = (page: Page) => sidebarOf(page).getByRole("status", { name: "1 unread" });
  await expect(badge(bobSecondPage)).toBeVisible({ timeout: 5_000 });
  await expect(badge(bobPage)).toBeVisible({ timeout: 5_000 });

  await sidebarOf(bobPage).getByRole("link", { name: channel }).click();
  await expect(historyOf(bobPage).getByText("Unread for Bob")).toBeVisible();
  await expect(sidebarOf(bobSecondPage).getByRole("status", { name: /unread/ })).toHaveCount(0, {
    timeout: 5_000,
  });
});

test("messages typed offline are sent once, in order, when the sender is back", async () => {
  const before = await trpc<{ messages: { body: string }[] }>(
    alicePage,
    "messages.history",
    { conversationId, limit: 100 },
    "GET",
  );
  const bodies = ["offline one", "offline two", "offline three"];

  await aliceContext.setOffline(true);
  const banner = alicePage.getByRole("status").filter({ hasText: "Offline." });
  await expect(banner).toBeVisible();
  const composer = alicePage.getByLabel(`Message # ${channel}`);
  for (const body of bodies) {
    await composer.fill(body);
    await composer.press("Enter");
  }
  const sending = historyOf(alicePage).locator('article.msg.pending[data-status="sending"]');
  await expect(sending).toHaveCount(3);
  await expect(sending.getByText("Sending…")).toHaveCount(3);
  await alicePage.screenshot({ path: artifact("realtime-offline.png") });
  // Bob sees none of them while Alice is offline.
  await expect(historyOf(bobPage).getByText("offline one")).toHaveCount(0);

  await aliceContext.setOffline(false);
  await expect(banner).toHaveCount(0, { timeout: 15_000 });
  for (const page of [bobPage, alicePage]) {
    await expect(historyOf(page).getByText("offline three")).toBeVisible({ timeout: 15_000 });
    await expect(historyOf(page).locator('article.msg.pending[data-status="sending"]')).toHaveCount(0);
    const shown = (await shownBodies(page)).filter((b) => bodies.includes(b));
    expect(shown).toEqual(bodies);
  }

  const after = await trpc<{ messages: { body: string; seq: number }[] }>(
    alicePage,
    "messages.history",
    { conversationId, limit: 100 },
    "GET",
  );
  const added = after.messages.slice(before.messages.length);
  expect(added.map((m) => m.body)).toEqual(bodies);
  expect(after.messages.filter((m) => bodies.includes(m.body))).toHaveLength(3);
});

test("edits, reactions and deletes reach the other user live", async () => {
  const composer = alicePage.getByLabel(`Message # ${channel}`);
  await composer.fill("Please edit me");
  await composer.press("Enter");
  const sent = historyOf(alicePage).locator("article.msg:not(.pending)", { hasText: "Please edit me" });
  await expect(sent).toBeVisible({ timeout: 5_000 });
  const seq = await sent.getAttribute("data-seq");
  const onAlice = historyOf(alicePage).locator(`article.msg[data-seq="${seq}"]`);
  const onBob = historyOf(bobPage).locator(`article.msg[data-seq="${seq}"]`);
  await expect(onBob).toContainText("Please edit me", { timeout: 5_000 });
  // Only the sender gets Edit / Delete.
  await expect(onBob.getByRole("button", { name: "Edit message" })).toHaveCount(0);

  // Edit: Escape cancels, Enter saves.
  await onAlice.getByRole("button", { name: "Edit message" }).click();
  const editor = onAlice.getByRole("textbox", { name: "Edit message" });
  await editor.fill("Not this");
  await editor.press("Escape");
  await expect(editor).toHaveCount(0);
  await onAlice.getByRole("button", { name: "Edit message" }).click();
  await onAlice.getByRole("textbox", { name: "Edit message" }).fill("Edited by Alice");
  await onAlice.getByRole("textbox", { name: "Edit message" }).press("Enter");
  await expect(onBob.locator(".body")).toHaveText("Edited by Alice (edited)", { timeout: 5_000 });
  await expect(onAlice.locator(".body")).toHaveText("Edited by Alice (edited)");

  // Reactions: Alice 👍 → Bob sees 1 and toggles it to 2 → Bob removes his → Alice sees 1.
  await onAlice.getByRole("button", { name: "Add reaction 👍" }).click();
  const bobChip = onBob.getByRole("button", { name: "👍 1", exact: true });
  await expect(bobChip).toBeVisible({ timeout: 5_000 });
  await expect(bobChip).toHaveAttribute("aria-pressed", "false");
  await expect(bobChip).toHaveAttribute("title", alice.name);
  await bobChip.click();
  const aliceChip2 = onAlice.getByRole("button", { name: "👍 2", exact: true });
  await expect(aliceChip2).toBeVisible({ timeout: 5_000 });
  await expect(aliceChip2).toHaveAttribute("aria-pressed", "true");
  await expect(aliceChip2).toHaveAttribute("title", `You, ${bob.name}`);
  const bobChip2 = onBob.getByRole("button", { name: "👍 2", exact: true });
  await expect(bobChip2).toHaveAttribute("aria-pressed", "true");
  await alicePage.screenshot({ path: artifact("realtime-reactions.png") });
  await bobChip2.click();
  await expect(onAlice.getByRole("button", { name: "👍 1", exact: true })).toBeVisible({ timeout: 5_000 });
  await expect(onBob.getByRole("button", { name: "👍 1", exact: true })).toHaveAttribute(
    "aria-pressed",
    "false",
  );

  // Delete, after confirming.
  await onAlice.getByRole("button", { name: "Delete message" }).click();
  await onAlice.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(onBob.getByText("This message was deleted.")).toBeVisible({ timeout: 5_000 });
  await expect(onBob).not.toContainText("Edited by Alice");
  await expect(onBob.getByRole("button", { name: /👍/ })).toHaveCount(0);
  await expect(onAlice.getByText("This message was deleted.")).toBeVisible();
});
