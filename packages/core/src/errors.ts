import type { z } from "zod";

/** The error codes core can raise; the API maps each to the HTTP-like tRPC code of the same name. */
export type ParleyErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS";

/** A domain error with a code the transport layers (tRPC, realtime frames) translate as is. */
export class ParleyError extends Error {
  override name = "ParleyError";
  readonly code: ParleyErrorCode;

  constructor(code: ParleyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `err` is a ParleyError (optionally with the given code). */
export function isParleyError(err: unknown, code?: ParleyErrorCode): err is ParleyError {
  return err instanceof ParleyError && (code === undefined || err.code === code);
}

/** Parses `input` with `schema` or throws BAD_REQUEST carrying the ZodError as its cause. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.join(".")}: ` : "";
    throw new ParleyError("BAD_REQUEST", `Invalid input: ${where}${first?.message ?? "invalid"}`, {
      cause: result.error,
    });
  }
  return result.data;
}
