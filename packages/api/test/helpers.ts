/** Shared by the api's integration tests. */
import { parseEnv, type TEnv } from "@parley/config";
import type { TDb } from "@parley/db";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, expect } from "vitest";
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

/** The settings api integration tests run with (no real database URL is read from them). */
export const TEST_ENV = testEnv();
/**
 * The usual start of an api integration file: its own database with a workspace, created before
 * the file's tests and dropped after them. `db()` throws outside a test.
 */
export function useApiTestDb(workspaceName: string, poolSize = 4): { db: () => TDb } {
  let t: TTestDb | undefined;
  beforeAll(async () => {
    t = await createTestDb({ poolSize });
    await seedWorkspace(t.db, { name: workspaceName });
  });
  afterAll(async () => {
    await t?.drop();
  });
  return {
    db: () => {
      if (!t) throw new Error("the test database exists only while the file's tests run");
      return t.db;
    },
  };
}

/**
 * A new user of `role` with a browser session: its actor, session id and a tRPC caller acting as
 * them (from `clientAddress`).
 */
export async function signedInCaller(db: TDb, role: "owner" | "admin" | "member", clientAddress?: string) {
  const user = await seedUser(db, { role });
  const session = await db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  const context = await createContext({
    db,
    sessionId: session.id,
    env: TEST_ENV,
    ...(clientAddress ? { clientAddress } : {}),
  });
  return {
    actor: { userId: user.id, role: user.role },
    sessionId: session.id,
    caller: createCaller(context),
  };
}

/** A new user of `role` with a browser session (signedInCaller from no particular address). */
export const sessionFor = (db: TDb, role: "admin" | "member" | "owner") => signedInCaller(db, role);

/** One tRPC mutation over HTTP with a session, as a browser makes it; the error's JSON when it failed. */
export async function postTrpc(db: TDb, procedure: string, input: unknown, sessionId: string) {
  const res = await trpcOverHttp(procedure, input, {
    isQuery: false,
    context: () => createContext({ db, sessionId, env: TEST_ENV }),
  });
  const body = (await res.json()) as {
    error?: {
      json: { message: string; data: { code: string; reason: string | null; fieldErrors: unknown } };
    };
  };
  return { status: res.status, error: body.error?.json ?? null };
}
