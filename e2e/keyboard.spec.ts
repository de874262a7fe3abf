import { randomUUID } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { firstUser, historyOf, newUser, sidebarOf, signUp, trpc } from "./fixtures";

// Keyboard only: after sign-in the test never clicks. It skips to the content, switches
// conversations with Ctrl+K, sends a message, moves between messages with ↑/↓, reacts, replies in a
// thread, hears (in the live region) that a new message arrived, and marks a conversation read with
// Escape — but not with an Escape that closes something (checked on the frames its socket sends).
// The keyboard map is in docs/accessibility.md.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Keys", run);
const bob = newUser("Bob Keys", run);
const channel = `keys-${run}`;
const other = `keys-other-${run}`;
const escChannel = `keys-esc-${run}`;

let page: Page;
let bobPage: Page;
let conversationId = "";

/** The accessible name of whatever has focus (aria-label, else its text). */
function focusedName(p: Page): Promise<string> {
  return p.evaluate(() => {
    const el = document.activeElement;
    return el?.getAttribute("aria-label") ?? el?.textContent?.trim() ?? "";
  });
}

/** Presses a shortcut until `until` shows (a press before hydration is lost). */
async function shortcut(p: Page, key: string, until: ReturnType<Page["getByRole"]>) {
  await expect(async () => {
    await p.keyboard.press(key);
    await expect(until).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
}

/** Opens the quick switcher and goes to `name`. */
async function switchTo(p: Page, name: string) {
  const switcher = p.getByRole("dialog", { name: "Jump to conversation" });
  await shortcut(p, "Control+k", switcher);
  await p.keyboard.type(name);
  await expect(switcher.getByRole("option", { name: new RegExp(name), selected: true })).toBeVisible();
  await p.keyboard.press("Enter");
  await expect(p.getByRole("heading", { level: 1, name: `# ${name}` })).toBeVisible();
}

test("two people share two channels (setup)", async ({ browser }) => {
  page = (await firstUser(browser, alice)).page;
  bobPage = (await signUp(browser, bob)).page;
  ({ id: conversationId } = await trpc<{ id: string }>(page, "conversations.create", { name: channel }));
  await trpc(page, "conversations.create", { name: other });
  await trpc(bobPage, "conversations.join", { conversationId });
  await trpc(bobPage, "messages.send", {
    conversationId,
    clientMsgId: randomUUID(),
    body: "Bob asks: who is in for lunch?",
  });
});

test("send, move, react, reply in a thread and switch conversations with the keyboard only", async () => {
  await page.goto("/app");
  await expect(sidebarOf(page)).toBeVisible();
  // The first Tab lands on the skip link.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();

  // Ctrl+K to the channel: its composer takes focus; Enter sends.
  await switchTo(page, channel);
  const composer = page.getByRole("textbox", { name: `Message # ${channel}` });
  await expect(composer).toBeFocused();
  await page.keyboard.type("Alice types without a mouse");
  await page.keyboard.press("Enter");
  const mine = historyOf(page).locator("article.msg:not(.pending)", {
    hasText: "Alice types without a mouse",
  });
  await expect(mine).toBeVisible();

  // Shift+Tab from the composer reaches the feed's tab stop (the newest message); ↑ moves to Bob's.
  await page.keyboard.press("Shift+Tab");
  await expect(mine).toBeFocused();
  // The focused message shows the theme's focus ring (styles/a11y.css), in both themes.
  for (const [colorScheme, ring] of [
    ["light", "rgb(59, 91, 219)"],
    ["dark", "rgb(145, 167, 255)"],
  ] as const) {
    await page.emulateMedia({ colorScheme });
    expect(
      await mine.evaluate((el) => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineColor]),
    ).toEqual(["solid", ring]);
  }
  await page.emulateMedia({ colorScheme: null });
  await page.keyboard.press("ArrowUp");
  const bobs = historyOf(page).getByRole("article").filter({ hasText: "who is in for lunch" });
  await expect(bobs).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(mine).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(bobs).toBeFocused();

  // Enter opens the message's actions; the first is 👍, and reacting returns focus to the message.
  await page.keyboard.press("Enter");
  await expect(bobs.getByRole("button", { name: "Add reaction 👍" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(bobs.getByRole("button", { name: "👍 1", pressed: true })).toBeVisible();
  await expect(bobs).toBeFocused();

  // Enter again, → along the toolbar to "Reply in thread"; the reply box takes focus.
  await page.keyboard.press("Enter");
  for (let i = 0; i < 10 && (await focusedName(page)) !== "Reply in thread"; i++) {
    await page.keyboard.press("ArrowRight");
  }
  await expect(bobs.getByRole("button", { name: "Reply in thread" })).toBeFocused();
  await page.keyboard.press("Enter");
  const thread = page.getByRole("complementary", { name: "Thread" });
  const reply = thread.getByRole("textbox", { name: "Reply in thread" });
  await expect(reply).toBeFocused();
  await page.keyboard.type("Me! Replying by keyboard");
  await page.keyboard.press("Enter");
  await expect(
    thread.locator("article.msg:not(.pending)", { hasText: "Replying by keyboard" }),
  ).toBeVisible();

  // A dialog gives focus back to its opener when it closes.
  await shortcut(page, "Control+k", page.getByRole("dialog", { name: "Jump to conversation" }));
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(reply).toBeFocused();

  // Switch to the other channel and post there.
  await switchTo(page, other);
  const otherComposer = page.getByRole("textbox", { name: `Message # ${other}` });
  await expect(otherComposer).toBeFocused();
  await page.keyboard.type("Hello from the other channel");
  await page.keyboard.press("Enter");
  await expect(historyOf(page).getByText("Hello from the other channel")).toBeVisible();

  // Back to the first channel: its history is where it was.
  await switchTo(page, channel);
  await expect(historyOf(page).getByText("Alice types without a mouse")).toBeVisible();
});

test("with reduced motion asked for, transitions and animations are cut to an instant", async () => {
  // A probe with a component's own (inline) motion: the reduced-motion rule must override it.
  const durations = () =>
    page.evaluate(() => {
      const probe = document.createElement("div");
      probe.style.transition = "opacity 2s ease";
      probe.style.animation = "none 3s";
      document.body.append(probe);
      const style = getComputedStyle(probe);
      const seconds = [style.transitionDuration, style.animationDuration].map((d) => Number.parseFloat(d));
      probe.remove();
      return seconds;
    });
  expect(await durations()).toEqual([2, 3]);
  await page.emulateMedia({ reducedMotion: "reduce" });
  for (const d of await durations()) expect(d).toBeLessThan(0.001);
  await page.emulateMedia({ reducedMotion: null });
});

test("a new message in the open conversation is announced in the polite live region", async () => {
  const live = page.locator('[aria-live="polite"][data-testid="arrivals"]');
  await expect(live).toHaveText("");
  await trpc(bobPage, "messages.send", { conversationId, clientMsgId: randomUUID(), body: "Bob again" });
  await expect(historyOf(page).getByText("Bob again")).toBeVisible();
  await expect(live).toHaveText(`1 new message from ${bob.name}`);
});

test("Ctrl+/ lists the shortcuts; Shift+Esc marks every conversation read", async () => {
  // The sheet: a modal dialog, closed by Escape, focus back where it was.
  const sheet = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await shortcut(page, "Control+/", sheet);
  await expect(sheet.getByRole("row", { name: /Mark all conversations as read/ })).toContainText("Shift");
  await expect(sheet.getByRole("row", { name: /Jump to a channel or person/ })).toContainText("K");
  await page.keyboard.press("Escape");
  await expect(sheet).toHaveCount(0);

  // Bob writes in the other channel; Alice (reading this one) sees its badge, then clears it.
  const { id: otherId } = (
    await trpc<{ id: string; name: string | null }[]>(page, "conversations.list", undefined, "GET")
  ).find((c) => c.name === other)!;
  await trpc(bobPage, "conversations.join", { conversationId: otherId });
  await trpc(bobPage, "messages.send", { conversationId: otherId, clientMsgId: randomUUID(), body: "psst" });
  const badge = sidebarOf(page).getByRole("status", { name: "1 unread" });
  await expect(badge).toBeVisible();
  await page.keyboard.press("Shift+Escape");
  await expect(badge).toHaveCount(0);
  const after = await trpc<{ readSeq: number; lastSeq: number }>(
    page,
    "conversations.get",
    { conversationId: otherId },
    "GET",
  );
  expect(after.readSeq).toBe(after.lastSeq);
});

/** A frame the page's socket sent (the fields the Escape test reads). */
type TSentFrame = { type: string; conversationId?: string; seq?: number; cursors?: Record<string, number> };

/** Every frame `p`'s sockets send from now on, in order (a socket opened by a later navigation too). */
function recordSentFrames(p: Page): TSentFrame[] {
  const frames: TSentFrame[] = [];
  p.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => {
      if (typeof payload !== "string" || !payload.startsWith("{")) return;
      try {
        frames.push(JSON.parse(payload) as TSentFrame);
      } catch {
        // Not a command frame: nothing the test reads.
      }
    });
  });
  return frames;
}

test("Esc marks the open conversation read from an empty composer or the message list, not while it closes something", async () => {
  // A backlog to send, a page load and a dozen checks on the server: more than the default on a busy box.
  test.setTimeout(120_000);
  const { id: escId } = await trpc<{ id: string }>(page, "conversations.create", { name: escChannel });
  await trpc(bobPage, "conversations.join", { conversationId: escId });
  const bobSays = async (body: string) =>
    (
      await trpc<{ message: { seq: number } }>(bobPage, "messages.send", {
        conversationId: escId,
        clientMsgId: randomUUID(),
        body,
      })
    ).message.seq;
  const readState = () =>
    trpc<{ readSeq: number; lastSeq: number }>(page, "conversations.get", { conversationId: escId }, "GET");
  // More than a screenful, with Alice's own message near the end (for ↑ in the composer).
  for (let i = 0; i < 30; i++) await bobSays(`line ${i} of the backlog`);
  await trpc(page, "messages.send", {
    conversationId: escId,
    clientMsgId: randomUUID(),
    body: "Alice's last word",
  });
  for (let i = 30; i < 40; i++) await bobSays(`line ${i} of the backlog`);

  // Opened at the newest message, the list reads it all by itself.
  const frames = recordSentFrames(page);
  await page.goto(`/app/c/${escId}`);
  await expect(historyOf(page).getByText("line 39 of the backlog")).toBeVisible();
  const isRead = async () => {
    const { readSeq, lastSeq } = await readState();
    return readSeq === lastSeq;
  };
  await expect.poll(isRead).toBe(true);
  const marks = () => frames.filter((f) => f.type === "markRead" && f.conversationId === escId);
  const marksBefore = marks().length;
  /**
   * Bob writes; once this page reported his message delivered (a frame on the same socket, after
   * any read mark an earlier key sent), `frames` holds every read mark it sent before.
   */
  const fence = async (body: string) => {
    const seq = await bobSays(body);
    await expect
      .poll(() => frames.some((f) => f.type === "delivered" && (f.cursors?.[escId] ?? 0) >= seq))
      .toBe(true);
    return seq;
  };

  // Into the list (the composer has focus on open; Shift+Tab reaches the newest message), then up
  // with Home until the newest message is off screen: from here on nothing is read by itself.
  const composer = page.locator("#composer");
  await composer.focus();
  await page.keyboard.press("Shift+Tab");
  await expect(
    historyOf(page).getByRole("article").filter({ hasText: "line 39 of the backlog" }),
  ).toBeFocused();
  const jump = page.getByRole("button", { name: /^Jump to latest messages/ });
  await expect(async () => {
    await page.keyboard.press("Home");
    await expect(jump).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  const top = historyOf(page).locator('article.msg[tabindex="0"]');
  await expect(top).toBeFocused();
  await fence("Bob: still there?");
  await expect(page.getByRole("button", { name: "Jump to latest messages, 1 new" })).toBeVisible();

  // Escape that closes something marks nothing: the emoji picker (from a message's "Add
  // reaction…"), then the row's toolbar…
  await page.keyboard.press("Enter");
  for (let i = 0; i < 10 && (await focusedName(page)) !== "Add reaction…"; i++) {
    await page.keyboard.press("ArrowRight");
  }
  await expect(top.getByRole("button", { name: "Add reaction…" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(top.getByRole("group", { name: "Pick a reaction" })).toBeVisible();
  // Tab through the common reactions to "More emoji", the full picker.
  for (let i = 0; i < 30 && (await focusedName(page)) !== "More emoji"; i++) await page.keyboard.press("Tab");
  await expect(top.getByRole("button", { name: "More emoji" })).toBeFocused();
  await page.keyboard.press("Enter");
  const emojiPicker = page.getByRole("dialog", { name: "Emoji picker" });
  await expect(emojiPicker).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(emojiPicker).toHaveCount(0);
  await expect(top.getByRole("button", { name: "Add reaction…" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(top).toBeFocused();
  // …the shortcuts sheet…
  const sheet = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await shortcut(page, "Control+/", sheet);
  await page.keyboard.press("Escape");
  await expect(sheet).toHaveCount(0);
  await expect(top).toBeFocused();
  await fence("Bob: hello?");
  expect(marks()).toHaveLength(marksBefore);
  // …an edit started with ↑ in the empty composer, and a draft in the composer.
  await composer.focus();
  await page.keyboard.press("ArrowUp");
  await expect(composer).toHaveValue("Alice's last word");
  await page.keyboard.press("Escape");
  await expect(composer).toHaveValue("");
  await page.keyboard.type("a draft");
  await page.keyboard.press("Escape");
  await expect(composer).toHaveValue("a draft");
  let lastSeq = await fence("Bob: anyone?");
  expect(marks()).toHaveLength(marksBefore);
  expect((await readState()).readSeq).toBeLessThan(lastSeq);
  await expect(page.getByRole("button", { name: "Jump to latest messages, 3 new" })).toBeVisible();

  // Escape in the empty composer: read to the newest message, though it is still off screen.
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Backspace");
  await expect(composer).toHaveValue("");
  await page.keyboard.press("Escape");
  await expect.poll(async () => (await readState()).readSeq).toBe(lastSeq);
  expect(marks().slice(marksBefore)).toMatchObject([{ seq: lastSeq }]);
  await expect(page.getByRole("button", { name: "Jump to latest messages", exact: true })).toBeVisible();

  // Escape with focus on a message in the list: the same.
  lastSeq = await fence("Bob: one more thing");
  await expect(page.getByRole("button", { name: "Jump to latest messages, 1 new" })).toBeVisible();
  await top.focus();
  await page.keyboard.press("Escape");
  await expect.poll(async () => (await readState()).readSeq).toBe(lastSeq);
  await expect(page.getByRole("button", { name: "Jump to latest messages", exact: true })).toBeVisible();

  // Elsewhere, and after a reload: no badge on it (the server's state) — until Bob writes again.
  await switchTo(page, channel);
  await page.reload();
  const escLink = sidebarOf(page).getByRole("link", { name: new RegExp(`^${escChannel}`) });
  await expect(escLink).toBeVisible();
  await expect(escLink.getByRole("status")).toHaveCount(0);
  await bobSays("Bob: back to you");
  await expect(escLink.getByRole("status", { name: "1 unread" })).toBeVisible();
});
