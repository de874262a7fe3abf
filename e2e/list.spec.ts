import { randomUUID } from "node:crypto";
import { expect, type Locator, type Page, test } from "@playwright/test";
import pg from "pg";
import {
  artifact,
  firstUser,
  historyOf,
  newUser,
  openInApp,
  sharedChannel,
  signUp,
  trpc,
  wasHighlighted,
  watchHighlights,
} from "./fixtures";

// The message list with a long history: 2,000 messages over three days in one channel. It must
// open at the newest message with only a window of rows in the DOM, page back to the very first
// message, mark days and unread messages, jump to the latest, and open at a linked message.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice List", run);
const bob = newUser("Bob List", run);
const channel = `list-${run}`;
const TOTAL = 2_000;
/** Sorted positions (0-based) of the first message of yesterday and of today. */
const FIRST_YESTERDAY = 1_000;
const FIRST_TODAY = 1_990;
/** A page load of the app on a busy box (CI runs two specs at once) can take over 10 s. */
const FIRST_LOAD_MS = 30_000;

let alicePage: Page;
let bobPage: Page;
let channelUrl = "";
let conversationId = "";
/** The seeded messages in seq order. */
let seeded: { id: string; seq: number; body: string }[] = [];

/** The row (separators + message) holding the message with exactly this body. */
function rowOf(page: Page, body: string): Locator {
  return historyOf(page)
    .locator(".ml-row")
    .filter({ has: page.locator("article.msg .body").getByText(body, { exact: true }) });
}

/** How the app labels a day that is neither today nor yesterday (same year). */
function dayName(d: Date): string {
  return d.toLocaleDateString("en-US", { weekday: "long", month: "long", day: "numeric" });
}

type TSent = { message: { id: string; seq: number; body: string } };

/** Sends `bodies` in one batched tRPC request (the server stores them in any order). */
async function sendBatch(page: Page, bodies: string[]): Promise<TSent[]> {
  const path = bodies.map(() => "messages.send").join(",");
  const input = Object.fromEntries(
    bodies.map((body, i) => [i, { json: { conversationId, clientMsgId: randomUUID(), body } }]),
  );
  const res = await page.request.post(`/api/trpc/${path}?batch=1`, { data: input });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { result: { data: { json: TSent } } }[]).map((r) => r.result.data.json);
}

async function send(page: Page, body: string): Promise<TSent> {
  const [sent] = await sendBatch(page, [body]);
  return sent!;
}

/**
 * Moves the messages with seq in [from, to] to `start`, 40 seconds apart (a test-only backdate):
 * their rows and their `message.created` events alike, so a client that catches up from the log
 * (a replay after its cursor) sees the same times as one that reads the history.
 */
async function backdate(from: number, to: number, start: Date) {
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const at = `($2::timestamptz + (seq - $3) * interval '40 seconds')`;
  try {
    await db.query("BEGIN");
    await db.query(
      `UPDATE "Message" SET "createdAt" = ${at}
       WHERE "conversationId" = $1::uuid AND seq BETWEEN $3 AND $4`,
      [conversationId, start.toISOString(), from, to],
    );
    await db.query(
      `UPDATE "Event" SET "createdAt" = ${at},
         payload = jsonb_set(payload, '{message,createdAt}',
           to_jsonb(to_char(${at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
       WHERE "conversationId" = $1::uuid AND seq BETWEEN $3 AND $4 AND kind = 'message.created'`,
      [conversationId, start.toISOString(), from, to],
    );
    await db.query("COMMIT");
  } finally {
    await db.end();
  }
}

/** History requests (alone or in a tRPC batch). */
const isHistory = (url: URL) =>
  url.pathname.startsWith("/api/trpc/") && url.pathname.includes("messages.history");

async function readSeqOf(page: Page): Promise<number> {
  return (await trpc<{ readSeq: number }>(page, "conversations.get", { conversationId }, "GET")).readSeq;
}

test("two users share a channel (setup)", async ({ browser }) => {
  alicePage = (await firstUser(browser, alice)).page;
  bobPage = (await signUp(browser, bob)).page;
  await alicePage.setViewportSize({ width: 1280, height: 800 });
  ({ url: channelUrl, conversationId } = await sharedChannel(alicePage, [bobPage], channel));
  await openInApp(bobPage, "/app/settings"); // Bob is not reading the channel from here on
  await openInApp(alicePage, "/app/settings");
});

test("seeds 2,000 messages over three days", async () => {
  test.setTimeout(180_000);
  const started = Date.now();
  const sent: TSent[] = [];
  // The first and the last alone, so they are the oldest and the newest; the rest in batches
  // that alternate between the two senders (blocks of one sender, like a conversation).
  sent.push(await send(alicePage, "message 1"));
  const BATCH = 50;
  for (let from = 2; from < TOTAL; from += BATCH) {
    const bodies: string[] = [];
    for (let n = from; n < Math.min(from + BATCH, TOTAL); n++) bodies.push(`message ${n}`);
    const sender = ((from - 2) / BATCH) % 2 === 0 ? alicePage : bobPage;
    sent.push(...(await sendBatch(sender, bodies)));
  }
  sent.push(await send(alicePage, `message ${TOTAL}`));
  seeded = sent.map((s) => s.message).sort((a, b) => a.seq - b.seq);
  expect(seeded).toHaveLength(TOTAL);
  expect(seeded[0]!.body).toBe("message 1");
  expect(seeded.at(-1)!.body).toBe(`message ${TOTAL}`);

  const today = new Date();
  const threeDaysAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 3, 8, 0);
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1, 8, 0);
  await backdate(seeded[0]!.seq, seeded[FIRST_YESTERDAY - 1]!.seq, threeDaysAgo);
  await backdate(seeded[FIRST_YESTERDAY]!.seq, seeded[FIRST_TODAY - 1]!.seq, yesterday);
  // Alice has read everything, so her first visit shows no "New messages".
  await trpc(alicePage, "conversations.markRead", { conversationId, seq: seeded.at(-1)!.seq }, "POST");
  console.log(`[list] seeded ${TOTAL} messages in ${Date.now() - started} ms`);
});

test("opens at the newest message with only a window of rows in the DOM", async () => {
  await alicePage.goto(channelUrl);
  const log = historyOf(alicePage);
  await expect(log.getByText(`message ${TOTAL}`, { exact: true })).toBeInViewport({ timeout: FIRST_LOAD_MS });
  const rows = await log.locator("article.msg").count();
  expect(rows).toBeGreaterThan(5);
  expect(rows).toBeLessThan(200);
  expect(await alicePage.locator("li").count()).toBeLessThan(200);
  // Today starts at its first message; everything was read, so no "New messages".
  await expect(
    rowOf(alicePage, seeded[FIRST_TODAY]!.body).getByRole("separator", { name: "Today" }),
  ).toBeVisible();
  await expect(log.getByRole("separator", { name: "New messages" })).toHaveCount(0);
  await expect(alicePage.getByRole("button", { name: "Jump to latest messages" })).toHaveCount(0);
  await alicePage.screenshot({ path: artifact("list-latest.png") });
});

test("scrolling up pages back to the very first message, keeping the place", async () => {
  test.setTimeout(120_000);
  const log = historyOf(alicePage);
  // The first older page waits until the test has noted the reader's place (so the loading row is
  // seen, and a fast page cannot land before the place is read).
  let releasePage = () => {};
  const pageHeld = new Promise<void>((resolve) => {
    releasePage = resolve;
  });
  await alicePage.route(isHistory, async (route) => {
    await pageHeld;
    await route.continue();
  });

  // The first page back: the row at the top of the viewport stays where the reader sees it, to
  // the pixel, while the page's rows above it are laid out.
  // The reader scrolls up: a wheel event (which ends the list's holding on to the newest row, as
  // a reader's scrolling does), then straight to the top.
  await log.dispatchEvent("wheel");
  await log.evaluate((el) => {
    el.scrollTop = 0;
  });
  await expect(log.getByRole("status").filter({ hasText: "Loading older messages" })).toBeVisible();
  const topRow = () =>
    log.evaluate((el) => {
      const top = el.getBoundingClientRect().top;
      const row = [...el.querySelectorAll("article.msg")].find(
        (li) => li.getBoundingClientRect().bottom > top + 1,
      );
      return {
        seq: row?.getAttribute("data-seq") ?? "",
        offset: Math.round((row?.getBoundingClientRect().top ?? 0) - top),
      };
    });
  const place = await topRow();
  const offsetOf = (seq: string) =>
    log.evaluate((el, s) => {
      const row = el.querySelector(`article.msg[data-seq="${s}"]`);
      return row ? Math.round(row.getBoundingClientRect().top - el.getBoundingClientRect().top) : null;
    }, seq);
  releasePage();
  await expect(log.getByRole("status").filter({ hasText: "Loading older messages" })).toHaveCount(0);
  await expect(log.locator(`article.msg[data-seq="${place.seq}"]`)).toBeInViewport();
  // Rows of the new page rendered above the viewport (overscan) are measured after it arrived: the
  // row stays in place once they are, and stays there.
  await expect(log.locator("article.msg").first()).not.toHaveAttribute("data-seq", place.seq);
  await expect
    .poll(async () => Math.abs(((await offsetOf(place.seq)) ?? 1e9) - place.offset))
    .toBeLessThanOrEqual(2);
  await alicePage.waitForTimeout(1_000);
  expect(Math.abs(((await offsetOf(place.seq)) ?? 1e9) - place.offset)).toBeLessThanOrEqual(2);
  await expect(alicePage.getByRole("button", { name: "Jump to latest messages" })).toBeVisible();
  await alicePage.unroute(isHistory);

  const first = log.getByText("message 1", { exact: true });
  for (let i = 0; i < 80 && (await first.count()) === 0; i++) {
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    await alicePage.waitForTimeout(100);
  }
  await log.evaluate((el) => {
    el.scrollTop = 0;
  });
  await expect(first).toBeInViewport();
  await expect(log.getByText("This is the very beginning of the conversation.")).toBeVisible();
  const start = new Date();
  start.setDate(start.getDate() - 3);
  await expect(rowOf(alicePage, "message 1").getByRole("separator", { name: dayName(start) })).toBeVisible();
  expect(await log.locator("article.msg").count()).toBeLessThan(200);
  await alicePage.screenshot({ path: artifact("list-top.png") });
});

test("Jump to latest counts what arrived below and goes there", async () => {
  await send(bobPage, "bob live 1");
  await send(bobPage, "bob live 2");
  const jump = alicePage.getByRole("button", { name: "Jump to latest messages" });
  await expect(jump).toHaveText(/2 new messages/);
  // The reader is at the top: nothing moved.
  await expect(historyOf(alicePage).getByText("message 1", { exact: true })).toBeInViewport();
  await jump.click();
  await expect(historyOf(alicePage).getByText("bob live 2", { exact: true })).toBeInViewport();
  await expect(jump).toHaveCount(0);
  await expect.poll(() => readSeqOf(alicePage)).toBeGreaterThanOrEqual(seeded.at(-1)!.seq + 2);
});

test("a New messages divider marks what arrived while the reader was away", async () => {
  await openInApp(alicePage, "/app/settings");
  await send(bobPage, "bob unread 1");
  await send(bobPage, "bob unread 2");
  await send(bobPage, "bob unread 3");
  await openInApp(alicePage, channelUrl);
  const log = historyOf(alicePage);
  await expect(log.getByText("bob unread 3", { exact: true })).toBeInViewport({ timeout: FIRST_LOAD_MS });
  const divider = log.getByRole("separator", { name: "New messages" });
  await expect(divider).toHaveCount(1);
  await expect(
    rowOf(alicePage, "bob unread 1").getByRole("separator", { name: "New messages" }),
  ).toBeVisible();
  await alicePage.screenshot({ path: artifact("list-divider.png") });

  // A message arriving while the reader is here is not "new": the divider stays where it was.
  await send(bobPage, "bob while reading");
  await expect(log.getByText("bob while reading", { exact: true })).toBeInViewport();
  await expect(divider).toHaveCount(1);
  await expect(
    rowOf(alicePage, "bob unread 1").getByRole("separator", { name: "New messages" }),
  ).toBeVisible();
});

test("?m=<seq> opens at that message, pages newer on scroll, and Jump to latest returns", async () => {
  const target = seeded[FIRST_YESTERDAY]!;
  await watchHighlights(alicePage); // the highlight lasts 2.5 s: a busy machine can look later
  await alicePage.goto(`${channelUrl}?m=${target.seq}`);
  const log = historyOf(alicePage);
  const row = rowOf(alicePage, target.body);
  await expect(row).toBeInViewport({ timeout: FIRST_LOAD_MS });
  await expect.poll(() => wasHighlighted(alicePage, target.seq)).toBe(true);
  await expect(row.getByRole("separator", { name: "Yesterday" })).toBeVisible();
  expect(await log.locator("article.msg").count()).toBeLessThan(200);
  await expect(log.getByText("bob unread 3", { exact: true })).toHaveCount(0);
  await alicePage.screenshot({ path: artifact("list-jump.png") });

  // A reaction that makes a message above the viewport taller moves nothing on screen.
  const above = seeded[FIRST_YESTERDAY - 20]!;
  await expect(rowOf(alicePage, above.body)).toHaveCount(1); // rendered (overscan), not visible
  await expect(rowOf(alicePage, above.body)).not.toBeInViewport();
  // Let the window settle (it preloads a page above and below once in place): the row's position
  // must hold still for a moment, not merely a fixed time have passed (a busy box lays out later).
  await expect(log.getByRole("status")).toHaveCount(0);
  const settledY = async () => {
    let last = Number.NaN;
    for (let i = 0; i < 40; i++) {
      const y = (await row.boundingBox())!.y;
      if (Math.abs(y - last) < 0.5) return y;
      last = y;
      await alicePage.waitForTimeout(250);
    }
    throw new Error("the jumped-to row never held still");
  };
  const before = await settledY();
  await trpc(bobPage, "messages.react", { messageId: above.id, emoji: "🎉" }, "POST");
  await expect(rowOf(alicePage, above.body).getByRole("button", { name: "🎉 1" })).toHaveCount(1);
  expect(Math.abs((await settledY()) - before)).toBeLessThan(2);

  // Live messages wait below the window; the button counts them.
  await send(bobPage, "bob while away");
  const jump = alicePage.getByRole("button", { name: "Jump to latest messages" });
  await expect(jump).toHaveText(/1 new message/);
  await expect(log.getByText("bob while away", { exact: true })).toHaveCount(0);

  // The window held 25 messages after the target; scrolling down shows newer ones, paged in below.
  const newestRendered = () =>
    log.evaluate((el) =>
      Math.max(...[...el.querySelectorAll("article.msg")].map((li) => Number(li.getAttribute("data-seq")))),
    );
  await log.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await expect.poll(newestRendered).toBeGreaterThan(seeded[FIRST_YESTERDAY + 100]!.seq);
  await expect(jump).toHaveText(/1 new message/); // still a window in the past
  await expect(log.getByText("bob while away", { exact: true })).toHaveCount(0);

  await jump.click();
  await expect(log.getByText("bob while away", { exact: true })).toBeInViewport();
  await expect(alicePage).toHaveURL(new RegExp(`/c/${conversationId}$`));
  await expect(jump).toHaveCount(0);
  // Back at the newest, live messages append again.
  await send(bobPage, "bob after return");
  await expect(log.getByText("bob after return", { exact: true })).toBeInViewport();
});
