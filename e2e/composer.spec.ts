import { randomUUID } from "node:crypto";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import { artifact, firstUser, historyOf, newUser, sharedChannel, signUp, trpc } from "./fixtures";

// The composer as Slack users expect it: @mention and :emoji: autocomplete, the emoji picker,
// ↑ to edit the last message, drafts across reloads. Two users in two browser contexts, like
// ui.spec.ts; each file seeds its own users and channel.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Composer", run);
const bob = newUser("Bob Composer", run);
const channel = `composer-${run}`;

let aliceContext: BrowserContext;
let alicePage: Page;
let bobPage: Page;
let channelId = "";
let bobId = "";

function composerOf(page: Page) {
  return page.getByLabel(`Message # ${channel}`);
}

/** The newest stored message bodies of the channel, oldest first. */
async function storedBodies(page: Page): Promise<string[]> {
  const page_ = await trpc<{ messages: { body: string }[] }>(
    page,
    "messages.history",
    { conversationId: channelId, limit: 5 },
    "GET",
  );
  return page_.messages.map((m) => m.body);
}

test("two users share a channel (setup)", async ({ browser }) => {
  ({ context: aliceContext, page: alicePage } = await firstUser(browser, alice));
  const bobSession = await signUp(browser, bob);
  bobPage = bobSession.page;
  bobId = (await trpc<{ id: string }>(bobPage, "users.me", undefined, "GET")).id;
  ({ conversationId: channelId } = await sharedChannel(alicePage, [bobPage], channel));
  await expect(alicePage.getByText("2 members")).toBeVisible();
});

test("@mention autocomplete by keyboard sends a mention the other user sees highlighted", async () => {
  const composer = composerOf(alicePage);
  await composer.click();
  await composer.pressSequentially("Hi @Bo");
  const list = alicePage.getByRole("listbox", { name: "Mention someone" });
  await expect(list).toBeVisible();
  const option = list.getByRole("option", { name: bob.name });
  await expect(option).toHaveAttribute("aria-selected", "true");
  // The textarea keeps focus and points at the active option (ARIA combobox).
  await expect(composer).toBeFocused();
  await expect(composer).toHaveAttribute("aria-controls", (await list.getAttribute("id")) ?? "");
  await expect(composer).toHaveAttribute("aria-activedescendant", (await option.getAttribute("id")) ?? "");
  await expect(list.getByRole("option", { name: alice.name })).toHaveCount(0); // not yourself
  await alicePage.screenshot({ path: artifact("composer-mention.png") });

  await composer.press("Enter");
  await expect(list).toBeHidden();
  await expect(composer).toHaveValue(`Hi @${bob.name} `);
  await composer.pressSequentially("please review");
  await composer.press("Enter");
  await expect(composer).toHaveValue("");

  // Stored as a token, shown as a pill: plain for Alice, highlighted for Bob.
  await expect.poll(async () => (await storedBodies(alicePage)).at(-1)).toBe(`Hi <@${bobId}> please review`);
  const alicePill = historyOf(alicePage).locator(".mention", { hasText: `@${bob.name}` });
  await expect(alicePill).toBeVisible();
  await expect(alicePill).not.toHaveClass(/mention-me/);
  const bobPill = historyOf(bobPage).locator(".mention", { hasText: `@${bob.name}` });
  await expect(bobPill).toBeVisible();
  await expect(bobPill).toHaveClass(/mention-me/);
  await bobPage.screenshot({ path: artifact("composer-mention-me.png") });

  // Escape closes the list and leaves the text as typed; a broadcast is offered too.
  await composer.pressSequentially("@ever");
  const everyone = alicePage.getByRole("option", { name: /@everyone/ });
  await expect(everyone).toBeVisible();
  await composer.press("Escape");
  await expect(alicePage.getByRole("listbox", { name: "Mention someone" })).toBeHidden();
  await expect(composer).toHaveValue("@ever");
  await composer.fill("");
});

test(":tada autocomplete inserts 🎉", async () => {
  const composer = composerOf(alicePage);
  await composer.pressSequentially("Shipped :tad");
  const list = alicePage.getByRole("listbox", { name: "Emoji" });
  await expect(list).toBeVisible();
  await expect(list.getByRole("option").first()).toContainText(":tada:");
  await alicePage.screenshot({ path: artifact("composer-emoji-autocomplete.png") });
  await composer.press("Tab");
  await expect(list).toBeHidden();
  await expect(composer).toHaveValue("Shipped 🎉 ");
  // A whole typed shortcode turns into its emoji as the closing colon is typed.
  await composer.pressSequentially("and :+1:");
  await expect(composer).toHaveValue("Shipped 🎉 and 👍");
  await composer.press("Enter");
  await expect(historyOf(bobPage).getByText("Shipped 🎉 and 👍")).toBeVisible();
});

test("the emoji picker inserts an emoji at the cursor and closes with Escape", async () => {
  const composer = composerOf(alicePage);
  await composer.fill("Launch  now");
  await composer.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(7, 7));
  const button = alicePage.getByRole("button", { name: "Insert emoji" });
  await button.click();
  const picker = alicePage.getByRole("dialog", { name: "Emoji picker" });
  await expect(picker).toBeVisible();
  await expect(picker.getByRole("button", { name: "grinning face", exact: true })).toBeVisible();
  await expect(picker.getByLabel("Search emoji")).toBeFocused();
  await alicePage.screenshot({ path: artifact("composer-picker.png") });

  // Keyboard: search, ↓ into the grid, → to the next emoji, Enter picks.
  await picker.getByLabel("Search emoji").fill("rocket");
  await alicePage.keyboard.press("ArrowDown");
  await expect(picker.getByRole("button", { name: "rocket", exact: true })).toBeFocused();
  await alicePage.keyboard.press("Enter");
  await expect(picker).toBeHidden();
  await expect(composer).toHaveValue("Launch 🚀 now");
  await expect(composer).toBeFocused();

  // Escape closes without inserting; a click picks.
  await button.click();
  await expect(picker).toBeVisible();
  await alicePage.keyboard.press("Escape");
  await expect(picker).toBeHidden();
  await expect(composer).toBeFocused();
  await button.click();
  await picker
    .getByRole("navigation", { name: "Emoji categories" })
    .getByRole("button", { name: "Food & drink" })
    .click();
  await picker.getByRole("button", { name: "pizza", exact: true }).click();
  await expect(picker).toBeHidden();
  await expect(composer).toHaveValue("Launch 🚀🍕 now");
  await composer.press("Enter");
  await expect(historyOf(bobPage).getByText("Launch 🚀🍕 now")).toBeVisible();
});

test("↑ in the empty composer edits the last message; the other user sees (edited)", async () => {
  const composer = composerOf(alicePage);
  await composer.pressSequentially("ping @Bo");
  await composer.press("Enter");
  await composer.pressSequentially("about the thing");
  await composer.press("Enter");
  await expect(historyOf(bobPage).getByText("about the thing")).toBeVisible();

  await expect(composer).toHaveValue("");
  await composer.press("ArrowUp");
  const editing = alicePage.getByLabel("Editing message");
  await expect(alicePage.getByText("Editing message", { exact: true })).toBeVisible();
  await expect(editing).toBeFocused();
  // Tokens show as @Name while editing.
  await expect(editing).toHaveValue(`ping @${bob.name} about the thing`);
  await alicePage.screenshot({ path: artifact("composer-editing.png") });
  // Escape cancels and leaves the message alone.
  await editing.press("Escape");
  await expect(composerOf(alicePage)).toHaveValue("");

  await composer.press("ArrowUp");
  await editing.press("End");
  await editing.pressSequentially(" today");
  await editing.press("Enter");
  await expect(composerOf(alicePage)).toHaveValue("");

  const row = historyOf(bobPage).getByRole("article").filter({ hasText: "about the thing today" });
  await expect(row).toBeVisible();
  await expect(row.getByText("(edited)")).toBeVisible();
  await expect(row.locator(".mention.mention-me", { hasText: `@${bob.name}` })).toBeVisible();
  await expect
    .poll(async () => (await storedBodies(alicePage)).at(-1))
    .toBe(`ping <@${bobId}> about the thing today`);
});

test("a message with a control character is refused in the composer, naming the field, and the draft stays", async () => {
  const before = await storedBodies(alicePage);
  const composer = composerOf(alicePage);
  // A pasted terminal bell: the SDK checks the send rules the server checks and refuses it locally.
  await composer.fill("ring the \u0007 bell");
  await composer.press("Enter");
  await expect(alicePage.locator("p.error[role=alert]")).toContainText(
    "body: contains the control character U+0007 at position 9",
  );
  await expect(composer).toHaveValue("ring the \u0007 bell");
  expect(await storedBodies(alicePage)).toEqual(before);
  await composer.fill("");
});

test("a draft survives a reload and is gone after sending", async () => {
  await composerOf(alicePage).pressSequentially("half-written thought");
  await alicePage.reload();
  await expect(composerOf(alicePage)).toHaveValue("half-written thought");
  // Drafts are per user: Bob's composer in the same channel is empty.
  await bobPage.reload();
  await expect(composerOf(bobPage)).toHaveValue("");

  await composerOf(alicePage).press("End");
  await composerOf(alicePage).pressSequentially(", finished");
  await composerOf(alicePage).press("Enter");
  await expect(historyOf(bobPage).getByText("half-written thought, finished")).toBeVisible();
  await alicePage.reload();
  await expect(historyOf(alicePage).getByText("half-written thought, finished")).toBeVisible();
  await expect(composerOf(alicePage)).toHaveValue("");
  await aliceContext.close();
});
