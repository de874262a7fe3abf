/**
 * Issue 9: a validation error from the server shows next to the field it is about (readable text,
 * the input marked invalid and described by it), not as a JSON dump at the bottom of the form.
 */
import { expect, test } from "@playwright/test";
import { firstUser, newUser } from "./fixtures.ts";

test("the server's field error shows next to its field", async ({ browser }) => {
  const { context, page } = await firstUser(browser, newUser("Field Errors"));
  await page.goto("/app/new-channel");
  const name = page.getByLabel("Channel name");
  await name.fill("Has Space");
  await page.getByRole("button", { name: "Create channel" }).click();

  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveAccessibleDescription(
    /channel names use only lower-case letters, digits, - and _/,
  );
  await expect(page.locator("form").getByRole("alert")).toHaveText("Please correct the highlighted field.");
  await expect(page.getByLabel("Topic (optional)")).not.toHaveAttribute("aria-invalid", "true");

  await name.fill("has-no-space");
  await page.getByRole("button", { name: "Create channel" }).click();
  await expect(page).toHaveURL(/\/app\/c\//);
  await context.close();
});
