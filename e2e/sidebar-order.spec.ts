import { randomUUID } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { firstUser, newUser, sidebarOf, signIn, signUp, trpc } from "./fixtures";

// Settings → Sidebar → "Show unreads at the top" (the user's sidebarUnreadsFirst preference):
// mentions, then unread channels lead the Channels section; the one being read stays where it was
// until the reader leaves it; the choice is the user's on every device, live.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Sorts", run);
const bob = newUser("Bob Sorts", run);
// By name: a, b, c.
const names = { a: `order-a-${run}`, b: `order-b-${run}`, c: `order-c-${run}` };
const ids: Record<keyof typeof names, string> = { a: "", b: "", c: "" };
let aliceId = "";

let page: Page;
let bobPage: Page;

/** This run's channels in the order the sidebar shows them, as a/b/c. */
async function channelOrder(p: Page): Promise<string> {
  const labels = await sidebarOf(p)
    .getByRole("list", { name: "Channels" })
    .locator(".conv-label")
    .allInnerTexts();
  return labels
    .map((label) => Object.entries(names).find(([, name]) => label.includes(name))?.[0])
    .filter(Boolean)
    .join("");
}

function bobSays(key: keyof typeof names, body: string) {
  return trpc(bobPage, "messages.send", { conversationId: ids[key], clientMsgId: randomUUID(), body });
}

/** The sidebar's link to channel `key` (its name, then any badge). */
function linkTo(p: Page, key: keyof typeof names) {
  return sidebarOf(p).getByRole("link", { name: new RegExp(`^${names[key]}`) });
}

test("two people share three channels (setup)", async ({ browser }) => {
  page = (await firstUser(browser, alice)).page;
  bobPage = (await signUp(browser, bob)).page;
  aliceId = (await trpc<{ id: string }>(page, "users.me", undefined, "GET")).id;
  for (const key of ["c", "a", "b"] as const) {
    ({ id: ids[key] } = await trpc<{ id: string }>(page, "conversations.create", { name: names[key] }));
    await trpc(bobPage, "conversations.join", { conversationId: ids[key] });
  }
});

test("with unreads at the top, a channel with a new message moves up; the one being read stays until left", async () => {
  await page.goto(`/app/c/${ids.a}`);
  await expect.poll(() => channelOrder(page)).toBe("abc");

  // Turned on in Settings; saved on the server.
  await sidebarOf(page).getByRole("link", { name: "Settings" }).click();
  const toggle = page.getByRole("checkbox", { name: "Show unreads at the top" });
  await expect(toggle).toBeEnabled();
  await expect(toggle).not.toBeChecked();
  // Settings was opened by a client navigation: a click while its page was still being replaced
  // by the final render landed on a checkbox that was gone a moment later (a CI run on a busy box:
  // "Clicking the checkbox did not change its state"). A click only ever turns it on (an unchecked
  // box, or one disabled while saving, which ignores it): click until it is on.
  await expect(async () => {
    if (!(await toggle.isChecked())) await toggle.click();
    await expect(toggle).toBeChecked({ timeout: 2_000 });
  }).toPass();
  await expect(toggle).toBeEnabled();
  expect(await trpc(page, "users.preferences", undefined, "GET")).toEqual({
    sidebarUnreadsFirst: true,
    locale: null,
  });

  // Reading a; Bob writes in b (the lowest read one below a): it moves to the top.
  await linkTo(page, "a").click();
  await expect(linkTo(page, "a")).toHaveAttribute("aria-current", "page");
  await bobSays("b", "Anyone around?");
  await expect(linkTo(page, "b").getByRole("status", { name: "1 unread" })).toBeVisible();
  await expect.poll(() => channelOrder(page)).toBe("bac");
  // A mention in c beats a plain unread message: c goes first.
  await bobSays("c", `<@${aliceId}> can you look at this?`);
  await expect(linkTo(page, "c").getByRole("status", { name: "1 mention" })).toBeVisible();
  await expect.poll(() => channelOrder(page)).toBe("cba");

  // Alice opens c and reads it (its mention leaves the tab title's count), yet c keeps its place…
  const mentionsInTitle = async () => Number(/^\((\d+)\)/.exec(await page.title())?.[1] ?? 0);
  await expect.poll(mentionsInTitle).toBeGreaterThan(0);
  const mentionsNow = await mentionsInTitle();
  await linkTo(page, "c").click();
  await expect(linkTo(page, "c")).toHaveAttribute("aria-current", "page");
  await expect
    .poll(async () => {
      const c = await trpc<{ readSeq: number; lastSeq: number }>(
        page,
        "conversations.get",
        { conversationId: ids.c },
        "GET",
      );
      return c.readSeq === c.lastSeq;
    })
    .toBe(true);
  await expect.poll(mentionsInTitle).toBe(mentionsNow - 1);
  expect(await channelOrder(page)).toBe("cba");
  // …until she leaves it: then it goes back to its name's place among the read ones.
  await linkTo(page, "a").click();
  await expect(linkTo(page, "a")).toHaveAttribute("aria-current", "page");
  await expect.poll(() => channelOrder(page)).toBe("bac");
});

test("the choice is the user's on every device, and follows a change live", async ({ browser }) => {
  // A second device: sorted the same way on load (b is still unread).
  const other = await signIn(browser, alice);
  await expect.poll(() => channelOrder(other)).toBe("bac");
  // Turned off on the first device: the second goes back to names without a reload.
  await sidebarOf(page).getByRole("link", { name: "Settings" }).click();
  const toggle = page.getByRole("checkbox", { name: "Show unreads at the top" });
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  await expect(toggle).not.toBeChecked();
  await expect.poll(() => channelOrder(other)).toBe("abc");
  await expect.poll(() => channelOrder(page)).toBe("abc");
  await other.context().close();
});
