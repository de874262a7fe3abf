import { getDb } from "@parley/db";

export const dynamic = "force-dynamic";

/** Liveness + readiness for load balancers and the compose healthcheck: answers 200 once the database answers. */
export async function GET(): Promise<Response> {
  try {
    await getDb().$queryRaw`SELECT 1`;
    return Response.json({ status: "ok" });
  } catch {
    return Response.json({ status: "unavailable", reason: "database" }, { status: 503 });
  }
}
