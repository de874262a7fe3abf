import type { TErrorReason } from "@parley/protocol";
import type { z } from "zod";

/** The error codes core can raise; the API maps each to the HTTP-like tRPC code of the same name. */
export type TParleyErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS";

/** A domain error with a code the transport layers (tRPC, realtime frames) translate as is. */
export class ParleyError extends Error {
  override name = "ParleyError";
  readonly code: TParleyErrorCode;
  /** Why, beside the code, where a client acts on it (protocol's ErrorReason); both transports carry it. */
  readonly reason: TErrorReason | undefined;

  constructor(code: TParleyErrorCode, message: string, options?: { cause?: unknown; reason?: TErrorReason }) {
    super(message, options);
    this.code = code;
    this.reason = options?.reason;
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

/** Parses `input` with `schema` or throws BAD_REQUEST carrying the ZodError as its cause. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ParleyError("BAD_REQUEST", `Invalid input: ${describeIssues(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}
