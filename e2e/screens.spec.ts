import { randomUUID } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { artifact, firstUser, historyOf, newUser, signUp, trpc } from "./fixtures";

// Screenshots of the main screens with realistic content (three people, markdown, reactions, a
// thread, a pin, custom statuses, a DM) for humans to look at: e2e/artifacts/screens-*.png
// (gitignored). Each step also checks what the screenshot is meant to show.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 6);
const people = {
  alice: newUser("Alice Moreau", run),
  bob: newUser("Bob Okafor", run),
  carol: newUser("Carol Jensen", run),
};
const channel = `design-review-${run}`;

const pages: Record<keyof typeof people, Page> = {} as never;
const ids: Record<keyof typeof people, string> = {} as never;
let conversationId = "";
let channelUrl = "";
let threadRootId = "";

type TSent = { message: { id: string; seq: number } };

async function say(who: keyof typeof people, body: string, extra: Record<string, unknown> = {}) {
  const sent = await trpc<TSent>(pages[who], "messages.send", {
    conversationId,
    clientMsgId: randomUUID(),
    body,
    ...extra,
  });
  return sent.message;
}

async function react(who: keyof typeof people, messageId: string, emoji: string) {
  await trpc(pages[who], "messages.react", { messageId, emoji });
}

test("three people, a channel with markdown, reactions, a thread and a pin (setup)", async ({ browser }) => {
  for (const key of ["alice", "bob", "carol"] as const) {
    const join = key === "alice" ? firstUser : signUp;
    pages[key] = (
      await join(browser, people[key], { context: { viewport: { width: 1280, height: 800 } } })
    ).page;
    ids[key] = (await trpc<{ id: string }>(pages[key], "users.me", undefined, "GET")).id;
  }
  const created = await trpc<{ id: string }>(pages.alice, "conversations.create", {
    name: channel,
    topic: "Weekly design crit · Thursdays 15:00 · bring screenshots",
  });
  conversationId = created.id;
  channelUrl = `/app/c/${conversationId}`;
  for (const key of ["bob", "carol"] as const)
    await trpc(pages[key], "conversations.join", { conversationId });
  await trpc(pages.bob, "users.setStatus", { emoji: "🏡", text: "Working remotely" });
  await trpc(pages.carol, "users.setStatus", { emoji: "📅", text: "In a meeting until 3" });

  const agenda = await say(
    "alice",
    "Morning all! Agenda for today:\n\n1. **Sidebar badges**: mentions vs unread\n2. Thread panel polish\n3. `chrome.css` cleanup",
  );
  const drawer = await say("bob", "I pushed the new *drawer* for phones. Try it at 390px wide 📱");
  const notes = await say(
    "carol",
    "> Thread panel polish\n\nI have a few notes on this, replying in a thread.",
  );
  threadRootId = notes.id;
  await say("alice", "Great, go ahead.", { threadRootId });
  await say("bob", "Keep the reply box pinned to the bottom please 🙏", { threadRootId });
  await say("carol", "Done: the thread panel now scrolls and the reply box stays put.", {
    threadRootId,
    alsoInChannel: true,
  });
  const checklist = await say("alice", "Release checklist lives here: https://example.com/release-checklist");
  await trpc(pages.alice, "messages.pin", { messageId: checklist.id });
  await say("bob", "To run just the new specs:\n\n```\nnpm run e2e -- threads.spec.ts screens.spec.ts\n```");
  await say("carol", `<@${ids.alice}> can you review the badges before lunch?`);
  for (const who of ["bob", "carol"] as const) await react(who, agenda.id, "👍");
  await react("carol", agenda.id, "🎉");
  await react("alice", drawer.id, "🚀");
  await react("carol", drawer.id, "🚀");
  await react("alice", notes.id, "👀");

  // A DM and a second channel so the sidebar has some life in it.
  const dm = await trpc<{ id: string }>(pages.bob, "conversations.openDm", { userIds: [ids.alice] });
  await trpc(pages.bob, "messages.send", {
    conversationId: dm.id,
    clientMsgId: randomUUID(),
    body: "Lunch at 12:30?",
  });
  await trpc(pages.carol, "conversations.create", { name: `random-${run}` });
  const launch = await trpc<{ id: string }>(pages.alice, "conversations.create", { name: `launch-${run}` });
  await trpc(pages.alice, "conversations.addMembers", { conversationId: launch.id, userIds: [ids.bob] });
  await trpc(pages.bob, "messages.send", {
    conversationId: launch.id,
    clientMsgId: randomUUID(),
    body: "Launch date moved to Friday",
  });
});

test("main screen, light and dark", async () => {
  const page = pages.alice;
  await page.goto(channelUrl);
  await expect(historyOf(page).getByText("can you review the badges")).toBeVisible();
  await expect(page.getByRole("button", { name: /3 members/ })).toBeVisible();
  await expect(historyOf(page).getByRole("button", { name: /^3 replies/ })).toBeVisible();
  await expect(historyOf(page).getByText(/Pinned by you/)).toBeVisible();
  // Other presence and unread state settle before the picture.
  await page.waitForTimeout(500);
  const row = historyOf(page).locator("article.msg", { hasText: "drawer" });
  await row.hover();
  await page.emulateMedia({ colorScheme: "light" });
  await page.screenshot({ path: artifact("screens-main-light.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: artifact("screens-main-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });

  // The reaction picker and the conversation menu.
  await row.getByRole("button", { name: "Add reaction…" }).click();
  const picker = row.getByRole("group", { name: "Pick a reaction" });
  await expect(picker.getByRole("button", { name: "React with 👍" })).toBeFocused();
  await page.screenshot({ path: artifact("screens-reaction-picker.png") });
  await picker.getByRole("button", { name: "More emoji" }).click();
  const full = page.getByRole("dialog", { name: "Emoji picker" });
  await expect(full.getByRole("button", { name: "grinning face", exact: true })).toBeVisible();
  await page.screenshot({ path: artifact("screens-reaction-picker-full.png") });
  await page.keyboard.press("Escape");
  await expect(full).toHaveCount(0);
  await expect(picker).toHaveCount(0);
  await page.getByRole("button", { name: "Conversation options" }).click();
  await expect(page.getByRole("menuitem", { name: "Mute channel" })).toBeVisible();
  await page.screenshot({ path: artifact("screens-menu.png") });
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menu")).toHaveCount(0);
});

test("a thread open in the side panel", async () => {
  const page = pages.alice;
  await historyOf(page)
    .getByRole("button", { name: /^3 replies/ })
    .click();
  const thread = page.getByRole("complementary", { name: "Thread" });
  await expect(thread.getByText("Keep the reply box pinned")).toBeVisible();
  await expect(thread.getByRole("checkbox", { name: "Also send to channel" })).toBeVisible();
  await page.screenshot({ path: artifact("screens-thread.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: artifact("screens-thread-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
});

test("members panel with presence and custom status, and the quick switcher", async () => {
  const page = pages.alice;
  await page.getByRole("button", { name: /3 members/ }).click();
  const members = page.getByRole("complementary", { name: "Members" });
  await expect(members.getByText("Working remotely")).toBeVisible();
  await expect(members.getByText("In a meeting until 3")).toBeVisible();
  await page.screenshot({ path: artifact("screens-members.png") });
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "Jump to conversation" });
  await expect(dialog).toBeVisible();
  await page.screenshot({ path: artifact("screens-switcher.png") });
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
});

test("a DM shows the other person's presence and custom status in its header", async () => {
  const page = pages.alice;
  const dm = await trpc<{ id: string }>(page, "conversations.openDm", { userIds: [ids.bob] });
  await page.goto(`/app/c/${dm.id}`);
  await expect(page.getByRole("heading", { level: 1, name: people.bob.name })).toBeVisible();
  await expect(page.locator(".conv-header").getByText("🏡 Working remotely")).toBeVisible();
  await expect(page.locator(".conv-header").getByRole("img", { name: "online" })).toBeVisible();
  await expect(historyOf(page).getByText("Lunch at 12:30?")).toBeVisible();
  await page.screenshot({ path: artifact("screens-dm.png") });
});

test("the offline banner", async () => {
  const page = pages.alice;
  await page.goto(channelUrl);
  await expect(historyOf(page).getByText("can you review the badges")).toBeVisible();
  await page.context().setOffline(true);
  await expect(page.getByRole("status").filter({ hasText: "Offline." })).toBeVisible();
  const composer = page.getByLabel(`Message # ${channel}`);
  await composer.fill("This one waits for the network");
  await composer.press("Enter");
  await expect(historyOf(page).getByText("Sending…")).toBeVisible();
  await page.screenshot({ path: artifact("screens-offline.png") });
  await page.context().setOffline(false);
  await expect(page.getByRole("status").filter({ hasText: "Offline." })).toHaveCount(0, { timeout: 15_000 });
});

test("phone width: the conversation, the drawer and a thread", async () => {
  const page = await pages.bob.context().newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(channelUrl);
  await expect(historyOf(page).getByText("can you review the badges")).toBeVisible();
  await page.screenshot({ path: artifact("screens-phone.png") });
  await page.getByRole("button", { name: "Menu", exact: true }).click();
  await expect(page.getByRole("navigation", { name: "Workspace" })).toBeVisible();
  await page.waitForTimeout(300); // the drawer's slide-in
  await page.screenshot({ path: artifact("screens-phone-drawer.png") });
  await page.getByRole("button", { name: "Close menu" }).click({ position: { x: 370, y: 400 } });
  await expect(page.getByRole("navigation", { name: "Workspace" })).toBeHidden();
  await page.goto(`${channelUrl}?thread=${threadRootId}`);
  await expect(
    page.getByRole("complementary", { name: "Thread" }).getByText("Keep the reply box"),
  ).toBeVisible();
  await page.screenshot({ path: artifact("screens-phone-thread.png") });
  await page.close();
});
