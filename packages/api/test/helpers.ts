/** Shared by the api's integration tests. */
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";

/** Asserts the promise rejects with a TRPCError of `code` (and, when given, a message matching). */
export async function expectCode(
  promise: Promise<unknown>,
  code: TRPCError["code"],
  message?: RegExp,
): Promise<TRPCError> {
  const err = await promise.then(
    () => new Error(`expected ${code}, but it resolved`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  expect((err as TRPCError).code).toBe(code);
  if (message) expect((err as TRPCError).message).toMatch(message);
  return err as TRPCError;
}
