/**
 * The message catalogues (issue 16): every key of en.json exists in ar.json and the other way
 * round, no message is empty, both parse as ICU messages with the same placeholders, Arabic writes
 * its numbers with the digits Intl uses for it (Latin), and the locale lists agree (the web's
 * LOCALES, core's SUPPORTED_LOCALES, the catalogue files).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@formatjs/icu-messageformat-parser";
import { SUPPORTED_LOCALES } from "@parley/core";
import { describe, expect, it } from "vitest";
import { DEFAULT_LOCALE, directionOf, LOCALES, negotiateLocale } from "./config";
import { argumentsOf } from "./icu-arguments";
import ar from "./messages/ar.json";
import en from "./messages/en.json";

type TTree = { [key: string]: string | TTree };

/** "Namespace.key" → message, for every leaf. */
function flatten(tree: TTree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(name, value);
    else for (const [k, v] of flatten(value, name)) out.set(k, v);
  }
  return out;
}

const catalogues = { en: flatten(en as TTree), ar: flatten(ar as TTree) };

describe("message catalogues", () => {
  it("ship one file per locale, the same locales core accepts", () => {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "messages");
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(files.map((f) => f.replace(/\.json$/, "")).sort()).toEqual([...LOCALES].sort());
    expect([...SUPPORTED_LOCALES].sort()).toEqual([...LOCALES].sort());
  });

  it("every key in en exists in ar and vice versa", () => {
    const missingInAr = [...catalogues.en.keys()].filter((k) => !catalogues.ar.has(k));
    const missingInEn = [...catalogues.ar.keys()].filter((k) => !catalogues.en.has(k));
    expect(missingInAr).toEqual([]);
    expect(missingInEn).toEqual([]);
    expect(catalogues.en.size).toBeGreaterThan(100);
  });

  it("no message is empty, and each parses with the same arguments in both languages", () => {
    for (const [key, message] of catalogues.en) {
      const other = catalogues.ar.get(key) ?? "";
      expect(message.trim(), key).not.toBe("");
      expect(other.trim(), key).not.toBe("");
      const a = argumentsOf(parse(message));
      const b = argumentsOf(parse(other));
      expect([...b].sort(), key).toEqual([...a].sort());
    }
  });

  it("Arabic writes digits as Intl does for `ar` in Chromium: Latin (0-9), not Arabic-Indic", () => {
    // Hand-written numbers sit beside numbers the app formats with Intl (sizes, counts, times),
    // which Chromium writes with Latin digits for `ar`: one message must not mix the two systems.
    // U+0660–U+0669 Arabic-Indic, U+06F0–U+06F9 extended (Persian), U+066B/U+066C their separators.
    const foreign = /[\u0660-\u0669\u06F0-\u06F9\u066B\u066C]/;
    const mixed = [...catalogues.ar].filter(([, v]) => foreign.test(v)).map(([k, v]) => `${k}: ${v}`);
    expect(mixed).toEqual([]);
    expect(new Intl.NumberFormat("ar").format(1_048_576)).toBe("1,048,576");
  });

  it("Arabic is translated, not copied (a few words like names may repeat)", () => {
    const copied = [...catalogues.en].filter(([k, v]) => /[a-z]{3}/i.test(v) && catalogues.ar.get(k) === v);
    expect(copied.map(([k]) => k)).toEqual([]);
  });
});

describe("locale choice", () => {
  it("negotiates Accept-Language on the primary subtag by q, English otherwise", () => {
    expect(negotiateLocale(undefined)).toBe(DEFAULT_LOCALE);
    expect(negotiateLocale("en-US,en;q=0.9")).toBe("en");
    expect(negotiateLocale("ar-EG,ar;q=0.9,en;q=0.8")).toBe("ar");
    expect(negotiateLocale("fr-FR,ar;q=0.5,en;q=0.4")).toBe("ar");
    expect(negotiateLocale("en;q=0.2, ar;q=0.7")).toBe("ar");
    expect(negotiateLocale("ar;q=0, de")).toBe("en");
    expect(negotiateLocale("*")).toBe("en");
    expect(negotiateLocale("garbage;;q=x")).toBe("en");
  });

  it("writes Arabic right to left and the rest left to right", () => {
    expect(directionOf("ar")).toBe("rtl");
    expect(directionOf("ar-EG")).toBe("rtl");
    expect(directionOf("en")).toBe("ltr");
  });
});
