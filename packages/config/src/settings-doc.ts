/**
 * The settings table of docs/self-hosting.md, rendered from ZEnv so it cannot drift: a row per
 * setting with the default the schema actually applies (what parsing an unset variable gives)
 * and its description. `npm run docs:settings` writes it between the markers;
 * settings-doc.test.ts fails when the file holds anything else.
 */
import { z } from "zod";
import { ZEnv } from "./index.ts";

export const SETTINGS_BEGIN = "<!-- settings:begin -->";
export const SETTINGS_END = "<!-- settings:end -->";

/** One setting as documented; `default` is undefined for a required setting, null for "unset". */
export type TSettingDoc = {
  name: string;
  default: string | null | undefined;
  description: string | undefined;
  isSecret: boolean;
};

/** A parsed default as it would be written in the environment (lists comma-separated). */
function envText(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** Every setting of ZEnv, in the schema's order. */
export function settingDocs(): TSettingDoc[] {
  return Object.entries(ZEnv.shape).map(([name, schema]) => {
    const unset = (schema as z.ZodType).safeParse(undefined);
    const meta = z.globalRegistry.get(schema);
    return {
      name,
      default: !unset.success ? undefined : unset.data === undefined ? null : envText(unset.data),
      description: meta?.description,
      isSecret: meta?.secret === true,
    };
  });
}

/** Escapes what would end a table cell. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** Defaults longer than this are listed under the table, so the column stays narrow. */
const LONG_DEFAULT = 40;

/** Rows padded to their columns' widths, as Biome formats a markdown table (docs are Biome-checked). */
function table(header: string[], rows: string[][]): string[] {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c + " ".repeat(width[i]! - [...c].length)).join(" | ")} |`;
  return [line(header), line(width.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** What the default column says: required, unset, the value, or that it is listed below. */
function defaultCell(s: TSettingDoc, isLong: boolean): string {
  if (s.default === undefined) return "**required**";
  if (s.default === null) return "unset";
  return isLong ? "see below" : cell(`\`${s.default}\``);
}

/** The markdown table, markers included. */
export function renderSettingsTable(): string {
  const docs = settingDocs();
  const long = docs.filter((s) => typeof s.default === "string" && s.default.length > LONG_DEFAULT);
  const rows = docs.map((s) => [
    `\`${s.name}\`${s.isSecret ? " (secret)" : ""}`,
    defaultCell(s, long.includes(s)),
    cell(s.description ?? ""),
  ]);
  return [
    SETTINGS_BEGIN,
    "<!-- generated from packages/config/src/index.ts by `npm run docs:settings`; edit the schema, not this table -->",
    "",
    ...table(["setting", "default", "meaning"], rows),
    ...long.flatMap((s) => ["", `Default of \`${s.name}\`: \`${s.default}\`.`]),
    "",
    SETTINGS_END,
  ].join("\n");
}

/** The block between the markers (markers included), or undefined when they are missing. */
export function settingsBlockOf(doc: string): string | undefined {
  const begin = doc.indexOf(SETTINGS_BEGIN);
  const end = doc.indexOf(SETTINGS_END, begin);
  return begin < 0 || end < 0 ? undefined : doc.slice(begin, end + SETTINGS_END.length);
}

/** `doc` with its settings block replaced by the current table. */
export function withSettingsTable(doc: string): string {
  const block = settingsBlockOf(doc);
  if (block === undefined) throw new Error(`no ${SETTINGS_BEGIN} … ${SETTINGS_END} block`);
  return doc.replace(block, () => renderSettingsTable());
}
