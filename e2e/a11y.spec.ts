import { randomUUID } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, expect, type Page, test } from "@playwright/test";
import { firstUser, historyOf, makeAdmin, newUser, signUp, trpc } from "./fixtures";

// Every screen passes axe-core's WCAG 2.1 A/AA rules with no serious or critical violation, in
// the light and the dark theme (contrast differs): the channel view, a thread, a DM, the pickers
// and dialogs, search results, settings (member and admin), channel details (as the channel's
// owner and as a plain member, who sees it read-only), sign-in and sign-up. One shared setup
// (two people, a channel with reactions, a thread, a pin and a DM), one test per screen group.
// docs/accessibility.md says what the rest of the accessibility work is and how it is kept.
// axe is CPU-bound: on a busy 2-core box one full-page pass can take 10 s or more.
test.describe.configure({ mode: "serial", timeout: 120_000 });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Axe", run);
const bob = newUser("Bob Axe", run);
const channel = `axe-${run}`;

let alicePage: Page;
/** Bob: a plain member (not the channel's owner, not an admin); closed after his screens. */
let bobPage: Page;
let channelUrl = "";
let dmUrl = "";
let threadRootId = "";

const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** What part of the page to check (CSS selectors): a dialog's own box, say, when the page under it was checked already. */
type TScope = { include?: string; exclude?: string[] };

/**
 * Runs axe on the page (or `scope`): every WCAG 2.1 A/AA rule in the light theme, then colour
 * contrast again in the dark one (the only rule a theme changes). Fails (softly, so one run lists
 * every screen's) with each serious or critical violation's id, help URL and targets.
 */
async function expectAccessible(page: Page, screen: string, scope: TScope = {}): Promise<void> {
  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    // Only violations are read: axe then skips building the node lists of every pass and
    // "incomplete" (thousands of nodes per page for color-contrast alone). Legacy mode runs axe in
    // the page itself; the default opens a blank page per analyze (a renderer, and axe-core's
    // 560 kB injected again) to merge per-frame results, for cross-origin frames the app has none of.
    let builder = new AxeBuilder({ page }).options({ resultTypes: ["violations"] }).setLegacyMode();
    builder = colorScheme === "light" ? builder.withTags(WCAG) : builder.withRules(["color-contrast"]);
    if (scope.include) builder = builder.include(scope.include);
    for (const selector of scope.exclude ?? []) builder = builder.exclude(selector);
    const { violations } = await builder.analyze();
    for (const v of violations) {
      if (v.impact !== "serious" && v.impact !== "critical") continue;
      const targets = v.nodes.map(
        (n) => `    ${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join("; ")}`,
      );
      found.push(`[${colorScheme}] ${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n${targets.join("\n")}`);
    }
  }
  await page.emulateMedia({ colorScheme: null });
  if (process.env.A11Y_REPORT) {
    console.log(`== ${screen}\n${found.join("\n")}`);
    return;
  }
  expect.soft(found, `${screen}: axe found serious or critical violations:\n${found.join("\n")}`).toEqual([]);
}

async function say(page: Page, conversationId: string, body: string, extra: Record<string, unknown> = {}) {
  return (
    await trpc<{ message: { id: string } }>(page, "messages.send", {
      conversationId,
      clientMsgId: randomUUID(),
      body,
      ...extra,
    })
  ).message;
}

test("two people, a channel with reactions, a thread, a pin and a DM (setup)", async ({ browser }) => {
  alicePage = (await firstUser(browser, alice)).page;
  bobPage = (await signUp(browser, bob)).page;
  const bobId = (await trpc<{ id: string }>(bobPage, "users.me", undefined, "GET")).id;
  const { id: conversationId } = await trpc<{ id: string }>(alicePage, "conversations.create", {
    name: channel,
    topic: "Where axe looks for trouble",
  });
  channelUrl = `/app/c/${conversationId}`;
  await trpc(bobPage, "conversations.join", { conversationId });
  const first = await say(alicePage, conversationId, "Hello **everyone**, the agenda:\n\n1. one\n2. two");
  const second = await say(bobPage, conversationId, "A `code` span and a link https://example.com");
  threadRootId = second.id;
  await say(alicePage, conversationId, "A reply in the thread", { threadRootId });
  await say(bobPage, conversationId, "Shown in the channel too", { threadRootId, alsoInChannel: true });
  await say(alicePage, conversationId, "> a quote\n\nand a last word");
  await trpc(bobPage, "messages.react", { messageId: first.id, emoji: "👍" });
  await trpc(alicePage, "messages.pin", { messageId: first.id });
  const withAlice = await trpc<{ id: string }>(alicePage, "conversations.openDm", { userIds: [bobId] });
  dmUrl = `/app/c/${withAlice.id}`;
  await say(bobPage, withAlice.id, "A direct message");
  // A channel Alice is not in: browse channels offers it with a Join button.
  await trpc(bobPage, "conversations.create", { name: `${channel}-lobby`, topic: "Come in" });
});

test("sign-in and sign-up", async ({ browser }: { browser: Browser }) => {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expectAccessible(page, "sign-in");
  await page.goto("/sign-up");
  await expect(page.getByLabel("Password")).toBeVisible();
  await expectAccessible(page, "sign-up");
  await page.context().close();
});

test("channel view, thread panel and DM", async () => {
  const page = alicePage;
  await page.goto(channelUrl);
  await expect(historyOf(page).getByText("and a last word")).toBeVisible();
  await expectAccessible(page, "channel view");
  await page.goto(`${channelUrl}?thread=${threadRootId}`);
  await expect(
    page.getByRole("complementary", { name: "Thread" }).getByText("A reply in the thread"),
  ).toBeVisible();
  await expectAccessible(page, "thread panel", { include: ".side-panel" });
  await page.goto(dmUrl);
  await expect(historyOf(page).getByText("A direct message")).toBeVisible();
  await expectAccessible(page, "DM");
});

test("pickers, dialogs and search results", async () => {
  const page = alicePage;
  await page.goto(channelUrl);
  const row = historyOf(page).locator(".msg", { hasText: "and a last word" });
  await expect(row).toBeVisible();
  await row.hover();
  await row.getByRole("button", { name: "Add reaction…" }).click();
  const picker = row.getByRole("group", { name: "Pick a reaction" });
  await expect(picker).toBeVisible();
  await expectAccessible(page, "reaction picker", { include: ".reaction-picker" });
  await picker.getByRole("button", { name: "More emoji" }).click();
  await expect(page.getByRole("dialog", { name: "Emoji picker" })).toBeVisible();
  // Its ~1,900 buttons are alike: the search, the categories and the first group stand for them.
  await expectAccessible(page, "emoji picker", {
    include: ".emoji-picker",
    exclude: [".emoji-grid section:not(:first-of-type)"],
  });
  await page.keyboard.press("Escape");
  await row.hover();
  await row.getByRole("button", { name: "Delete message" }).click();
  await expect(row.getByRole("button", { name: "Delete", exact: true })).toBeVisible();
  await expectAccessible(page, "delete confirmation", { include: ".confirm-delete" });
  await row.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "Conversation options" }).click();
  await expect(page.getByRole("menu")).toBeVisible();
  await expectAccessible(page, "conversation menu", { include: "[role=menu]" });
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+k");
  await expect(page.getByRole("dialog", { name: "Jump to conversation" })).toBeVisible();
  await expectAccessible(page, "quick switcher", { include: ".switcher" });
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+f");
  const search = page.getByRole("dialog", { name: /Search/ });
  await expect(search).toBeVisible();
  await search.getByRole("combobox", { name: "Search messages" }).fill("agenda");
  await expect(search.getByRole("option").first()).toBeVisible();
  await expectAccessible(page, "search results", { include: ".switcher.search" });
  await page.keyboard.press("Escape");
});

test("shortcuts sheet, members panel, channel details, browse channels and a new channel", async () => {
  // One page, one screen after another: each waits for its own content, then axe runs.
  const page = alicePage;
  await page.goto(channelUrl);
  await expect(historyOf(page).getByText("and a last word")).toBeVisible();
  const sheet = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(async () => {
    await page.keyboard.press("Control+/");
    await expect(sheet).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expectAccessible(page, "keyboard shortcuts", { include: ".shortcuts-dialog" });
  await page.keyboard.press("Escape");
  await expect(sheet).toHaveCount(0);
  await page.getByRole("button", { name: "2 members" }).click();
  const membersPanel = page.getByRole("complementary", { name: "Members" });
  await expect(membersPanel.getByText(bob.name)).toBeVisible();
  await expectAccessible(page, "members panel", { include: ".side-panel" });
  await page.getByRole("link", { name: "Channel details" }).click();
  await expect(page.getByRole("heading", { level: 1, name: new RegExp(channel) })).toBeVisible();
  await expect(page.getByRole("list", { name: "Members" }).getByText(bob.name)).toBeVisible();
  await expectAccessible(page, "channel details");
  await page.goto("/app/browse");
  await expect(page.getByRole("main").getByText(`# ${channel}`, { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: `Join ${channel}-lobby` })).toBeVisible();
  await expectAccessible(page, "browse channels");
  await page.goto("/app/new-channel");
  await expect(page.getByLabel("Channel name")).toBeFocused();
  await expectAccessible(page, "new channel");
});

test("channel details as a plain member", async () => {
  // Bob joined Alice's channel: no manage rights, so the page shows what a member may do only
  // (no rename form, no Remove buttons) — a different tree from the owner's, checked on its own.
  const page = bobPage;
  await page.goto(channelUrl);
  await expect(historyOf(page).getByText("and a last word")).toBeVisible();
  await page.getByRole("link", { name: "Channel details" }).click();
  await expect(page.getByRole("heading", { level: 1, name: new RegExp(channel) })).toBeVisible();
  await expect(page.getByRole("list", { name: "Members" }).getByText(alice.name)).toBeVisible();
  await expect(page.getByRole("form", { name: "Rename channel" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Remove ${alice.name}` })).toHaveCount(0);
  await expectAccessible(page, "channel details (member)");
  await page.context().close();
});

test("settings as a member and as an admin", async () => {
  const page = alicePage;
  await page.goto("/app/settings");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expectAccessible(page, "settings (member)");
  makeAdmin(alice.email);
  await page.reload();
  await expect(page.getByRole("heading", { name: "People", exact: true })).toBeVisible();
  await expectAccessible(page, "settings (admin)");
});
