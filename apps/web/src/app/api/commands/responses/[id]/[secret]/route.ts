/**
 * `/api/commands/responses/<id>/<secret>` — a slash command's response_url (delayed answers: up
 * to 5 within 30 minutes; docs/integrations.md). The rules live in core/src/hooks/responses.ts.
 */
import { createResponseUrlHandler } from "@parley/api/slack";
import { getDb } from "@parley/db";
import { env } from "~/env";

export const dynamic = "force-dynamic";

let handler: ((req: Request) => Promise<Response>) | undefined;

function handle(req: Request): Promise<Response> {
  handler ??= createResponseUrlHandler({ db: getDb(), env: env() });
  return handler(req);
}

export { handle as POST };
