/**
 * The UI languages (issue 16) and how one is chosen; safe for client and server code. A signed-in
 * user's `locale` preference wins (Settings → Language, stored on the User row); otherwise the
 * browser's Accept-Language picks one we ship, and English is the fallback. Messages live in
 * messages/<locale>.json (one namespace per component); i18n/request.ts loads them per request.
 */
export const LOCALES = ["en", "ar"] as const;
export type TLocale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: TLocale = "en";

/** Each language in its own name (an endonym is never translated: a reader looks for their own). */
export const LOCALE_NAMES: Record<TLocale, string> = { en: "English", ar: "العربية" };

const RTL = new Set<string>(["ar"]);

export function isLocale(value: unknown): value is TLocale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The writing direction of a locale, for `<html dir>`. */
export function directionOf(locale: string): "rtl" | "ltr" {
  return RTL.has(locale.split("-")[0] ?? "") ? "rtl" : "ltr";
}

/**
 * The best shipped locale for an Accept-Language header ("ar-EG,ar;q=0.9,en;q=0.8"): ranges by
 * descending q (ties keep their order), matched on the primary subtag; `*`, q=0 and unknown
 * languages are skipped; English when nothing matches.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): TLocale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranges = acceptLanguage
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      return { tag: tag.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.tag && r.tag !== "*" && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    const primary = range.tag.split("-")[0];
    if (isLocale(primary)) return primary;
  }
  return DEFAULT_LOCALE;
}
