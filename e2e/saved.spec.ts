import { randomUUID } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
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

// Saved messages and reminders (Slack's "Later"): a message saved in one tab shows its marker
// there and appears in the Saved view of the user's other tab live (through their own event log),
// never for anyone else; a saved item opens the conversation at the message, highlighted; unsaving
// anywhere removes it everywhere; "Remind me about this" works from the keyboard and with a picked
// date and time, lists the reminder, cancels it; a reminder due a few seconds ahead (set through
// the API, as the menu's shortest choice is 20 minutes) fires in the browser as a notice with a link
// to the message; and axe finds nothing serious on the Saved view, in both themes.
test.describe.configure({ mode: "serial", timeout: 120_000 });

const run = randomUUID().slice(0, 8);
const ada = newUser(`Ada Later ${run}`, run);
const bob = newUser(`Bob Later ${run}`, run);
const channel = `later-${run}`;
const text = `Save me: the launch plan ${run}`;

let adaPage: Page;
/** Ada's second tab (same browser context: same session, its own realtime client). */
let adaSaved: Page;
let bobPage: Page;
let conversationId = "";
let messageId = "";
let seq = 0;

const rowOf = (page: Page, body: string) =>
  historyOf(page).locator("article.msg:not(.pending)", { hasText: body });
const savedListOf = (page: Page) => page.getByRole("list", { name: "Saved messages" });
const noticesOf = (page: Page) => page.getByRole("region", { name: "Reminders" });

async function say(page: Page, body: string) {
  return (
    await trpc<{ message: { id: string; seq: number } }>(page, "messages.send", {
      conversationId,
      clientMsgId: randomUUID(),
      body,
    })
  ).message;
}

test("two people share a channel; Ada has a second tab on Saved (setup)", async ({ browser }) => {
  adaPage = (await firstUser(browser, ada)).page;
  bobPage = (await signUp(browser, bob)).page;
  ({ conversationId } = await sharedChannel(adaPage, [bobPage], channel));
  ({ id: messageId, seq } = await say(bobPage, text));
  await say(bobPage, "Something else entirely");
  await expect(rowOf(adaPage, text)).toBeVisible();
  // A second tab of the same browser: only the tab in front renders (Chromium runs no animation
  // frames in a tab behind it, so Playwright's actionability checks there wait ≈ 1 s per frame),
  // hence `bringToFront` before acting in a tab; the other tab's live updates arrive behind it.
  adaSaved = await adaPage.context().newPage();
  await adaSaved.goto("/app");
  await sidebarOf(adaSaved).getByRole("link", { name: "Saved" }).click();
  await expect(adaSaved).toHaveURL(/\/app\/saved$/);
  await expect(adaSaved.getByRole("heading", { level: 1, name: "Saved for later" })).toBeVisible();
  await expect(adaSaved.getByText(/Nothing saved yet/)).toBeVisible();
});

test("saving marks the message and reaches Saved in the other tab live, for Ada only", async () => {
  await adaPage.bringToFront();
  const row = rowOf(adaPage, text);
  await row.hover();
  await row.getByRole("button", { name: "Save for later" }).click();
  await expect(row.getByText("Saved for later")).toBeVisible();
  await expect(row.getByRole("button", { name: "Remove from saved" })).toHaveAttribute(
    "aria-pressed",
    "true",
  );

  const item = savedListOf(adaSaved).getByRole("listitem");
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(text);
  await expect(item).toContainText(bob.name);
  await expect(item).toContainText(`# ${channel}`);
  await expect(item.locator("time")).toHaveCount(1);

  // Private: Bob sees no marker on the same message.
  await expect(rowOf(bobPage, text)).toBeVisible();
  await expect(rowOf(bobPage, text).getByText("Saved for later")).toHaveCount(0);
  // Saving again is the same one save.
  await trpc(adaPage, "saved.save", { messageId });
  const page = await trpc<{ items: unknown[] }>(adaPage, "saved.list", {}, "GET");
  expect(page.items).toHaveLength(1);
});

test("a saved item opens the conversation at the message, highlighted", async () => {
  // Enough newer messages that the saved one is far above the newest.
  for (let i = 0; i < 40; i++) await say(bobPage, `Filler ${i} ${run}`);
  await watchHighlights(adaSaved);
  await adaSaved.bringToFront();
  await savedListOf(adaSaved)
    .getByRole("link", { name: new RegExp(text) })
    .click();
  await expect(adaSaved).toHaveURL(new RegExp(`/app/c/${conversationId}\\?(.*&)?m=${seq}(&|$)`));
  const row = historyOf(adaSaved).locator(`article.msg[data-seq="${seq}"]`);
  await expect(row).toBeInViewport();
  await expect(row).toContainText("Saved for later");
  await expect.poll(() => wasHighlighted(adaSaved, seq)).toBe(true);
});

test("unsaving in one tab removes it from the other's Saved view live, and Remove there does too", async () => {
  await openInApp(adaSaved, "/app/saved");
  await expect(savedListOf(adaSaved).getByRole("listitem")).toHaveCount(1);
  // Bob's fillers pushed the message far up: open the first tab at it (a `?m=` link).
  await adaPage.bringToFront();
  await adaPage.goto(`/app/c/${conversationId}?m=${seq}`);
  const row = rowOf(adaPage, text);
  await expect(row).toBeVisible();
  await row.hover();
  await row.getByRole("button", { name: "Remove from saved" }).click();
  await expect(row.getByText("Saved for later")).toHaveCount(0);
  await expect(adaSaved.getByText(/Nothing saved yet/)).toBeVisible();

  // Saved again (elsewhere), then removed from the Saved view: the row's marker goes in the first tab.
  await trpc(adaPage, "saved.save", { messageId });
  await expect(row.getByText("Saved for later")).toBeVisible();
  await adaSaved.bringToFront();
  await savedListOf(adaSaved)
    .getByRole("button", { name: `Remove saved message from ${bob.name}` })
    .click();
  await expect(adaSaved.getByText(/Nothing saved yet/)).toBeVisible();
  await expect(row.getByText("Saved for later")).toHaveCount(0);
});

test("A on a focused message saves it for later and again removes it; the shortcuts sheet lists it", async () => {
  await adaPage.bringToFront();
  const row = rowOf(adaPage, text);
  await expect(row.getByText("Saved for later")).toHaveCount(0);
  await row.focus();
  await adaPage.keyboard.press("a");
  await expect(row.getByText("Saved for later")).toBeVisible();
  await expect(row).toBeFocused();
  await expect(savedListOf(adaSaved).getByRole("listitem")).toHaveCount(1);
  await adaPage.keyboard.press("a");
  await expect(row.getByText("Saved for later")).toHaveCount(0);
  await expect(adaSaved.getByText(/Nothing saved yet/)).toBeVisible();
  const page = await trpc<{ items: unknown[] }>(adaPage, "saved.list", {}, "GET");
  expect(page.items).toHaveLength(0);

  // Typing an "a" in the composer is just a letter.
  const composer = adaPage.getByLabel(`Message # ${channel}`);
  await composer.fill("");
  await composer.press("a");
  await expect(composer).toHaveValue("a");
  await composer.fill("");
  await expect(row.getByText("Saved for later")).toHaveCount(0);

  const sheet = adaPage.getByRole("dialog", { name: "Keyboard shortcuts" });
  await adaPage.keyboard.press("Control+/");
  await expect(sheet.getByRole("row", { name: /Save the message for later/ })).toContainText("A");
  await adaPage.keyboard.press("Escape");
  await expect(sheet).toHaveCount(0);
});

test("Remind me about this works from the keyboard and with a picked time, and is listed and cancelled", async () => {
  const row = rowOf(adaPage, text);
  await row.hover();
  const remind = row.getByRole("button", { name: "Remind me about this" });
  await remind.focus();
  await adaPage.keyboard.press("Enter");
  const menu = adaPage.getByRole("menu", { name: "Remind me about this" });
  await expect(menu.getByRole("menuitem", { name: "In 20 minutes" })).toBeFocused();
  await adaPage.keyboard.press("ArrowDown");
  await expect(menu.getByRole("menuitem", { name: "In 1 hour" })).toBeFocused();
  await adaPage.keyboard.press("Escape");
  await expect(menu).toHaveCount(0);
  await expect(remind).toBeFocused();
  await adaPage.keyboard.press("Enter");
  await adaPage.keyboard.press("ArrowDown");
  await adaPage.keyboard.press("Enter");
  await expect(
    noticesOf(adaPage).getByText(/^Reminder set for today at|^Reminder set for tomorrow at/),
  ).toBeVisible();

  // A picked date and time, in the profile's time zone (UTC here): two hours ahead.
  await row.hover();
  await remind.click();
  await menu.getByRole("menuitem", { name: "Custom…" }).click();
  const dialog = adaPage.getByRole("dialog", { name: "Remind me about this" });
  await expect(dialog.getByText("In your time zone, UTC")).toBeVisible();
  const picked = new Date(Date.now() + 2 * 3_600_000).toISOString().slice(0, 16);
  await dialog.getByLabel("Date and time").fill(picked);
  await dialog.getByRole("button", { name: "Set reminder" }).click();
  await expect(dialog).toHaveCount(0);

  // One pending reminder per message: the second choice moved the first.
  await adaSaved.bringToFront();
  await adaSaved.getByRole("tab", { name: "Reminders" }).click();
  await expect(adaSaved).toHaveURL(/tab=reminders/);
  const upcoming = adaSaved.getByRole("list", { name: "Upcoming reminders" });
  await expect(upcoming.getByRole("listitem")).toHaveCount(1);
  await expect(upcoming).toContainText(text);
  const { pending } = await trpc<{ pending: { dueAt: string }[] }>(
    adaPage,
    "reminders.list",
    undefined,
    "GET",
  );
  expect(new Date(pending[0]?.dueAt ?? 0).toISOString().slice(0, 16)).toBe(picked);
  await upcoming.getByRole("button", { name: /^Cancel reminder due/ }).click();
  await expect(adaSaved.getByText(/No reminders waiting/)).toBeVisible();
});

test("a reminder due in a few seconds fires in the browser with a link to the message", async () => {
  await adaSaved.goto("/app/saved?tab=reminders");
  await expect(adaSaved.getByRole("tab", { name: "Reminders" })).toHaveAttribute("aria-selected", "true");
  const dueAt = new Date(Date.now() + 4_000).toISOString();
  await trpc(adaPage, "reminders.create", { messageId, when: { kind: "at", dueAt } });

  const notice = noticesOf(adaPage)
    .getByRole("listitem")
    .filter({ hasText: `Reminder: ${bob.name}` });
  await expect(notice).toContainText(text, { timeout: 30_000 });
  // Both of Ada's tabs get it; the Reminders list moves it to the past ones.
  await expect(noticesOf(adaSaved).getByText(`Reminder: ${bob.name}`)).toBeVisible();
  await expect(adaSaved.getByRole("list", { name: "Past reminders" })).toContainText(text);
  await expect(adaSaved.getByText(/No reminders waiting/)).toBeVisible();

  await adaPage.bringToFront();
  await noticesOf(adaPage).getByRole("button", { name: "Dismiss reminder" }).click();
  await expect(noticesOf(adaPage).getByRole("listitem").filter({ hasText: "Reminder: " })).toHaveCount(0);

  await watchHighlights(adaSaved);
  await adaSaved.bringToFront();
  await noticesOf(adaSaved).getByRole("link", { name: "View message" }).click();
  await expect(adaSaved).toHaveURL(new RegExp(`/app/c/${conversationId}\\?(.*&)?m=${seq}(&|$)`));
  await expect(historyOf(adaSaved).locator(`article.msg[data-seq="${seq}"]`)).toBeInViewport();
  await expect.poll(() => wasHighlighted(adaSaved, seq)).toBe(true);
  // Following its link dismissed it.
  await expect(noticesOf(adaSaved).getByRole("listitem").filter({ hasText: "Reminder: " })).toHaveCount(0);
});

/** axe's WCAG 2.1 A/AA rules on the page in the light theme, then contrast in the dark one. */
async function seriousViolations(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const builder = new AxeBuilder({ page }).options({ resultTypes: ["violations"] }).setLegacyMode();
    const { violations } = await (colorScheme === "light"
      ? builder.withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
      : builder.withRules(["color-contrast"])
    ).analyze();
    for (const v of violations) {
      if (v.impact === "serious" || v.impact === "critical") {
        found.push(`[${colorScheme}] ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: null });
  return found;
}

test("axe finds no serious or critical violation on the Saved view", async () => {
  await trpc(adaPage, "saved.save", { messageId });
  await adaSaved.bringToFront();
  await openInApp(adaSaved, "/app/saved");
  await expect(savedListOf(adaSaved).getByRole("listitem")).toHaveCount(1);
  expect(await seriousViolations(adaSaved)).toEqual([]);
  await adaSaved.getByRole("tab", { name: "Saved" }).focus();
  await adaSaved.keyboard.press("ArrowRight");
  await expect(adaSaved.getByRole("tab", { name: "Reminders" })).toBeFocused();
  await expect(adaSaved.getByRole("list", { name: "Past reminders" })).toBeVisible();
  expect(await seriousViolations(adaSaved)).toEqual([]);
});
