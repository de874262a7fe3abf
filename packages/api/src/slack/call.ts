/** What a Slack method gets: the caller (a scoped bot or a person's token), its arguments and the services. */
import type { TEnv } from "@parley/config";
import type { TAuditOrigin, TScopedActor } from "@parley/core";
import type { getStorage } from "@parley/core/files";
import type { TDb } from "@parley/db";
import type { TSlackParams } from "./params.ts";

type TStorage = Awaited<ReturnType<typeof getStorage>>;

export type TSlackCall = {
  db: TDb;
  env: TEnv;
  /** The bot (with its token's scope) or the person behind a personal access token. */
  actor: TScopedActor & { tokenId: string };
  params: TSlackParams;
  origin: TAuditOrigin;
  /** The attachment store, when configured (deleting a message removes its files). */
  storage: () => Promise<TStorage | undefined>;
  /** The request's URL (auth.test answers the server's origin). */
  url: URL;
};

/** A method: its answer's fields beside `ok: true`, or a thrown SlackError/ParleyError. */
export type TSlackMethod = (call: TSlackCall) => Promise<Record<string, unknown>>;

/** The server's public origin: PUBLIC_URL's when configured (behind a proxy the request's own URL is an inside one). */
export function publicOrigin(call: Pick<TSlackCall, "env" | "url">): string {
  return call.env.PUBLIC_URL ? new URL(call.env.PUBLIC_URL).origin : call.url.origin;
}
