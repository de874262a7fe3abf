/**
 * tRPC from server components: the same routers and context as HTTP, built from the session
 * cookie of the current request, so server-side reads go through the same permission checks.
 */
import { createCaller, createContext } from "@parley/api";
import { getDb } from "@parley/db";
import { cookies, headers } from "next/headers";
import { env } from "~/env";
import { sessionIdFrom } from "~/server/auth";

/** The AuthSession id of the current request's cookie, if any. */
export async function currentSessionId(): Promise<string | undefined> {
  const cookieStore = await cookies();
  const req = {
    headers: Object.fromEntries(await headers()),
    cookies: Object.fromEntries(cookieStore.getAll().map((c) => [c.name, c.value])),
  };
  return sessionIdFrom(req as unknown as Parameters<typeof sessionIdFrom>[0]);
}

/** A tRPC caller acting as the signed-in user of this request (or anonymously). */
export async function serverCaller() {
  const sessionId = await currentSessionId();
  return createCaller(await createContext({ db: getDb(), sessionId, env: env() }));
}
