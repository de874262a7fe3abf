/**
 * Validation issues in the user's language. The API sends each issue of a refused input as
 * `data.fieldIssues` (path, English message, zod's code and the values its wording needs; see
 * @parley/core's `fieldIssuesOf`). A message our schemas wrote is a catalog template
 * (`errorTemplate("…")`), so the server-error catalog has its translation; zod's own messages are
 * worded per code by the `Validation` messages (en.json/ar.json), phrased for people; any other
 * issue keeps its English message. Without a catalog (English, or before it loads) the English
 * messages stay exactly as the server sent them.
 */
import IntlMessageFormat from "intl-messageformat";

/** One validation issue as the API sends it (`data.fieldIssues[i]`). */
export type TFieldIssue = {
  path: string;
  message: string;
  code: string;
  params: Record<string, string | number | boolean | string[]>;
};

/** The `Validation` message keys (en.json/ar.json). */
export type TValidationKey =
  | "required"
  | "textMin"
  | "textMax"
  | "textExact"
  | "numberMin"
  | "numberAbove"
  | "numberMax"
  | "numberBelow"
  | "listMin"
  | "listMax"
  | "email"
  | "url"
  | "uuid"
  | "format"
  | "type"
  | "oneOf";

/** A `Validation` message with values filled in (next-intl's `t`, or a test's formatter). */
export type TValidationText = (key: TValidationKey, values: Record<string, string | number>) => string;

/** What translating an issue needs: the server-error catalog (null: English), locale and messages. */
export type TIssueTranslation = {
  catalog: Record<string, string> | null;
  locale: string;
  text: TValidationText;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The `data.fieldIssues` of a tRPC error (a TRPCClientError or its shape), or null (older servers). */
export function fieldIssuesOf(error: unknown): TFieldIssue[] | null {
  if (!isRecord(error) || !isRecord(error.data)) return null;
  const issues = error.data.fieldIssues;
  if (!Array.isArray(issues)) return null;
  return issues.filter(
    (i): i is TFieldIssue =>
      isRecord(i) &&
      typeof i.path === "string" &&
      typeof i.message === "string" &&
      typeof i.code === "string",
  );
}

type TKeyed = { key: TValidationKey; values: Record<string, string | number> };

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A too_small/too_big issue's wording: characters, numbers or list items. */
function sizeKey(issue: TFieldIssue, small: boolean): TKeyed | null {
  const { origin, inclusive, exact } = issue.params;
  const bound = num(small ? issue.params.minimum : issue.params.maximum);
  if (bound === null) return null;
  if (origin === "number" || origin === "bigint") {
    if (small) return { key: inclusive === false ? "numberAbove" : "numberMin", values: { minimum: bound } };
    return { key: inclusive === false ? "numberBelow" : "numberMax", values: { maximum: bound } };
  }
  // Lengths and counts are whole: an exclusive bound is the next one in.
  const count = inclusive === false ? bound + (small ? 1 : -1) : bound;
  if (origin === "string") {
    if (exact === true) return { key: "textExact", values: { length: count } };
    if (small)
      return count <= 1 ? { key: "required", values: {} } : { key: "textMin", values: { minimum: count } };
    return { key: "textMax", values: { maximum: count } };
  }
  if (origin === "array" || origin === "set") {
    return small
      ? { key: "listMin", values: { minimum: count } }
      : { key: "listMax", values: { maximum: count } };
  }
  return null;
}

/** The `Validation` message for an issue zod worded itself, or null to keep its English message. */
export function validationKeyOf(issue: TFieldIssue, locale: string): TKeyed | null {
  switch (issue.code) {
    case "too_small":
      return sizeKey(issue, true);
    case "too_big":
      return sizeKey(issue, false);
    case "invalid_format": {
      const format = issue.params.format;
      if (format === "email" || format === "url" || format === "uuid") return { key: format, values: {} };
      return { key: "format", values: {} };
    }
    case "invalid_type":
      return { key: "type", values: { expected: String(issue.params.expected ?? "") } };
    case "invalid_value": {
      const values = issue.params.values;
      if (!Array.isArray(values) || values.length === 0) return null;
      const list = new Intl.ListFormat(locale, { type: "disjunction" }).format(values.map(String));
      return { key: "oneOf", values: { values: list } };
    }
    default:
      return null;
  }
}

/** The template's scalar values, for a catalog message's placeholders. */
function scalarParams(params: TFieldIssue["params"]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) if (typeof v === "string" || typeof v === "number") out[k] = v;
  return out;
}

/**
 * One issue's message in the user's language: our schema's message from the catalog, else zod's
 * code worded by a `Validation` message, else the English message. English (no catalog): as sent.
 */
export function translateIssue(issue: TFieldIssue, { catalog, locale, text }: TIssueTranslation): string {
  if (!catalog) return issue.message;
  const own = catalog[issue.message];
  if (own !== undefined) {
    try {
      return String(new IntlMessageFormat(own, locale).format(scalarParams(issue.params)));
    } catch {
      return issue.message;
    }
  }
  const keyed = validationKeyOf(issue, locale);
  return keyed ? text(keyed.key, keyed.values) : issue.message;
}

/** Issues as one line, as core's `describeIssues` words them: `path: message`, joined with "; ". */
export function describeTranslatedIssues(
  issues: readonly TFieldIssue[],
  issueText: (i: TFieldIssue) => string,
): string {
  return issues.map((i) => (i.path ? `${i.path}: ${issueText(i)}` : issueText(i))).join("; ");
}
