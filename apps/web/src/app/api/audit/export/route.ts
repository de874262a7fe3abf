/**
 * `GET /api/audit/export?action=…&actorId=…&actor=…&from=…&to=…` — the audit log as CSV (admins
 * only, checked by core's exportAuditCsv, which also records `audit.exported`). Streams the rows
 * page by page; fields are quoted and formula-safe (core/src/audit/csv.ts). Identity as for tRPC:
 * the session cookie, or `Authorization: Bearer plt_…`.
 */
import { createContext } from "@parley/api";
import { exportAuditCsv, isParleyError } from "@parley/core";
import { getDb } from "@parley/db";
import type { NextRequest } from "next/server";
import { env } from "~/env";
import { clientIp, sessionIdFrom } from "~/server/auth";

export const dynamic = "force-dynamic";

const STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
};
const FILTERS = ["action", "actorId", "actor", "from", "to"] as const;

function bearer(req: NextRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "");
  return match?.[1];
}

export async function GET(req: NextRequest): Promise<Response> {
  const bearerToken = bearer(req);
  const ctx = await createContext({
    db: getDb(),
    sessionId: bearerToken ? undefined : await sessionIdFrom(req),
    bearerToken,
    env: env(),
    clientAddress: clientIp(req.headers),
    userAgent: req.headers.get("user-agent"),
  });
  if (!ctx.actor) return new Response("Sign in first", { status: 401 });
  const params = new URL(req.url).searchParams;
  const filter: Record<string, string> = {};
  for (const key of FILTERS) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  let lines: AsyncIterable<string>;
  try {
    lines = await exportAuditCsv(ctx.db, ctx.actor, filter, ctx.origin);
  } catch (err) {
    const status = isParleyError(err) ? STATUS[err.code] : undefined;
    if (status) return new Response(err instanceof Error ? err.message : "", { status });
    throw err;
  }
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  const day = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="parley-audit-${day}.csv"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
