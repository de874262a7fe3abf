/**
 * CSV for the audit export (RFC 4180), safe to open in a spreadsheet: every field is quoted
 * (quotes doubled, so commas and line breaks stay inside their field), and a field starting with
 * `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'` so a spreadsheet shows it as text
 * instead of running it as a formula (OWASP "CSV injection"). Lines end with CRLF.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value == null) return '""';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

/** One CSV line (with its CRLF). */
export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}
