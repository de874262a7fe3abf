import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { type Browser, expect, type Page, test } from "@playwright/test";

// One serial story over a fresh database: first run, a channel, a second user, both see the same history.
test.describe.configure({ mode: "serial" });

const owner = { name: "Olivia Owner", email: "olivia@example.com", password: "correct-horse-battery" };
const member = { name: "Bob Member", email: "bob@example.com", password: "another-good-password" };

let ownerPage: Page;
let memberPage: Page;
let inviteLink = "";
let channelUrl = "";

/** Screenshots kept for humans to look at (gitignored). */
function artifact(name: string) {
  return join(import.meta.dirname, "artifacts", name);
}

function sidebarOf(page: Page) {
  return page.getByRole("navigation", { name: "Workspace" });
}

async function newPage(browser: Browser) {
  const context = await browser.newContext();
  return context.newPage();
}

test("first-run setup creates the workspace and signs the owner in", async ({ browser }) => {
  ownerPage = await newPage(browser);
  await ownerPage.goto("/");
  await expect(ownerPage).toHaveURL(/\/setup$/);
  await ownerPage.getByLabel("Workspace name").fill("Acme");
  await ownerPage.getByLabel("Your name").fill(owner.name);
  await ownerPage.getByLabel("Email").fill(owner.email);
  await ownerPage.getByLabel("Password").fill(owner.password);
  await ownerPage.screenshot({ path: artifact("setup.png") });
  await ownerPage.getByRole("button", { name: "Create workspace" }).click();
  await expect(ownerPage).toHaveURL(/\/app$/);
  await expect(sidebarOf(ownerPage).getByText("Acme")).toBeVisible();
  // Nobody starts in an empty sidebar: #general (everyone, for good) and #random.
  const channels = sidebarOf(ownerPage);
  await expect(channels.getByRole("link", { name: /^general/ })).toBeVisible();
  await expect(channels.getByRole("link", { name: /^random/ })).toBeVisible();
  await channels.getByRole("link", { name: /^general/ }).click();
  await ownerPage.getByRole("link", { name: "Channel details" }).click();
  await expect(ownerPage.getByText("#general cannot be left or archived.")).toBeVisible();
  await expect(ownerPage.getByRole("button", { name: "Leave channel" })).toHaveCount(0);
  await expect(ownerPage.getByRole("button", { name: "Archive channel" })).toHaveCount(0);
});

test("the owner creates a channel, posts, and the message survives a reload", async () => {
  const page = ownerPage;
  await sidebarOf(page).getByRole("link", { name: "Create channel" }).click();
  // (The page before may have its own "Channel name" field: #general's details has one.)
  await expect(page.getByRole("heading", { level: 1, name: "Create a channel" })).toBeVisible();
  await page.getByLabel("Channel name").fill("launch");
  await page.getByLabel("Topic (optional)").fill("Company-wide announcements");
  await page.getByRole("button", { name: "Create channel" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "# launch" })).toBeVisible();
  channelUrl = page.url();

  const composer = page.getByLabel("Message # launch");
  await composer.fill("Hello from the owner");
  await composer.press("Enter");
  const log = page.getByRole("log", { name: "Message history" });
  await expect(log.getByText("Hello from the owner")).toBeVisible();
  await expect(log.getByText("Sending…")).toHaveCount(0);

  // Shift+Enter is a newline, not a send.
  await composer.fill("line one");
  await composer.press("Shift+Enter");
  await composer.pressSequentially("line two");
  await expect(composer).toHaveValue("line one\nline two");
  await composer.press("Enter");
  await expect(log.getByText(/line one\s+line two/)).toBeVisible();

  await page.reload();
  await expect(
    page.getByRole("log", { name: "Message history" }).getByText("Hello from the owner"),
  ).toBeVisible();
});

test("a send whose ack is lost is resent with the same clientMsgId and shown once", async () => {
  const page = ownerPage;
  // Sends go over the realtime socket. The server stores the message, but its ack is lost with
  // the socket; the client resends the same clientMsgId after reconnecting and the server dedups.
  const sentIds: string[] = [];
  let isAckDropped = false;
  await page.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      const frame = JSON.parse(String(message)) as { type: string; clientMsgId?: string };
      if (frame.type === "send" && frame.clientMsgId) sentIds.push(frame.clientMsgId);
      server.send(message);
    });
    server.onMessage((message) => {
      const frame = JSON.parse(String(message)) as { type: string; clientMsgId?: string };
      if (frame.type === "ack" && frame.clientMsgId && !isAckDropped) {
        isAckDropped = true;
        void ws.close({ code: 4000, reason: "test: connection lost before the ack" });
        return;
      }
      ws.send(message);
    });
  });
  await page.reload(); // the route applies to sockets opened from now on
  const composer = page.getByLabel("Message # launch");
  await composer.fill("Delivered exactly once");
  await composer.press("Enter");
  const log = page.getByRole("log", { name: "Message history" });
  await expect(log.getByText("Delivered exactly once")).toHaveCount(1);
  await expect.poll(() => sentIds.length).toBeGreaterThanOrEqual(2);
  expect(new Set(sentIds).size).toBe(1);
  await expect(log.getByText("Sending…")).toHaveCount(0);
  await expect(log.getByText("Delivered exactly once")).toHaveCount(1);
  await page.unrouteAll();
  await page.reload();
  await expect(
    page.getByRole("log", { name: "Message history" }).getByText("Delivered exactly once"),
  ).toHaveCount(1);
});

test("a refused send shows Not sent, and Retry sends the same clientMsgId once", async () => {
  const page = ownerPage;
  const sentIds: string[] = [];
  let isRefused = false;
  await page.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      const frame = JSON.parse(String(message)) as { type: string; id?: string; clientMsgId?: string };
      if (frame.type === "send" && frame.clientMsgId) {
        sentIds.push(frame.clientMsgId);
        if (!isRefused) {
          isRefused = true;
          ws.send(
            JSON.stringify({ type: "error", id: frame.id, code: "CONFLICT", message: "Refused by the test" }),
          );
          return;
        }
      }
      server.send(message);
    });
  });
  await page.reload();
  const composer = page.getByLabel("Message # launch");
  await composer.fill("Sent on the second try");
  await composer.press("Enter");
  const log = page.getByRole("log", { name: "Message history" });
  await expect(log.getByText(/Not sent: Refused by the test/)).toBeVisible();
  await log.getByRole("button", { name: "Retry" }).click();
  await expect(log.getByText(/Not sent/)).toHaveCount(0);
  await expect(log.getByText("Sent on the second try")).toHaveCount(1);
  expect(sentIds).toHaveLength(2);
  expect(sentIds[0]).toBe(sentIds[1]);
  await page.unrouteAll();
  await page.reload();
  await expect(
    page.getByRole("log", { name: "Message history" }).getByText("Sent on the second try"),
  ).toHaveCount(1);
});

test("the owner creates an invite link", async () => {
  const page = ownerPage;
  await sidebarOf(page).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Create invite link" }).click();
  const input = page.getByLabel("Invite link");
  await expect(input).toHaveValue(/\/sign-up\?invite=/);
  inviteLink = await input.inputValue();
});

test("a second user signs up with the invite, joins the channel and sees its history", async ({
  browser,
}) => {
  memberPage = await newPage(browser);
  const page = memberPage;
  await page.goto(inviteLink);
  await page.getByLabel("Your name").fill(member.name);
  await page.getByLabel("Email").fill(member.email);
  await page.getByLabel("Password").fill(member.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/app$/);
  // Signing up joined the default channels.
  await expect(sidebarOf(page).getByRole("link", { name: /^general/ })).toBeVisible();
  await expect(sidebarOf(page).getByRole("link", { name: /^random/ })).toBeVisible();

  await sidebarOf(page).getByRole("link", { name: "Browse channels" }).click();
  await page.getByRole("button", { name: "Join launch" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "# launch" })).toBeVisible();
  expect(page.url()).toBe(channelUrl);
  const log = page.getByRole("log", { name: "Message history" });
  await expect(log.getByText("Hello from the owner")).toBeVisible();
  await expect(log.getByText("Delivered exactly once")).toHaveCount(1);

  await page.getByLabel("Message # launch").fill("Hi all, Bob here");
  await page.getByLabel("Message # launch").press("Enter");
  await expect(log.getByText("Hi all, Bob here")).toBeVisible();
});

test("the owner sees the new member's message", async () => {
  const page = ownerPage;
  await page.goto(channelUrl);
  const log = page.getByRole("log", { name: "Message history" });
  await expect(log.getByText("Hi all, Bob here")).toBeVisible();
  await expect(log.getByText(member.name)).toBeVisible();
  await page.screenshot({ path: artifact("main.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: artifact("main-dark.png") });
  await page.emulateMedia({ colorScheme: null });

  await page.getByRole("link", { name: "Channel details" }).click();
  const members = page.getByRole("list", { name: "Members" });
  await expect(members.getByRole("listitem")).toHaveCount(2);
  await expect(members.getByText(member.name)).toBeVisible();
  await page.getByLabel("Topic", { exact: true }).fill("Everything Acme");
  await page.getByRole("button", { name: "Save topic" }).click();
  await page.getByRole("link", { name: /Back to # launch/ }).click();
  await expect(page.getByText("Everything Acme")).toBeVisible();
});

test("unread counts show in the sidebar and clear when read", async () => {
  // The owner posts while Bob looks at settings; Bob's sidebar shows the channel as unread.
  await sidebarOf(memberPage).getByRole("link", { name: "Settings" }).click();
  await expect(memberPage.getByRole("heading", { name: "Settings" })).toBeVisible();
  await ownerPage.getByLabel("Message # launch").fill("Anyone around?");
  await ownerPage.getByLabel("Message # launch").press("Enter");
  const sidebar = sidebarOf(memberPage);
  await expect(sidebar.getByRole("status", { name: "1 unread" })).toBeVisible();
  await sidebar.getByRole("link", { name: /launch/ }).click();
  await expect(
    memberPage.getByRole("log", { name: "Message history" }).getByText("Anyone around?"),
  ).toBeVisible();
  await expect(sidebar.getByRole("status", { name: /unread/ })).toHaveCount(0);
});

test("the owner opens a direct message with the member, who sees it under Direct messages", async () => {
  await sidebarOf(ownerPage).getByRole("link", { name: "New message" }).click();
  await ownerPage.getByRole("checkbox", { name: new RegExp(member.name) }).check();
  await ownerPage.getByRole("button", { name: "Start conversation" }).click();
  await expect(ownerPage.getByRole("heading", { level: 1, name: member.name })).toBeVisible();
  const composer = ownerPage.getByLabel(`Message ${member.name}`);
  await composer.fill("Welcome aboard, Bob");
  await composer.press("Enter");
  await expect(
    ownerPage.getByRole("log", { name: "Message history" }).getByText("Welcome aboard, Bob"),
  ).toBeVisible();

  const dms = memberPage.getByRole("list", { name: "Direct messages" });
  await dms.getByRole("link", { name: new RegExp(owner.name) }).click();
  await expect(
    memberPage.getByRole("log", { name: "Message history" }).getByText("Welcome aboard, Bob"),
  ).toBeVisible();
});

test("a personal access token works as a Bearer token, and an archived channel is read-only", async ({
  request,
}) => {
  const page = ownerPage;
  await sidebarOf(page).getByRole("link", { name: "Create channel" }).click();
  await page.getByLabel("Channel name").fill("old-projects");
  await page.getByRole("button", { name: "Create channel" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "# old-projects" })).toBeVisible();
  const conversationId = page.url().split("/").at(-1)!;

  await sidebarOf(page).getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Token name").fill("ci-bot");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = await page.getByLabel("New token").inputValue();
  expect(token).toMatch(/^plt_/);
  await expect(page.getByRole("list", { name: "Tokens" }).getByText("ci-bot")).toBeVisible();
  await page.setViewportSize({ width: 1280, height: 1800 });
  await page.screenshot({ path: artifact("settings.png") });
  await page.setViewportSize({ width: 1280, height: 720 });

  const auth = { Authorization: `Bearer ${token}` };
  const me = await request.get("/api/trpc/users.me", { headers: auth });
  expect(me.ok()).toBe(true);
  expect((await me.json()).result.data.json.email).toBe(owner.email);
  expect(
    (await request.get("/api/trpc/users.me", { headers: { Authorization: "Bearer plt_wrong" } })).status(),
  ).toBe(401);
  // 60 messages through the API: the view shows the newest page and pages back by seq.
  for (let i = 1; i <= 60; i++) {
    const sent = await request.post("/api/trpc/messages.send", {
      headers: auth,
      data: { json: { conversationId, clientMsgId: randomUUID(), body: `Bulk message ${i}` } },
    });
    expect(sent.ok()).toBe(true);
  }
  await page.goto(`/app/c/${conversationId}`);
  const log = page.getByRole("log", { name: "Message history" });
  await expect(log.getByText("Bulk message 60", { exact: true })).toBeVisible();
  await expect(log.getByText("Bulk message 1", { exact: true })).toHaveCount(0);
  // The top of the list offers "Load older messages"; scrolling it into view may already load the
  // older page by itself (the list pages back when its top is reached), so the click is optional.
  await log
    .getByRole("button", { name: "Load older messages" })
    .click({ timeout: 5_000 })
    .catch(() => undefined);
  await expect(log.getByText("Bulk message 1", { exact: true })).toHaveCount(1);
  await expect(log.getByRole("button", { name: "Load older messages" })).toHaveCount(0);
  // The list is virtualized: the DOM holds the rows near the viewport, not all 60.
  await expect(log.getByText("This is the very beginning of the conversation.")).toHaveCount(1);

  const archived = await request.post("/api/trpc/conversations.archive", {
    headers: auth,
    data: { json: { conversationId } },
  });
  expect(archived.ok()).toBe(true);

  await page.goto(`/app/c/${conversationId}`);
  await expect(page.getByRole("status").filter({ hasText: "archived" })).toBeVisible();
  await expect(page.getByLabel("Message # old-projects")).toHaveCount(0);

  await sidebarOf(page).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Revoke token ci-bot" }).click();
  await expect(page.getByRole("list", { name: "Tokens" })).toHaveCount(0);
  expect((await request.get("/api/trpc/users.me", { headers: auth })).status()).toBe(401);
});

test("signing out other sessions ends them; signing out ends this one", async ({ browser }) => {
  // Bob signs in on a second device.
  const other = await newPage(browser);
  await other.goto("/sign-in");
  await other.getByLabel("Email").fill(member.email);
  await other.getByLabel("Password").fill(member.password);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other).toHaveURL(/\/app$/);

  await sidebarOf(memberPage).getByRole("link", { name: "Settings" }).click();
  const sessions = memberPage.getByRole("list", { name: "Sessions" });
  await expect(sessions.getByRole("listitem")).toHaveCount(2);
  await expect(sessions.getByText("this browser")).toHaveCount(1);
  await memberPage.getByRole("button", { name: "Sign out all other sessions" }).click();
  await expect(sessions.getByRole("listitem")).toHaveCount(1);

  // The revoked device lands on sign-in: on its next page load, or by itself when its open app
  // notices first (then this navigation may be interrupted by that one, which is fine).
  await other.goto("/app").catch(() => undefined);
  await expect(other).toHaveURL(/\/sign-in$/);

  await sidebarOf(memberPage).getByRole("button", { name: "Sign out" }).click();
  await expect(memberPage).toHaveURL(/\/sign-in$/);
  await memberPage.goto("/app");
  await expect(memberPage).toHaveURL(/\/sign-in$/);
});

test("with open sign-up anyone can join; a deactivated user is signed out", async ({ browser }) => {
  const page = ownerPage;
  await sidebarOf(page).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("radio", { name: /Anyone with the address/ }).check();
  await page.getByRole("button", { name: "Save sign-up settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  const carol = await newPage(browser);
  await carol.goto("/");
  await expect(carol).toHaveURL(/\/sign-in$/);
  await carol.getByRole("link", { name: "Create an account" }).click();
  await carol.getByLabel("Your name").fill("Carol Newcomer");
  await carol.getByLabel("Email").fill("carol@example.com");
  await carol.getByLabel("Password").fill("carol-password-123");
  await carol.getByRole("button", { name: "Create account" }).click();
  await expect(carol).toHaveURL(/\/app$/);

  await page.reload();
  // People are paged: find her first.
  await page.getByLabel("Name or e-mail").fill("carol@example.com");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("button", { name: "Deactivate Carol Newcomer" }).click();
  await expect(page.getByRole("button", { name: "Reactivate Carol Newcomer" })).toBeVisible();
  // Her open tab needs no reload: the gateway closes her socket (4403) and the app signs her out.
  await expect(carol).toHaveURL(/\/sign-in$/);
  await carol.getByLabel("Email").fill("carol@example.com");
  await carol.getByLabel("Password").fill("carol-password-123");
  await carol.getByRole("button", { name: "Sign in" }).click();
  await expect(carol.getByRole("alert").filter({ hasText: "Wrong email or password" })).toBeVisible();

  await page.getByRole("button", { name: "Reactivate Carol Newcomer" }).click();
  await expect(page.getByRole("button", { name: "Deactivate Carol Newcomer" })).toBeVisible();
  await carol.getByRole("button", { name: "Sign in" }).click();
  await expect(carol).toHaveURL(/\/app$/);
});
