/**
 * `/api/slack/upload/<file id>/<secret>` — where a bot POSTs a file's bytes after
 * files.getUploadURLExternal (docs/integrations.md). All of it lives in @parley/api/slack
 * (upload-handler.ts) and core/src/bots/uploads.ts; this file only mounts it. The request proxy
 * (src/proxy.ts) skips this path: it would hold the body in memory and cut it at 10 MB.
 */
import { createSlackUploadHandler } from "@parley/api/slack";
import { getDb } from "@parley/db";
import { env } from "~/env";

export const dynamic = "force-dynamic";

let handler: ((req: Request) => Promise<Response>) | undefined;

function handle(req: Request): Promise<Response> {
  handler ??= createSlackUploadHandler({ db: getDb(), env: env() });
  return handler(req);
}

export { handle as POST };
