/**
 * The server-error catalogs (English template → translation, ICU syntax) and their loaders, for
 * the browser (server-errors.ts `useErrorText`) and for server components that show a server
 * text themselves (`catalogText`, e.g. the sign-up page's invite refusal).
 */
import IntlMessageFormat from "intl-messageformat";
import type { TLocale } from "./config";

/** English template → translated template, for one language. */
export type TErrorCatalog = Record<string, string>;

/** One loader per language that needs a catalog (English needs none). */
export const errorCatalogLoaders: Partial<Record<TLocale, () => Promise<{ default: TErrorCatalog }>>> = {
  ar: () => import("./server-errors/ar.json"),
};

/** `template` (with `params`) in `locale`: its catalog entry formatted, else `english`. */
export async function catalogText(
  locale: string,
  template: string,
  english: string,
  params: Record<string, string | number> = {},
): Promise<string> {
  const load = errorCatalogLoaders[locale as TLocale];
  const translated = load ? (await load()).default[template] : undefined;
  if (translated === undefined) return english;
  try {
    return String(new IntlMessageFormat(translated, locale).format(params));
  } catch {
    return english;
  }
}
