/**
 * Marks an English validation message as a catalog template, like core's `errorTemplate` (which
 * this package cannot import): apps/web's catalog test extracts every `errorTemplate("…")` call, so
 * clients can show the message in the user's language. Returns the text as is.
 */
export function errorTemplate<T extends string>(template: T): T {
  return template;
}
