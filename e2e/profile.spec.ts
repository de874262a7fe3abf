import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, historyOf, newUser, signUp, trpc } from "./fixtures";

// Profiles: Alice sets her avatar through the file chooser and a new display name in Settings;
// Bob, with the channel open, sees both on her message row live (no reload).
const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Profile", run);
const bob = newUser("Bob Profile", run);

/** An 8 × 8 red PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEUlEQVQImWN4Z2yMFTEMLQkAZXdVAZLZ9kIAAAAASUVORK5CYII=",
  "base64",
);

test("an avatar and a new name set in Settings reach another member's message list live", async ({
  browser,
}) => {
  const alicePage = (await firstUser(browser, alice)).page;
  const bobPage = (await signUp(browser, bob)).page;
  const channel = await trpc<{ id: string }>(alicePage, "conversations.create", { name: `profile-${run}` });
  await trpc(bobPage, "conversations.join", { conversationId: channel.id });
  await trpc(alicePage, "messages.send", {
    conversationId: channel.id,
    clientMsgId: randomUUID(),
    body: "hello from Alice",
  });

  await bobPage.goto(`/app/c/${channel.id}`);
  const row = historyOf(bobPage).locator("article.msg", { hasText: "hello from Alice" });
  const avatar = row.locator(".meta .avatar");
  // The first load of the app on a busy box (CI runs two specs at once) can take over 10 s.
  await expect(avatar).toHaveAttribute("data-avatar", "initials", { timeout: 30_000 });
  await expect(avatar).toHaveText("AP");
  // Connected, so what follows arrives over the socket.
  await expect(bobPage.locator(".me-name .presence.online")).toBeVisible();

  await alicePage.goto("/app/settings");
  const profile = alicePage.getByRole("region", { name: "Profile" });
  const chooser = alicePage.waitForEvent("filechooser");
  await profile.getByRole("button", { name: "Upload avatar" }).click();
  await (await chooser).setFiles({ name: "me.png", mimeType: "image/png", buffer: PNG });
  await expect(profile.getByRole("button", { name: "Remove avatar" })).toBeVisible();

  // Bob's row shows the picture: served, decoded, 64 px.
  await expect(avatar).toHaveAttribute("data-avatar", "image");
  const image = avatar.locator("img");
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);

  await profile.getByLabel("Display name").fill(`Alice Renamed ${run}`);
  await profile.getByRole("button", { name: "Save profile" }).click();
  await expect(row.locator(".sender")).toHaveText(`Alice Renamed ${run}`);

  // The picture is also in the member list and in the composer's @-suggestions.
  await bobPage.getByRole("button", { name: /\d+ members?/ }).click();
  const member = bobPage
    .getByRole("list", { name: "Member list" })
    .getByRole("listitem")
    .filter({ hasText: `Alice Renamed ${run}` });
  await expect(member.locator(".avatar")).toHaveAttribute("data-avatar", "image");
  await bobPage.locator("#composer").fill("@Alice Ren");
  const option = bobPage.getByRole("option", { name: new RegExp(`Alice Renamed ${run}`) });
  await expect(option.locator(".avatar")).toHaveAttribute("data-avatar", "image");
});
