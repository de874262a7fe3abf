/**
 * `/api/hooks/<id>/<secret>` — incoming webhooks (Slack's payload; docs/integrations.md). All of
 * it lives in @parley/api/slack and core/src/hooks; this file only mounts it.
 */
import { createIncomingWebhookHandler } from "@parley/api/slack";
import { getDb } from "@parley/db";
import { env } from "~/env";

export const dynamic = "force-dynamic";

let handler: ((req: Request) => Promise<Response>) | undefined;

function handle(req: Request): Promise<Response> {
  handler ??= createIncomingWebhookHandler({ db: getDb(), env: env() });
  return handler(req);
}

export { handle as POST };
