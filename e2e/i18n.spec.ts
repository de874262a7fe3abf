import { randomUUID } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { firstUser, historyOf, newUser, trpc } from "./fixtures";

// The second language (issue 16): a user switches to Arabic in Settings → Language; the page is
// then Arabic and right to left (<html lang="ar" dir="rtl">, the sidebar on the right), message
// times are formatted for Arabic in the user's profile time zone, a server refusal is Arabic (the
// server-error catalog), axe finds nothing serious; and
// back to English.
// A signed-out visitor gets the language of their browser's Accept-Language.
test.describe.configure({ mode: "serial", timeout: 90_000 });

const run = randomUUID().slice(0, 8);
const amal = newUser("Amal Lingo", run);
const channel = `lugha-${run}`;
const ZONE = "Asia/Riyadh";

let page: Page;
let channelUrl = "";
let sentAt = "";

/** The sidebar (whatever its accessible name in the current language) and the main column. */
async function sidebarAndMainBoxes(p: Page) {
  const sidebar = await p.locator("nav#workspace-nav").boundingBox();
  const main = await p.locator("main#main").boundingBox();
  if (!sidebar || !main) throw new Error("sidebar or main not laid out");
  return { sidebar, main };
}

/** Settings → Language: picks `locale` and saves (the page reloads in the new language). */
async function saveLanguage(p: Page, label: string, button: string, locale: string) {
  await p.goto("/app/settings");
  await p.getByRole("combobox", { name: label, exact: true }).selectOption(locale);
  await p.getByRole("button", { name: button, exact: true }).click();
  await expect(p.locator("html")).toHaveAttribute("lang", locale, { timeout: 15_000 });
  await expect(p.locator("nav#workspace-nav")).toBeVisible();
}

test("a user with a channel, a message and a time zone (setup)", async ({ browser }) => {
  page = (await firstUser(browser, amal)).page;
  await trpc(page, "profile.update", { timeZone: ZONE });
  const { id } = await trpc<{ id: string }>(page, "conversations.create", { name: channel });
  channelUrl = `/app/c/${id}`;
  const sent = await trpc<{ message: { createdAt: string } }>(page, "messages.send", {
    conversationId: id,
    clientMsgId: randomUUID(),
    body: "مرحبا hello",
  });
  sentAt = sent.message.createdAt;
  // English by default (Chromium asks for en-US): the existing specs select English text.
  await page.goto(channelUrl);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.locator("html")).toHaveAttribute("dir", "ltr");
});

test("switching to Arabic: Arabic strings, right to left, the sidebar on the right", async () => {
  await saveLanguage(page, "Language", "Save language", "ar");
  await expect(page.locator("html[dir=rtl][lang=ar]")).toHaveCount(1);
  await expect(page.getByRole("navigation", { name: "مساحة العمل" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "اللغة" })).toBeVisible();
  await expect(page.getByRole("link", { name: "الإعدادات", exact: true })).toBeVisible();
  await page.goto(channelUrl);
  const { sidebar, main } = await sidebarAndMainBoxes(page);
  const width = page.viewportSize()?.width ?? 0;
  expect(sidebar.x).toBeGreaterThanOrEqual(main.x + main.width - 1);
  expect(sidebar.x + sidebar.width).toBeGreaterThan(width - 2);
  // A refusal from the server (core's CONFLICT) reads in Arabic too, its channel name filled in.
  await page.goto("/app/new-channel");
  await page.getByRole("textbox", { name: "اسم القناة" }).fill(channel);
  await page.getByRole("button", { name: "إنشاء القناة" }).click();
  await expect(page.locator("p.error[role=alert]")).toHaveText(`توجد قناة باسم #${channel} بالفعل`);
});

test("message times and day separators are Arabic, in the profile's time zone", async () => {
  await page.goto(channelUrl);
  const history = page.getByRole("log", { name: "سجل الرسائل" });
  const row = history.locator("article.msg", { hasText: "مرحبا hello" });
  await expect(row).toBeVisible();
  // Formatted by the browser's own ICU, as the page does.
  const expected = await page.evaluate(
    ([at, zone]) =>
      new Intl.DateTimeFormat("ar", { hour: "2-digit", minute: "2-digit", timeZone: zone }).format(
        new Date(at),
      ),
    [sentAt, ZONE] as const,
  );
  await expect(row.locator(".meta time")).toHaveText(expected);
  // Arabic's own day-period word (م/ص) and digits as Chromium's CLDR data has them for "ar".
  expect(expected).toMatch(/[\u0600-\u06ff]/);
  expect(expected).not.toBe(
    await page.evaluate(
      ([at, zone]) =>
        new Intl.DateTimeFormat("en", { hour: "2-digit", minute: "2-digit", timeZone: zone }).format(
          new Date(at),
        ),
      [sentAt, ZONE] as const,
    ),
  );
  await expect(history.getByRole("separator", { name: "اليوم" })).toBeVisible();
  await expect(page.getByRole("button", { name: "البحث في الرسائل" })).toBeVisible();
});

test("axe finds no serious or critical violation in Arabic", async () => {
  for (const url of [channelUrl, "/app/settings"]) {
    await page.goto(url);
    await expect(page.locator("html[lang=ar]")).toHaveCount(1);
    await expect(page.locator("nav#workspace-nav")).toBeVisible();
    const { violations } = await new AxeBuilder({ page })
      .options({ resultTypes: ["violations"] })
      .setLegacyMode()
      .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
      .analyze();
    const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(
      serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
      url,
    ).toEqual([]);
  }
});

test("switching back to English", async () => {
  await saveLanguage(page, "اللغة", "حفظ اللغة", "en");
  await expect(page.locator("html")).toHaveAttribute("dir", "ltr");
  await page.goto(channelUrl);
  await expect(historyOf(page).getByRole("separator", { name: "Today" })).toBeVisible();
  const { sidebar, main } = await sidebarAndMainBoxes(page);
  expect(sidebar.x + sidebar.width).toBeLessThanOrEqual(main.x + 1);
});

test("a signed-out visitor gets their browser's language", async ({ browser }) => {
  const context = await browser.newContext({ locale: "ar-EG" });
  const visitor = await context.newPage();
  await visitor.goto("/sign-in");
  await expect(visitor.locator("html[lang=ar][dir=rtl]")).toHaveCount(1);
  await context.close();
});
