/**
 * Field errors of a failed tRPC call, for showing next to the input they are about. The server
 * puts validation issues in `error.data.fieldErrors` (dotted path → messages, see @parley/api's
 * error formatter) and, for translating them, in `error.data.fieldIssues`; everything else about
 * the error stays in its `message`. Components get a field's text in the user's language from
 * `useFieldError()` (i18n/server-errors.ts), which passes `fieldError` its translator.
 */
import { fieldIssuesOf, type TFieldIssue } from "~/i18n/validation";

/** The `data.fieldErrors` of a tRPC error (TRPCClientError or its shape), or null. */
export function fieldErrorsOf(error: unknown): Record<string, string[]> | null {
  if (typeof error !== "object" || error === null) return null;
  const data = (error as { data?: unknown }).data;
  if (typeof data !== "object" || data === null) return null;
  const fieldErrors = (data as { fieldErrors?: unknown }).fieldErrors;
  return typeof fieldErrors === "object" && fieldErrors !== null
    ? (fieldErrors as Record<string, string[]>)
    : null;
}

function isAbout(path: string, field: string): boolean {
  return path === field || path.startsWith(`${field}.`);
}

/**
 * The server's message(s) about one field (e.g. "name", "blockedTypes" covers "blockedTypes.3"),
 * or undefined; with `issueText`, each worded by it (when the server sent `fieldIssues`).
 */
export function fieldError(
  error: unknown,
  field: string,
  issueText?: (issue: TFieldIssue) => string,
): string | undefined {
  const issues = issueText ? fieldIssuesOf(error) : null;
  const messages = issues
    ? issues.filter((i) => isAbout(i.path, field)).map((i) => issueText?.(i) ?? i.message)
    : Object.entries(fieldErrorsOf(error) ?? {})
        .filter(([path]) => isAbout(path, field))
        .flatMap(([, list]) => list);
  return messages.length > 0 ? [...new Set(messages)].join("; ") : undefined;
}

/** What a form says when every problem is shown next to its field (FormError words it per language). */
export const CORRECT_FIELDS = "Please correct the highlighted field.";

/**
 * The form-level message for `error`: its message, unless every field issue is about one of
 * `shown` (then each is already next to its input, and this says where to look).
 */
export function formErrorMessage(error: unknown, shown: readonly string[]): string | undefined {
  if (!error) return undefined;
  const message = error instanceof Error ? error.message : "Something went wrong.";
  const all = fieldErrorsOf(error);
  const paths = all ? Object.keys(all) : [];
  if (paths.length === 0) return message;
  const covered = paths.every((path) => shown.some((f) => isAbout(path, f)));
  return covered ? CORRECT_FIELDS : message;
}
