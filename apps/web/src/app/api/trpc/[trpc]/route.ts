/**
 * The tRPC HTTP endpoint. Identity comes from exactly two places: the next-auth cookie (its
 * AuthSession id) for browsers, or `Authorization: Bearer plt_…` for personal access tokens.
 */
import { appRouter, createContext } from "@parley/api";
import { getDb } from "@parley/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { NextRequest } from "next/server";
import { env } from "~/env";
import { clientIp, sessionIdFrom } from "~/server/auth";

function bearer(req: NextRequest): string | undefined {
  const value = req.headers.get("authorization");
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
}

function handler(req: NextRequest) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => {
      const bearerToken = bearer(req);
      const sessionId = bearerToken ? undefined : await sessionIdFrom(req);
      return createContext({
        db: getDb(),
        sessionId,
        bearerToken,
        env: env(),
        clientAddress: clientIp(req.headers),
        userAgent: req.headers.get("user-agent"),
      });
    },
    // A rate-limited call (TOO_MANY_REQUESTS, HTTP 429) says when to come back.
    responseMeta({ errors }) {
      const waits = errors
        .map((e) => (e.cause as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds)
        .filter((s): s is number => typeof s === "number");
      return waits.length > 0 ? { headers: new Headers({ "Retry-After": String(Math.max(...waits)) }) } : {};
    },
    // Internal errors are logged by @parley/api's error formatter, with the request id the client
    // is shown (the client never sees the cause).
  });
}

export { handler as GET, handler as POST };
