import { getDb } from "@parley/db";

export const dynamic = "force-dynamic";

/**
 * 200 once the database answers, through Next (kept for its callers: `npm start`'s wait, the e2e
 * runner). Load balancers and monitors use `/healthz` (alive) and `/readyz` (Postgres, the engine
 * and storage), which apps/web/server.ts answers before Next.
 */
export async function GET(): Promise<Response> {
  try {
    await getDb().$queryRaw`SELECT 1`;
    return Response.json({ status: "ok" });
  } catch {
    return Response.json({ status: "unavailable", reason: "database" }, { status: 503 });
  }
}
