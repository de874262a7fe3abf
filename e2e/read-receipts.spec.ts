/**
 * Read receipts (issue 12): a DM's ticks move sent → delivered → seen as the other user's browser
 * connects and then opens the DM (and a reply in the thread panel moves from delivered to seen as
 * the other user opens the thread); a small channel shows "Seen by N" with the names on hover; a
 * user who turns read receipts off is no longer shown as having seen.
 */
import { randomUUID } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { firstUser, historyOf, newUser, openInApp, sharedChannel, signIn, signUp, trpc } from "./fixtures";

const run = Math.random().toString(36).slice(2, 8);
const alice = newUser("Alice Receipts", run);
const bob = newUser("Bob Receipts", run);

test.describe.configure({ mode: "serial" });

let alicePage: Page;

test.beforeAll(async ({ browser }) => {
  ({ page: alicePage } = await firstUser(browser, alice));
});

/** The row of my message with this text. */
function row(page: Page, text: string) {
  return historyOf(page).locator("article.msg", { hasText: text });
}

test("DM ticks move sent → delivered → seen as the other user's browser connects, then opens the DM", async ({
  browser,
}) => {
  // Four phases (DM, thread, receipts off, back on), three browsers and a dozen navigations: on a
  // busy CI box it ran 74 s of its 60 s budget, each step in time (no wait timed out).
  test.slow();
  // Bob signs up and leaves: none of his devices is connected.
  const { context: bobFirst, page: bobSignup } = await signUp(browser, bob);
  const bobMe = await trpc<{ id: string }>(bobSignup, "users.me", undefined, "GET");
  await bobFirst.close();

  const dm = await trpc<{ id: string }>(alicePage, "conversations.openDm", { userIds: [bobMe.id] });
  await alicePage.goto(`/app/c/${dm.id}`);
  const composer = alicePage.getByLabel(`Message ${bob.name}`);
  await composer.fill("Are you there, Bob?");
  await composer.press("Enter");
  const mine = row(alicePage, "Are you there, Bob?");
  await expect(mine.getByRole("img", { name: "Sent" })).toBeVisible();
  // Nobody has it yet: it stays "Sent".
  await alicePage.waitForTimeout(1_500);
  await expect(mine.getByRole("img", { name: "Sent" })).toBeVisible();

  // Bob's browser connects (on the app's start page, the DM not open): delivered.
  const bobPage = await signIn(browser, bob);
  await expect(mine.getByRole("img", { name: "Delivered" })).toBeVisible({ timeout: 15_000 });
  await expect(mine.getByRole("img", { name: "Seen" })).toHaveCount(0);

  // Bob opens the DM: seen, live on Alice's screen.
  await openInApp(bobPage, `/app/c/${dm.id}`);
  await expect(historyOf(bobPage).getByText("Are you there, Bob?")).toBeVisible();
  await expect(mine.getByRole("img", { name: "Seen" })).toBeVisible({ timeout: 15_000 });

  // A thread: my reply in the thread panel carries the same ticks, from the same cursors — delivered
  // while Bob only has the DM open, seen once he opens the thread.
  const send = (body: string, threadRootId?: string) =>
    trpc<{ message: { id: string } }>(alicePage, "messages.send", {
      conversationId: dm.id,
      clientMsgId: randomUUID(),
      body,
      ...(threadRootId ? { threadRootId } : {}),
    });
  const root = await send("A thread for Bob");
  await send("My reply in the thread", root.message.id);
  await alicePage.goto(`/app/c/${dm.id}?thread=${root.message.id}`);
  const reply = alicePage
    .getByRole("complementary", { name: "Thread" })
    .locator("article.msg", { hasText: "My reply in the thread" });
  await expect(reply.getByRole("img", { name: "Delivered" })).toBeVisible({ timeout: 15_000 });
  await bobPage.goto(`/app/c/${dm.id}?thread=${root.message.id}`);
  await expect(
    bobPage.getByRole("complementary", { name: "Thread" }).getByText("My reply in the thread"),
  ).toBeVisible();
  await expect(reply.getByRole("img", { name: "Seen" })).toBeVisible({ timeout: 15_000 });
  await openInApp(alicePage, `/app/c/${dm.id}`);

  // Bob turns read receipts off: his next read is not shown; Alice's next message stops at delivered.
  await openInApp(bobPage, "/app/settings");
  const toggle = bobPage.getByRole("checkbox", { name: "Send read receipts" });
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  await expect(toggle).not.toBeChecked();
  await openInApp(bobPage, `/app/c/${dm.id}`);
  await composer.fill("Still there?");
  await composer.press("Enter");
  await expect(historyOf(bobPage).getByText("Still there?")).toBeVisible();
  const second = row(alicePage, "Still there?");
  await expect(second.getByRole("img", { name: "Delivered" })).toBeVisible({ timeout: 15_000 });
  await alicePage.reload();
  await expect(row(alicePage, "Still there?").getByRole("img", { name: "Delivered" })).toBeVisible();
  await expect(row(alicePage, "Still there?").getByRole("img", { name: "Seen" })).toHaveCount(0);
  await bobPage.context().close();
});

test("a small channel shows 'Seen by N' on my message, with the readers' names on hover", async ({
  browser,
}) => {
  const carol = newUser("Carol Receipts", run);
  const { page: carolPage } = await signUp(browser, carol);
  const channel = `receipts-${run}`;
  // Both have the channel open (sharedChannel): Carol reads Alice's message as it arrives.
  await sharedChannel(alicePage, [carolPage], channel);
  const composer = alicePage.getByLabel(`Message # ${channel}`);
  await composer.fill("Channel news");
  await composer.press("Enter");
  await expect(historyOf(carolPage).getByText("Channel news")).toBeVisible();
  const seen = row(alicePage, "Channel news").getByText("Seen by 1");
  await expect(seen).toBeVisible({ timeout: 15_000 });
  await expect(seen).toHaveAttribute("title", carol.name);
  // Carol's own view of Alice's message shows no ticks (they are for the sender).
  await expect(row(carolPage, "Channel news").locator(".receipt")).toHaveCount(0);
  await carolPage.context().close();
});
