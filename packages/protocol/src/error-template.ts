/**
 * Error and validation texts clients translate (gettext style: the English template is the message
 * id; apps/web's catalog test extracts every `errorTemplate("…")` call and every
 * `new ParleyError(code, "…")` template, and each needs its entry in the web's catalogs). Shared by
 * core (ParleyError), the SDK (its own send failures) and this package's schemas.
 */

/** Values for a template's `{name}` placeholders. */
export type TErrorParams = Record<string, string | number>;

/** Marks an English text as a catalog template (like gettext_noop); returns it as is. */
export function errorTemplate<T extends string>(template: T): T {
  return template;
}

/** Fills a template's `{name}` placeholders; a placeholder without a value stays as written. */
export function formatTemplate(template: string, params: TErrorParams | undefined): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
