/** Shared by the api's integration tests. */
import { parseEnv, type TEnv } from "@parley/config";
import type { TDb } from "@parley/db";
import { seedUser } from "@parley/db/seed";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { expect } from "vitest";
import { appRouter, createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";

/**
 * One tRPC call through the real HTTP handler (superjson envelope), as browsers and SDK users make
 * it: a GET with `?input=` for a query, else a POST. The raw Response.
 */
export function trpcOverHttp(
  procedure: string,
  input: unknown,
  options: { isQuery: boolean; context: () => ReturnType<typeof createContext> },
): Promise<Response> {
  const encoded = JSON.stringify(superjson.serialize(input));
  const req = options.isQuery
    ? new Request(`http://localhost/api/trpc/${procedure}?input=${encodeURIComponent(encoded)}`)
    : new Request(`http://localhost/api/trpc/${procedure}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: encoded,
      });
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req,
    createContext: options.context,
  });
}

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

/** Settings for tests that build contexts themselves (no real database URL needed; `extra` overrides). */
export function testEnv(extra: Record<string, string> = {}): TEnv {
  return parseEnv({
    DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
    AUTH_SECRET: "test-secret-test-secret-test-secret!",
    PUBLIC_URL: "https://chat.example.test",
    ...extra,
  });
}

/** A new user of `role` with a browser session: its actor, session id and a server-side caller. */
export async function sessionFor(db: TDb, role: "admin" | "member" | "owner") {
  const user = await seedUser(db, { role });
  const session = await db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  const caller = createCaller(await createContext({ db, sessionId: session.id, env: testEnv() }));
  return { actor: { userId: user.id, role: user.role }, sessionId: session.id, caller };
}

/** One tRPC mutation over HTTP with a session, as a browser makes it; the error's JSON when it failed. */
export async function postTrpc(db: TDb, procedure: string, input: unknown, sessionId: string) {
  const res = await trpcOverHttp(procedure, input, {
    isQuery: false,
    context: () => createContext({ db, sessionId, env: testEnv() }),
  });
  const body = (await res.json()) as {
    error?: {
      json: { message: string; data: { code: string; reason: string | null; fieldErrors: unknown } };
    };
  };
  return { status: res.status, error: body.error?.json ?? null };
}
