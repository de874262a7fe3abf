import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SECRET_SETTINGS, ZEnv } from "./index.ts";
import { renderSettingsTable, settingDocs, settingsBlockOf, withSettingsTable } from "./settings-doc.ts";

const doc = readFileSync(path.resolve(import.meta.dirname, "../../../docs/self-hosting.md"), "utf8");

describe("docs/self-hosting.md settings table", () => {
  it("is what `npm run docs:settings` renders from the schema now", () => {
    // Fails after a setting is added, removed or changed without regenerating the table.
    expect(settingsBlockOf(doc), "run `npm run docs:settings`").toBe(renderSettingsTable());
  });

  it("has a row for every setting, with its description", () => {
    const names = Object.keys(ZEnv.shape);
    expect(settingDocs().map((s) => s.name)).toEqual(names);
    const undescribed = settingDocs()
      .filter((s) => !s.description?.trim() || s.description.includes("\n"))
      .map((s) => s.name);
    expect(undescribed, "give each a one-line .describe() as the LAST call of its chain").toEqual([]);
    for (const name of names) expect(settingsBlockOf(doc)).toContain(`| \`${name}\``);
  });

  it("shows the default the schema applies, and marks required and secret settings", () => {
    const byName = new Map(settingDocs().map((s) => [s.name, s]));
    expect(byName.get("PORT")).toMatchObject({ default: "3000", isSecret: false });
    expect(byName.get("REALTIME_EMBEDDED")?.default).toBe("true");
    expect(byName.get("TRUST_PROXY")?.default).toBe("false");
    expect(byName.get("UPLOAD_BLOCKED_TYPES")?.default).toMatch(/^application\/x-msdownload, /);
    expect(byName.get("REDIS_URL")?.default).toBeNull();
    expect(byName.get("DATABASE_URL")?.default).toBeUndefined();
    expect(byName.get("AUTH_SECRET")).toMatchObject({ default: undefined, isSecret: true });
    expect(renderSettingsTable()).toMatch(/\| `AUTH_SECRET` \(secret\) +\| \*\*required\*\* +\|/);
    expect(renderSettingsTable()).toMatch(/\| `UPLOAD_BLOCKED_TYPES` +\| see below +\|/);
    expect(renderSettingsTable()).toContain("Default of `UPLOAD_BLOCKED_TYPES`: `application/x-msdownload, ");
    // What logging.ts censors: dropping a `secret` mark would let the value reach the logs.
    expect(SECRET_SETTINGS).toEqual(
      expect.arrayContaining([
        "AUTH_SECRET",
        "S3_SECRET_KEY",
        "VAPID_PRIVATE_KEY",
        "SMTP_PASSWORD",
        "METRICS_TOKEN",
      ]),
    );
  });

  it("replaces only the block between the markers", () => {
    const stale = doc.replace(/\| `PORT` +\| `3000` /, "| `PORT` | `80` ");
    expect(stale).not.toBe(doc);
    const fresh = withSettingsTable(stale);
    expect(settingsBlockOf(fresh)).toBe(renderSettingsTable());
    expect(fresh.replace(settingsBlockOf(fresh)!, "")).toBe(stale.replace(settingsBlockOf(stale)!, ""));
    expect(() => withSettingsTable("# no markers")).toThrow(/settings:begin/);
  });
});
