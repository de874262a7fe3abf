/**
 * `/api/slack/<method>` — the Slack-compatible Web API for bots (docs/integrations.md). Point a
 * Slack SDK's `slackApiUrl` at `<origin>/api/slack/`. All of it lives in @parley/api/slack (a
 * framework-free Request → Response handler); this file only mounts it.
 */
import { createSlackHandler } from "@parley/api/slack";
import { getDb } from "@parley/db";
import { env } from "~/env";
import { clientIp } from "~/server/auth";

export const dynamic = "force-dynamic";

let handler: ((req: Request) => Promise<Response>) | undefined;

function handle(req: Request): Promise<Response> {
  handler ??= createSlackHandler({ db: getDb(), env: env(), clientAddress: (r) => clientIp(r.headers) });
  return handler(req);
}

export { handle as GET, handle as POST };
