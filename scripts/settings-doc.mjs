/**
 * `npm run docs:settings`: rewrites the settings table of docs/self-hosting.md from the config
 * schema (packages/config/src/settings-doc.ts). Run it after adding or changing a setting;
 * packages/config/src/settings-doc.test.ts fails until you do.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withSettingsTable } from "@parley/config/settings-doc";

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../docs/self-hosting.md");
const before = readFileSync(file, "utf8");
const after = withSettingsTable(before);
if (after === before) {
  console.log("docs/self-hosting.md: settings table already current");
} else {
  writeFileSync(file, after);
  console.log("docs/self-hosting.md: settings table rewritten");
}
