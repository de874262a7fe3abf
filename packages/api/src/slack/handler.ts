/**
 * The Slack-compatible Web API (docs/integrations.md): `POST|GET <base>/<method>` answered in
 * Slack's shape — HTTP 200 with `{ ok: true, … }` or `{ ok: false, error }`, HTTP 429 with
 * `Retry-After` for `ratelimited`. Framework-free (a fetch `Request` in, a `Response` out), so the
 * web app's route (apps/web/src/app/api/slack/[method]/route.ts) and tests on a plain node:http
 * server mount the same function.
 *
 * Each call: the method is looked up (unknown_method); arguments come from the query, a
 * form-encoded or a JSON body; the token from `Authorization: Bearer` or the `token` argument —
 * a bot token (`pbt_…`, scoped) or a person's personal access token (`plt_…`, the person's own
 * rights); the token's per-minute budget is taken; then the method runs through core. To add a
 * method: write it in methods/, add it to METHODS with the subject its NOT_FOUND errors are about.
 */
import { loadEnv, type TEnv } from "@parley/config";
import {
  type AuthRateLimiter,
  authRateLimiter,
  processLogger,
  resolveAccessToken,
  resolveBotToken,
} from "@parley/core";
import { getStorage } from "@parley/core/files";
import type { TDb } from "@parley/db";
import type { TSlackCall, TSlackMethod } from "./call.ts";
import { SlackError, slackErrorOf, type TSlackSubject } from "./errors.ts";
import * as chat from "./methods/chat.ts";
import * as conversations from "./methods/conversations.ts";
import * as files from "./methods/files.ts";
import * as people from "./methods/people.ts";
import type { TSlackParams } from "./params.ts";

type TVerb = "read" | "post" | "update" | "delete" | "manage";

/** Every supported method: its implementation and what its errors are about. */
const METHODS: Record<string, { run: TSlackMethod; subject: TSlackSubject; verb: TVerb }> = {
  "auth.test": { run: people.authTest, subject: "user", verb: "read" },
  "chat.postMessage": { run: chat.postMessage, subject: "channel", verb: "post" },
  "chat.update": { run: chat.update, subject: "message", verb: "update" },
  "chat.delete": { run: chat.remove, subject: "message", verb: "delete" },
  "conversations.list": { run: conversations.list, subject: "channel", verb: "read" },
  "conversations.history": { run: conversations.history, subject: "channel", verb: "read" },
  "conversations.replies": { run: conversations.replies, subject: "thread", verb: "read" },
  "conversations.info": { run: conversations.info, subject: "channel", verb: "read" },
  "conversations.members": { run: conversations.members, subject: "channel", verb: "read" },
  "conversations.create": { run: conversations.create, subject: "channel", verb: "manage" },
  "conversations.join": { run: conversations.join, subject: "channel", verb: "manage" },
  "conversations.invite": { run: conversations.invite, subject: "user", verb: "manage" },
  "files.getUploadURLExternal": { run: files.getUploadURLExternal, subject: "file", verb: "post" },
  "files.completeUploadExternal": { run: files.completeUploadExternal, subject: "file", verb: "post" },
  "users.list": { run: people.usersList, subject: "user", verb: "read" },
  "users.info": { run: people.usersInfo, subject: "user", verb: "read" },
  "users.lookupByEmail": { run: people.usersLookupByEmail, subject: "user", verb: "read" },
  "reactions.add": { run: people.reactionsAdd, subject: "reaction", verb: "post" },
  "reactions.remove": { run: people.reactionsRemove, subject: "reaction", verb: "post" },
};

/** The supported method names (docs and tests list them). */
export const SLACK_METHODS = Object.keys(METHODS).sort();

/** Largest request body read (Slack's own limit for chat.postMessage is about this size). */
const MAX_BODY_BYTES = 1024 * 1024;

export type TSlackHandlerOptions = {
  db: TDb;
  /** Settings; defaults to this process's `loadEnv()`. */
  env?: TEnv;
  /** Per-token call budgets; defaults to the process's shared limiter (Redis when configured). */
  rateLimiter?: AuthRateLimiter;
  /** The client's address for the audit log (the server decides it, honouring TRUST_PROXY). */
  clientAddress?: (req: Request) => string | undefined;
};

function answer(body: Record<string, unknown>, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

function failure(err: SlackError): Response {
  const { retryAfterSeconds, ...extra } = err.extra as { retryAfterSeconds?: number };
  if (err.code === "ratelimited") {
    const wait = String(Math.max(1, Math.ceil(retryAfterSeconds ?? 1)));
    return answer({ ok: false, error: "ratelimited" }, 429, { "retry-after": wait });
  }
  return answer({ ok: false, error: err.code, ...extra });
}

/** Query arguments, then the body's (form-encoded, multipart text fields or JSON) over them. */
async function readParams(req: Request, url: URL): Promise<TSlackParams> {
  const params: TSlackParams = Object.fromEntries(url.searchParams);
  if (req.method !== "POST") return params;
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    const form = await req.formData();
    for (const [k, v] of form) if (typeof v === "string") params[k] = v;
    return params;
  }
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new SlackError("request_too_large");
  if (text === "") return params;
  if (type.startsWith("application/json")) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SlackError("invalid_json");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new SlackError("json_not_object");
    return { ...params, ...(body as TSlackParams) };
  }
  return { ...params, ...Object.fromEntries(new URLSearchParams(text)) };
}

function bearerOf(req: Request): string | undefined {
  const value = req.headers.get("authorization");
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
}

/** The caller behind a token: a scoped bot, or a person (no scope); null when it is not a live token. */
async function resolveCaller(db: TDb, token: string): Promise<TSlackCall["actor"] | null> {
  const bot = await resolveBotToken(db, token);
  if (bot) return bot;
  const person = await resolveAccessToken(db, token);
  return person ? { userId: person.userId, role: person.role, tokenId: person.tokenId } : null;
}

/** Builds the handler: `(request) => response` for `<base>/<method>`. */
export function createSlackHandler(opts: TSlackHandlerOptions): (req: Request) => Promise<Response> {
  return async (req) => {
    const env = opts.env ?? loadEnv();
    const url = new URL(req.url);
    const methodName = decodeURIComponent(url.pathname.split("/").pop() ?? "");
    const method = METHODS[methodName];
    if (!method) return failure(new SlackError("unknown_method"));
    try {
      const params = await readParams(req, url);
      const token = bearerOf(req) ?? (typeof params.token === "string" ? params.token : undefined);
      if (!token) throw new SlackError("not_authed");
      const actor = await resolveCaller(opts.db, token);
      if (!actor) throw new SlackError("invalid_auth");
      await (opts.rateLimiter ?? authRateLimiter(env)).beginApiCall({ tokenId: actor.tokenId });
      const address = opts.clientAddress?.(req);
      const userAgent = req.headers.get("user-agent");
      const result = await method.run({
        db: opts.db,
        env,
        actor,
        params,
        url,
        origin: { ...(address ? { ip: address } : {}), ...(userAgent ? { userAgent } : {}) },
        storage: () => getStorage(env).catch(() => undefined),
      });
      return answer({ ok: true, ...result });
    } catch (err) {
      const slack = slackErrorOf(err, method.subject, method.verb);
      if (slack) return failure(slack);
      processLogger().error({ err, method: methodName }, "Slack API call failed");
      return answer({ ok: false, error: "internal_error" });
    }
  };
}
