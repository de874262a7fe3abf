/**
 * Settings → Joining: an admin limits sign-up to one domain and makes an e-mail invite (no SMTP
 * here, so the link is shown to copy); a visitor with a lookalike address is told why they are
 * refused, the invite's page names its address, and once revoked it says so. The mode is reset to
 * open at the end (the workspace is shared by every spec).
 */
import { expect, test } from "@playwright/test";
import { firstUser, makeAdmin, newUser, trpc } from "./fixtures.ts";

test("an admin restricts sign-up to a domain and revokes an e-mail invite; visitors see why they are refused", async ({
  browser,
}) => {
  const adminUser = newUser("Joining Admin");
  const admin = await firstUser(browser, adminUser);
  makeAdmin(adminUser.email);
  const visitor = await browser.newContext();
  try {
    await admin.page.goto("/app/settings");
    const section = admin.page.getByRole("region", { name: "Joining" });
    await section.getByRole("radio", { name: /at an allowed domain/ }).check();
    await section.getByLabel("Allowed domains (one per line)").fill("joining.example");
    await section.getByRole("button", { name: "Save sign-up settings" }).click();
    await expect(section.getByRole("status")).toHaveText("Saved.");

    await section.getByLabel("E-mail (optional)").fill("guest@partner.example");
    await section.getByRole("button", { name: "Create invite link" }).click();
    const link = section.getByLabel("Invite link");
    await expect(link).toHaveValue(/\/sign-up\?invite=pli_/);
    const url = await link.inputValue();
    await expect(section.getByRole("list", { name: "Invites" })).toContainText("guest@partner.example");

    const page = await visitor.newPage();
    await page.goto("/sign-up");
    await expect(page.getByText("Addresses at joining.example can sign up here.")).toBeVisible();
    await page.getByLabel("Your name").fill("Mallory");
    await page.getByLabel("Email").fill("mallory@joining.example.evil.org");
    await page.getByLabel("Password").fill("violet harbor lantern 42");
    await page.getByRole("button", { name: "Create account" }).click();
    // (Next's route announcer is an empty alert too.)
    await expect(
      page.getByRole("alert").filter({ hasText: "only addresses at joining.example can sign up" }),
    ).toBeVisible();

    await page.goto(url);
    await expect(page.getByText("This invite is for guest@partner.example")).toBeVisible();
    await section.getByRole("button", { name: "Revoke invite guest@partner.example" }).click();
    await expect(section.getByRole("list", { name: "Invites" }).getByRole("listitem").first()).toContainText(
      "revoked",
    );
    await page.goto(url);
    await expect(page.getByRole("alert").filter({ hasText: "This invite link was revoked" })).toBeVisible();
  } finally {
    await trpc(admin.page, "workspace.setSignupPolicy", { mode: "open" });
    await visitor.close();
    await admin.context.close();
  }
});
