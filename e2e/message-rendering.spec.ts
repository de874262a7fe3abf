import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { startPreviewServer, type TPreviewServer } from "../packages/core/test/link-preview-server.ts";
import { firstUser, historyOf, newUser, sharedChannel, signUp, trpc, watchCsp } from "./fixtures";

// Message rendering: a fenced block with a language is highlighted (shiki, loaded on demand) under
// the strict CSP with no violation, a long line scrolls inside its block without widening the
// list, long blocks collapse, GFM task lists show read-only checkboxes; a URL gets a link preview
// fetched by the server from a local page (the server allows 127.0.0.1 in e2e, see
// playwright.config.ts) with the page's image served from Parley's own origin (the browser never
// asks the page's server; a signed-out request is refused), the sender removes it (image too) and
// the other member sees it go; the same page asked for as "localhost" is refused by the SSRF guard
// and never requested.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const ada = newUser(`Ada Render ${run}`, run);
const bob = newUser(`Bob Render ${run}`, run);
const channel = `render-${run}`;

let adaPage: Page;
let bobPage: Page;
let violations: string[] = [];
let site: TPreviewServer;
let conversationId = "";

test.beforeAll(async () => {
  site = await startPreviewServer();
});
test.afterAll(async () => {
  await site.close();
});

const rowOf = (page: Page, text: string) =>
  historyOf(page).locator("article.msg:not(.pending)", { hasText: text });

async function post(page: Page, text: string) {
  const composer = page.getByLabel(`Message # ${channel}`);
  await composer.fill(text);
  await composer.press("Enter");
}

function sql(query: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (run through scripts/with-test-db.mjs)");
  return execFileSync("psql", [url, "-tAc", query], { encoding: "utf8" }).trim();
}

test("setup: two members of a channel", async ({ browser }) => {
  // Two sign-ups (argon2) and a join: over a minute when the box runs other suites too.
  test.setTimeout(150_000);
  const first = await firstUser(browser, ada);
  adaPage = first.page;
  violations = await watchCsp(adaPage);
  bobPage = (await signUp(browser, bob)).page;
  ({ conversationId } = await sharedChannel(adaPage, [bobPage], channel));
});

test("highlights code under the CSP, keeps long lines inside the block, collapses long blocks, shows task lists", async () => {
  const longLine = `const line = "${"x".repeat(600)}";`;
  const body = [
    `code ${run}`,
    "```ts",
    "const answer: number = 42;",
    longLine,
    "```",
    "",
    "- [x] shipped",
    "- [ ] reviewed",
  ].join("\n");
  await post(adaPage, body);
  const row = rowOf(adaPage, `code ${run}`);
  const block = row.locator('.code-block[data-language="typescript"]');
  await expect(block).toHaveAttribute("data-highlighted", "true");
  // Tokens are coloured through the CSS variables shiki put in style attributes.
  const keyword = block.locator("pre.shiki .line span", { hasText: /^const$/ }).first();
  await expect(keyword).toHaveAttribute("style", /--shiki-light:/);
  const color = await keyword.evaluate((el) => getComputedStyle(el).color);
  const plain = await row.locator(".md").evaluate((el) => getComputedStyle(el).color);
  expect(color).not.toBe(plain);
  // The long line scrolls inside the block; the list itself does not scroll sideways.
  const pre = block.locator("pre");
  expect(await pre.evaluate((el) => el.scrollWidth > el.clientWidth + 100)).toBe(true);
  const scroller = historyOf(adaPage);
  expect(await scroller.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);

  await expect(row.getByRole("checkbox", { name: "Done", exact: true })).toBeChecked();
  await expect(row.getByRole("checkbox", { name: "Done", exact: true })).toBeDisabled();
  await expect(row.getByRole("checkbox", { name: "Not done" })).not.toBeChecked();
  // Bob sees the same, live.
  await expect(rowOf(bobPage, `code ${run}`).locator('.code-block[data-highlighted="true"]')).toBeVisible();
  await expect(rowOf(bobPage, `code ${run}`).getByRole("checkbox")).toHaveCount(2);

  // A long block starts collapsed; "Show more" opens it.
  const lines = Array.from({ length: 40 }, (_, i) => `print(${i})`).join("\n");
  await post(adaPage, `long ${run}\n\`\`\`python\n${lines}\n\`\`\``);
  const long = rowOf(adaPage, `long ${run}`).locator(".code-block");
  await expect(long).toHaveClass(/is-collapsed/);
  const collapsed = await long.locator("pre").evaluate((el) => el.clientHeight);
  await long.getByRole("button", { name: "Show more (40 lines)" }).click();
  await expect(long).not.toHaveClass(/is-collapsed/);
  expect(await long.locator("pre").evaluate((el) => el.clientHeight)).toBeGreaterThan(collapsed * 2);

  expect(violations).toEqual([]);
});

test("previews a link from a local page, refuses the same page as localhost, and the sender removes the preview", async () => {
  const refused = `http://localhost:${new URL(site.origin).port}/ssrf-${run}`;
  // No browser request may reach the page's server (its image comes through Parley).
  const thirdParty: string[] = [];
  for (const page of [adaPage, bobPage]) {
    page.on("request", (r) => {
      if (r.url().startsWith(site.origin)) thirdParty.push(r.url());
    });
  }
  const coverFetches = site.hits.get("/cover.png") ?? 0;
  await post(adaPage, `internal ${run} ${refused}`);
  await post(adaPage, `notes ${run} ${site.origin}/page?${run}`);
  for (const page of [adaPage, bobPage]) {
    const card = rowOf(page, `notes ${run}`).getByRole("complementary", { name: "Link preview" });
    await expect(card.getByRole("link", { name: "Parley release notes" })).toHaveAttribute(
      "href",
      `${site.origin}/page?${run}`,
    );
    await expect(card).toContainText("Everything new in this release.");
    await expect(card).toContainText("Parley blog");
    // The page's og:image, re-encoded by the server (1200×630 → 480×252), from our own route.
    const image = card.locator("img.link-preview-image");
    await expect(image).toHaveAttribute("src", /^\/api\/previews\/[0-9a-f-]+\/image$/);
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(480);
    expect(await image.evaluate((img: HTMLImageElement) => new URL(img.currentSrc).origin)).toBe(
      new URL(page.url()).origin,
    );
  }
  // The server fetched the image once; the browsers never asked the page's server for anything.
  expect(site.hits.get("/cover.png")).toBe(coverFetches + 1);
  expect(thirdParty).toEqual([]);
  const imageSrc = await rowOf(adaPage, `notes ${run}`).locator("img.link-preview-image").getAttribute("src");
  const imageUrl = new URL(imageSrc ?? "", adaPage.url()).toString();
  expect((await bobPage.request.get(imageUrl)).headers()["content-type"]).toBe("image/webp");
  // Signed out: refused (the route checks who asks, every time).
  expect((await fetch(imageUrl, { redirect: "manual" })).status).toBe(401);
  // The refused URL was judged (a cached failure) without one request reaching the server.
  await expect
    .poll(() => sql(`SELECT count(*) FROM "LinkPreview" WHERE url = '${refused}' AND NOT "isOk"`))
    .toBe("1");
  expect(site.hits.get(`/ssrf-${run}`) ?? 0).toBe(0);
  await expect(rowOf(adaPage, `internal ${run}`).locator(".link-preview")).toHaveCount(0);

  // Only the sender is offered the removal; Bob sees the preview go.
  await expect(rowOf(bobPage, `notes ${run}`).getByRole("button", { name: "Remove preview" })).toHaveCount(0);
  await rowOf(adaPage, `notes ${run}`).getByRole("button", { name: "Remove preview" }).click();
  await expect(rowOf(bobPage, `notes ${run}`).locator(".link-preview")).toHaveCount(0);
  await expect(rowOf(adaPage, `notes ${run}`).locator(".link-preview")).toHaveCount(0);
  // Its image went with it.
  expect((await bobPage.request.get(imageUrl, { maxRedirects: 0 })).status()).toBe(404);
  // A fresh fetch agrees (history has no preview now).
  const page = await trpc<{ messages: { body: string; linkPreview: unknown }[] }>(
    bobPage,
    "messages.history",
    { conversationId },
    "GET",
  );
  const notes = page.messages.find((m) => m.body.startsWith(`notes ${run}`));
  expect(notes).toBeDefined();
  expect(notes?.linkPreview).toBeNull();
  expect(violations).toEqual([]);
});
