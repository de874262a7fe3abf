/**
 * Settings → Import from Slack: an admin uploads a small Slack export (built here, in Slack's
 * format), watches it run to "Done" with its summary, and finds the imported channel with its
 * history in the sidebar (they are one of its Slack members, matched by e-mail). What an import
 * writes, in detail, is core/test/slack-import.integration.test.ts's.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import yazl from "yazl";
import { firstUser, historyOf, makeAdmin, newUser, sidebarOf } from "./fixtures.ts";

async function zip(files: Record<string, unknown>): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const [name, value] of Object.entries(files)) file.addBuffer(Buffer.from(JSON.stringify(value)), name);
  file.end();
  const chunks: Buffer[] = [];
  for await (const chunk of file.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test("an admin imports a Slack export and reads its channel", async ({ browser }) => {
  const admin = newUser("Import Admin");
  const { context, page } = await firstUser(browser, admin);
  makeAdmin(admin.email);
  const run = randomUUID().slice(0, 8);
  const channel = `from-slack-${run}`;
  const me = `U${run.toUpperCase()}A`;
  const other = `U${run.toUpperCase()}B`;
  const body = await zip({
    "users.json": [
      { id: me, name: "me", profile: { email: admin.email, real_name: admin.name } },
      { id: other, name: "other", profile: { email: `slack-${run}@example.com`, real_name: "Slack Person" } },
    ],
    "channels.json": [
      {
        id: `C${run.toUpperCase()}`,
        name: channel,
        created: 1_700_000_000,
        creator: other,
        members: [me, other],
      },
    ],
    [`${channel}/2023-11-14.json`]: [
      { type: "message", ts: "1699990000.000100", user: other, text: `hello from slack ${run}` },
      { type: "message", ts: "1699990060.000200", user: me, text: "and back" },
    ],
  });
  try {
    await page.goto("/app/settings");
    const section = page.getByRole("region", { name: "Import from Slack" });
    await section
      .getByLabel("Slack export (.zip)")
      .setInputFiles({ name: `slack-${run}.zip`, mimeType: "application/zip", buffer: body });
    await section.getByRole("button", { name: "Import" }).click();
    const item = section.getByRole("listitem", { name: `Slack import slack-${run}.zip` });
    await expect(item.getByRole("status")).toHaveText("Done", { timeout: 30_000 });
    await expect(item).toContainText(
      "2 messages imported, 1 new conversation, 1 person added (deactivated), 1 person matched",
    );

    await page.goto("/app");
    await sidebarOf(page).getByRole("link", { name: channel }).click();
    await expect(historyOf(page).getByText(`hello from slack ${run}`)).toBeVisible();
    await expect(historyOf(page).getByText("and back")).toBeVisible();
  } finally {
    await context.close();
  }
});
