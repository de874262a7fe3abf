import { formatTemplate, type TErrorParams, type TErrorReason } from "@parley/protocol";

// The template helpers live in protocol (the SDK and the schemas there use them too).
export { errorTemplate, formatTemplate, type TErrorParams } from "@parley/protocol";

import type { z } from "zod";

/** The error codes core can raise; the API maps each to the HTTP-like tRPC code of the same name. */
export type TParleyErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS";

export type TErrorText = { template: string; params?: TErrorParams };

/** Options of a ParleyError: the cause, the protocol reason and the template's parameters. */
export type TParleyErrorOptions = { cause?: unknown; reason?: TErrorReason; params?: TErrorParams };

/**
 * A domain error with a code the transport layers (tRPC, realtime frames) translate as is. The
 * message argument is an English *template* — a string literal with ICU-style `{name}`
 * placeholders filled from `options.params` — so clients can look it up in a catalog and show it
 * in the user's language; `message` is the English text. To add one: write the template as a
 * literal (never a template literal), pass values as params, and add its translation to
 * apps/web/src/i18n/server-errors/*.json (a test fails until you do).
 */
export class ParleyError extends Error {
  override name = "ParleyError";
  readonly code: TParleyErrorCode;
  /** Why, beside the code, where a client acts on it (protocol's ErrorReason); both transports carry it. */
  readonly reason: TErrorReason | undefined;
  /** The English template before `{name}` placeholders are filled (the catalog's key). */
  readonly template: string;
  /** The placeholders' values, or undefined when the template has none. */
  readonly params: TErrorParams | undefined;

  constructor(code: TParleyErrorCode, message: string, options?: TParleyErrorOptions) {
    super(formatTemplate(message, options?.params), options);
    this.code = code;
    this.reason = options?.reason;
    this.template = message;
    this.params = options?.params;
  }
}

/** True when `err` is a ParleyError (optionally with the given code). */
export function isParleyError(err: unknown, code?: TParleyErrorCode): err is ParleyError {
  return err instanceof ParleyError && (code === undefined || err.code === code);
}

/**
 * A readable one-line summary of validation issues, each as `path: message` (dotted path; no
 * prefix for an issue about the whole input), joined with "; ". Used for error messages on every
 * transport instead of zod's JSON dump.
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join(".")}: ${i.message}` : i.message))
    .join("; ");
}

/**
 * Validation issues by field for forms: dotted path → messages (nested fields as `a.b`, array
 * items as `ids.0`); issues about the whole input are under `""`.
 */
export function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".");
    const list = out[key] ?? [];
    list.push(issue.message);
    out[key] = list;
  }
  return out;
}

/** What a validation issue's translation needs beside its code: only numbers, strings and flags. */
export type TFieldIssueParams = Record<string, string | number | boolean | string[]>;

/**
 * One validation issue for clients that word it themselves: its dotted path (as in
 * `fieldErrorsOf`), zod's English message (for a message our schemas wrote, a catalog template
 * marked with `errorTemplate`), zod's issue code and the values a translation of that code needs.
 */
export type TFieldIssue = { path: string; message: string; code: string; params: TFieldIssueParams };

/** The numbers and strings worth sending from a zod issue (no inputs, no patterns, no nested errors). */
function issueParams(issue: z.core.$ZodIssue): TFieldIssueParams {
  switch (issue.code) {
    case "too_small":
    case "too_big":
      return {
        origin: issue.origin,
        ...(issue.code === "too_small"
          ? { minimum: Number(issue.minimum) }
          : { maximum: Number(issue.maximum) }),
        inclusive: issue.inclusive ?? true,
        ...(issue.exact ? { exact: true } : {}),
      };
    case "invalid_format":
      return { format: issue.format };
    case "invalid_type":
      return { expected: issue.expected };
    case "invalid_value":
      return { values: issue.values.map(String) };
    case "not_multiple_of":
      return { divisor: Number(issue.divisor) };
    case "unrecognized_keys":
      return { keys: issue.keys };
    default:
      return {};
  }
}

/** Validation issues for clients that translate them (the API's `data.fieldIssues`), in zod's order. */
export function fieldIssuesOf(error: z.ZodError): TFieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
    code: issue.code,
    params: issueParams(issue),
  }));
}

/** Parses `input` with `schema` or throws BAD_REQUEST carrying the ZodError as its cause. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ParleyError("BAD_REQUEST", "Invalid input: {issues}", {
      cause: result.error,
      params: { issues: describeIssues(result.error) },
    });
  }
  return result.data;
}
