/**
 * Custom emoji and user groups in the browser. An admin adds `:name:` in Settings; a member whose
 * tab was already open gets it live (emoji.changed), finds it in the composer's `:` autocomplete
 * and sends it, and both see the picture in the message and in a reaction chip. A user group made
 * through the API shows in the admin's `@` autocomplete; the message mentions the member, whose tab
 * (opened before the group existed) loads the group and shows the @handle pill as a mention of them. Nothing workspace-wide is changed (names are
 * unique per run).
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { firstUser, historyOf, makeAdmin, newUser, sharedChannel, signUp, trpc } from "./fixtures.ts";

/** A 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==",
  "base64",
);

test("a custom emoji reaches an open tab and is used; an @group mention highlights its member", async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const run = randomUUID().slice(0, 6);
  const adminUser = newUser("Emoji Admin");
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const member = await signUp(browser, newUser("Emoji Member"));
  try {
    const channel = `emoji-${run}`;
    await sharedChannel(admin.page, [member.page], channel);
    const composer = member.page.getByLabel(`Message # ${channel}`);
    await expect(composer).toBeVisible();

    // The admin adds the emoji in Settings (another tab of theirs could be anywhere).
    const name = `parrot-${run}`;
    const settings = await admin.context.newPage();
    await settings.goto("/app/settings");
    const section = settings.getByRole("region", { name: "Custom emoji" });
    await section.getByLabel("Name", { exact: true }).fill(name);
    await section
      .getByLabel(/^Image/)
      .setInputFiles({ name: "parrot.png", mimeType: "image/png", buffer: PNG });
    await section.getByRole("button", { name: "Add emoji" }).click();
    await expect(section.getByRole("img", { name: `:${name}:` })).toBeVisible();

    // The member's open tab offers it without a reload.
    await composer.pressSequentially(`yay :parrot-${run.slice(0, 3)}`);
    await member.page.getByRole("option", { name: new RegExp(`:${name}:`) }).click();
    await expect(composer).toHaveValue(`yay :${name}: `);
    await member.page.getByRole("button", { name: "Send" }).click();
    const image = (page: typeof member.page) =>
      historyOf(page)
        .locator(".body")
        .getByRole("img", { name: `:${name}:` });
    await expect(image(member.page)).toBeVisible();
    await expect(image(admin.page)).toBeVisible();
    await expect
      .poll(() => image(admin.page).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBe(1);

    // A reaction with it shows the picture in the chip.
    const messages = await trpc<{ messages: { id: string; body: string }[] }>(
      admin.page,
      "messages.history",
      { conversationId: admin.page.url().split("/c/")[1]?.split(/[/?#]/)[0] },
      "GET",
    );
    const sent = messages.messages.find((m) => m.body.includes(name));
    await trpc(admin.page, "messages.react", { messageId: sent?.id, emoji: `:${name}:` });
    await expect(
      historyOf(member.page)
        .getByRole("button", { name: `:${name}: 1` })
        .locator("img.custom-emoji"),
    ).toBeAttached();

    // A user group with the member; the admin's reloaded tab offers it after "@".
    const handle = `crew-${run}`;
    const me = await trpc<{ id: string }>(member.page, "users.me", undefined, "GET");
    await trpc(admin.page, "userGroups.create", { handle, name: "Emoji crew", memberIds: [me.id] });
    // Back to the admin's first tab: Chromium renders only the tab in front (Playwright's
    // checks for actions in a tab behind wait about a second per frame).
    await admin.page.bringToFront();
    await admin.page.reload();
    const adminComposer = admin.page.getByLabel(`Message # ${channel}`);
    await adminComposer.pressSequentially(`ping @crew-${run.slice(0, 2)}`);
    await admin.page.getByRole("option", { name: new RegExp(`@${handle}`) }).click();
    await expect(adminComposer).toHaveValue(`ping @${handle} `);
    await adminComposer.pressSequentially("standup");
    await admin.page.getByRole("button", { name: "Send" }).click();
    const pill = historyOf(member.page).locator(".mention", { hasText: `@${handle}` });
    await expect(pill).toHaveClass(/mention-me/);
    await expect(historyOf(admin.page).locator(".mention", { hasText: `@${handle}` })).not.toHaveClass(
      /mention-me/,
    );
  } finally {
    await member.context.close();
    await admin.context.close();
  }
});
