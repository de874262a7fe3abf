/**
 * Issue 13's scale-out topology as plain processes (e2e/topology.ts): Debian's nginx with the
 * shipped docker/nginx/ config in front of the built web server (REALTIME_EMBEDDED=false) and two
 * apps/realtime gateways, on Redis, a database of their own and the S3 server. Two browsers use only
 * the proxy's address: the first runs the first-run setup there, the second signs up there; their
 * sockets land on different gateways (each gateway's /healthz count and its `socket open` lines say
 * whose socket it holds), and they talk live — socket sends from either side, a tRPC send from the
 * web process — and share a file (bytes PUT to S3 presigned, served through the proxy's /api/files).
 * What the proxy does to headers and bodies is proxy-topology.integration.test.ts's (stand-ins).
 * Without nginx, S3 or Redis the file is skipped with a banner (an error on CI).
 */
import { randomUUID } from "node:crypto";
import { type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";
import { historyOf, newUser, sharedChannel, type TUser, trpc } from "./fixtures";
import {
  missingForTopology,
  openSocketUsers,
  startTopology,
  type TTopology,
  upgradeWithoutTicket,
} from "./topology";

const missing = missingForTopology();
if (missing) {
  const line = "!".repeat(78);
  const banner = `${line}\n!! SKIPPED: e2e/proxy-topology.spec.ts (nginx + web + two gateways): ${missing}\n${line}`;
  if (process.env.CI === "true") throw new Error(`${banner}\nCI runs every test.`);
  console.warn(banner);
}

test.describe.configure({ mode: "serial" });
test.skip(missing !== null, missing ?? "");

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Edge", run);
const bob = newUser("Bob Edge", run);
const channel = `edge-${run}`;

let topology: TTopology | undefined;
let alicePage: Page;
let bobPage: Page;
let bobContext: BrowserContext;
let conversationId = "";

/** Each gateway's open socket count, from its own /healthz (not through the proxy). */
async function connectionCounts(t: TTopology): Promise<number[]> {
  return Promise.all(
    t.gateways.map(async (g) => {
      const res = await fetch(`http://127.0.0.1:${g.port}/healthz`);
      return ((await res.json()) as { connections: number }).connections;
    }),
  );
}

/**
 * The first run's setup page through the proxy (this topology's database is fresh): the workspace
 * and its owner, signed in on /app; then open sign-up, over tRPC (Settings' own call; the page is
 * joining.spec's subject).
 */
async function setUpWorkspace(browser: Browser, origin: string, owner: TUser): Promise<Page> {
  const page = await (await browser.newContext({ baseURL: origin })).newPage();
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel("Workspace name").fill("Parley behind nginx");
  await page.getByLabel("Your name").fill(owner.name);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Create workspace" }).click();
  // Hashing the password, signing in and a fresh server's first /app: room on a busy box.
  await expect(page).toHaveURL(/\/app$/, { timeout: 30_000 });
  await trpc(page, "workspace.setSignupPolicy", { mode: "open", domains: [] });
  return page;
}

/** Signs `user` up and in through the proxy with the calls the sign-up page makes; no page yet. */
async function signUpThrough(browser: Browser, origin: string, user: TUser): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: origin });
  const created = await context.request.post("/api/trpc/auth.signUp", {
    data: { json: { name: user.name, email: user.email, password: user.password } },
  });
  expect(created.status(), await created.text()).toBe(200);
  const { csrfToken } = (await (await context.request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const signedIn = await context.request.post("/api/auth/callback/credentials", {
    form: { email: user.email, password: user.password, csrfToken, json: "true" },
  });
  expect(signedIn.status(), await signedIn.text()).toBe(200);
  return context;
}

test.beforeAll(async () => {
  // Four processes and a Next start on a 2-core box that may be busy: room, but bounded.
  test.setTimeout(120_000);
  topology = await startTopology(100_000);
  console.log(`proxy topology ready (ms since start): ${JSON.stringify(topology.timings)}`);
});

test.afterAll(async () => {
  const started = Date.now();
  await topology?.stop();
  console.log(`proxy topology stopped and removed in ${Date.now() - started} ms`);
});

// A failed step shows what the servers said (a CI log has no trace viewer for them).
test.afterEach(() => {
  const info = test.info();
  if (info.status !== info.expectedStatus && topology) {
    console.log([topology.web, ...topology.gateways.map((g) => g.proc)].map((p) => p.tail()).join("\n"));
  }
});

test("the web app answers through the proxy, and /ws reaches the gateways", async ({ request }) => {
  const t = topology!;
  const ready = await request.get(`${t.origin}/readyz`);
  expect(ready.status(), await ready.text()).toBe(200);
  const report = (await ready.json()) as { checks: Record<string, unknown> };
  // The web process's readiness (Postgres, Redis and its storage, the S3 server, all answer).
  expect(Object.keys(report.checks).sort()).toEqual(["postgres", "redis", "storage"]);
  // An upgrade without a ticket is refused by a gateway's authentication (its Bearer challenge),
  // not by Next, which has no gateway here.
  const refused = await upgradeWithoutTicket(`${t.origin}/ws`);
  expect(refused).toEqual({ status: 401, challenge: 'Bearer realm="parley"' });
});

test("two users through the proxy land on different gateways", async ({ browser }) => {
  test.setTimeout(90_000);
  const t = topology!;
  // The first run's setup, then the channel, all through the proxy.
  alicePage = await setUpWorkspace(browser, t.origin, alice);
  const shared = await sharedChannel(alicePage, [], channel);
  conversationId = shared.conversationId;
  // Alice's one socket is up before Bob's opens, so least_conn sends Bob's to the other gateway.
  await expect
    .poll(async () => (await connectionCounts(t)).reduce((a, b) => a + b), { timeout: 15_000 })
    .toBe(1);

  // Bob's first page is the channel: one socket, opened once.
  bobContext = await signUpThrough(browser, t.origin, bob);
  bobPage = await bobContext.newPage();
  await bobPage.goto(shared.url);
  await bobPage.getByRole("button", { name: "Join channel" }).click();
  await expect(bobPage.getByLabel(`Message # ${channel}`)).toBeVisible();
  // Bob's join (a tRPC call to web) reaches Alice's socket on her gateway, through Redis.
  await expect(alicePage.getByText("2 members")).toBeVisible();

  await expect.poll(() => connectionCounts(t), { timeout: 15_000 }).toEqual([1, 1]);
  const ids = await Promise.all(
    [alicePage, bobPage].map(
      async (page) => (await trpc<{ id: string }>(page, "users.me", undefined, "GET")).id,
    ),
  );
  const holders = t.gateways.map((g) => openSocketUsers(g.proc));
  expect(holders.flat().sort()).toEqual([...ids].sort());
  expect(holders.map((users) => users.length)).toEqual([1, 1]);
});

test("they talk live across the two gateways", async () => {
  const composerOf = (page: Page) => page.getByLabel(`Message # ${channel}`);
  await composerOf(alicePage).fill(`Hello Bob, from Alice's gateway ${run}`);
  await composerOf(alicePage).press("Enter");
  await expect(historyOf(bobPage).getByText(`Hello Bob, from Alice's gateway ${run}`)).toBeVisible();

  await composerOf(bobPage).fill(`Hello Alice, from Bob's gateway ${run}`);
  await composerOf(bobPage).press("Enter");
  await expect(historyOf(alicePage).getByText(`Hello Alice, from Bob's gateway ${run}`)).toBeVisible();

  // A send over HTTP commits in the web process: Redis carries it to both gateways.
  await trpc(alicePage, "messages.send", {
    conversationId,
    clientMsgId: randomUUID(),
    body: `Via web ${run}`,
  });
  for (const page of [alicePage, bobPage])
    await expect(historyOf(page).getByText(`Via web ${run}`)).toHaveCount(1);
});

test("a file one uploads reaches the other, stored on the S3 server", async () => {
  const t = topology!;
  const s3 = `http://${process.env.S3_ENDPOINT}:${process.env.S3_PORT ?? 80}/`;
  const onS3 = (url: string | undefined) => url?.startsWith(s3) ?? false;
  const puts: { url: string; status: number }[] = [];
  alicePage.on("requestfinished", async (request) => {
    if (request.method() !== "PUT") return;
    puts.push({ url: request.url(), status: (await request.response())?.status() ?? 0 });
  });
  const bytes = Buffer.from(`notes from behind the proxy ${run}\n`);
  await alicePage
    .getByTestId("file-input")
    .setInputFiles({ name: "edge-notes.txt", mimeType: "text/plain", buffer: bytes });
  const tray = alicePage.getByRole("list", { name: "Files to send" });
  await expect(tray.locator('[data-status="ready"]')).toHaveCount(1, { timeout: 15_000 });
  await alicePage.getByLabel(`Message # ${channel}`).fill(`The notes ${run}`);
  await alicePage.getByLabel(`Message # ${channel}`).press("Enter");
  // The bytes went straight to the S3 server (a presigned PUT), not to the proxy.
  await expect.poll(() => puts.map((put) => [onS3(put.url), put.status])).toEqual([[true, 200]]);

  const message = historyOf(bobPage).locator("article.msg", { hasText: `The notes ${run}` });
  const link = message.getByRole("link", { name: "Download edge-notes.txt" });
  await expect(link).toBeVisible();
  const href = (await link.getAttribute("href")) ?? "";
  expect(href).toMatch(/^\/api\/files\/[0-9a-f-]{36}$/);
  // Through the proxy, the web app checks Bob's access and sends him on to a presigned S3 URL.
  const redirect = await bobPage.request.get(href, { maxRedirects: 0 });
  expect(redirect.status()).toBeGreaterThanOrEqual(300);
  expect(redirect.status()).toBeLessThan(400);
  expect(new URL(redirect.url()).origin).toBe(t.origin);
  expect(onS3(redirect.headers().location), redirect.headers().location).toBe(true);
  const download = await bobPage.request.get(href);
  expect(Buffer.from(await download.body()).equals(bytes)).toBe(true);
});
