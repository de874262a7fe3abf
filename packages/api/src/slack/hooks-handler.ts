/**
 * Incoming webhooks (`POST <base>/<id>/<secret>`) and slash commands' response URLs
 * (`POST <base>/<id>/<secret>`), answered like Slack: HTTP 200 with the text body `ok`, or a 4xx
 * with Slack's error string as the text body (`invalid_payload`, `no_text`, `channel_is_archived`,
 * `no_service`, `rate_limited` with Retry-After, …). Framework-free like handler.ts: the web app's
 * routes (apps/web/src/app/api/hooks/…, apps/web/src/app/api/commands/responses/…) and tests on a
 * plain node:http server mount the same functions. All the rules live in core (core/src/hooks/).
 */
import { loadEnv, type TEnv } from "@parley/config";
import {
  type AuthRateLimiter,
  answerResponseUrl,
  authRateLimiter,
  isHookError,
  postIncomingWebhook,
  processLogger,
} from "@parley/core";
import type { TDb } from "@parley/db";

/** Largest payload read (Slack caps a message near this size). */
const MAX_BODY_BYTES = 1024 * 1024;

export type THooksHandlerOptions = {
  db: TDb;
  env?: TEnv;
  /** Per-hook budgets; defaults to the process's shared limiter (the Slack API's per-token budget). */
  rateLimiter?: AuthRateLimiter;
};

function text(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** The last two path segments: `<id>/<secret>`. */
function idAndSecret(req: Request): { id: string; secret: string } {
  const parts = new URL(req.url).pathname.split("/").filter(Boolean);
  return { id: decodeURIComponent(parts.at(-2) ?? ""), secret: decodeURIComponent(parts.at(-1) ?? "") };
}

async function readBody(req: Request): Promise<string | null> {
  const body = await req.text();
  return Buffer.byteLength(body) > MAX_BODY_BYTES ? null : body;
}

function failure(err: unknown, what: string): Response {
  if (isHookError(err)) {
    // The limiter's own wait (1–60 s: the budget is per minute); 60 when it gave none.
    const wait = String(Math.min(60, Math.max(1, Math.ceil(err.retryAfterSeconds ?? 60))));
    return text(err.code, err.status, err.status === 429 ? { "retry-after": wait } : {});
  }
  processLogger().error({ err }, `${what} failed`);
  return text("internal_error", 500);
}

/** Builds the incoming-webhook handler: `(request) => response` for `<base>/<id>/<secret>`. */
export function createIncomingWebhookHandler(
  opts: THooksHandlerOptions,
): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== "POST") return text("invalid_payload", 405, { allow: "POST" });
    try {
      const body = await readBody(req);
      if (body === null) return text("invalid_payload", 413);
      const limiter = opts.rateLimiter ?? authRateLimiter(opts.env ?? loadEnv());
      await postIncomingWebhook(opts.db, {
        ...idAndSecret(req),
        contentType: req.headers.get("content-type") ?? "application/json",
        body,
        idempotencyKey: req.headers.get("idempotency-key"),
        beginCall: (hookId) => limiter.beginApiCall({ tokenId: `hook:${hookId}` }),
      });
      return text("ok", 200);
    } catch (err) {
      return failure(err, "incoming webhook");
    }
  };
}

/** Builds the response_url handler: `(request) => response` for `<base>/<id>/<secret>`. */
export function createResponseUrlHandler(opts: THooksHandlerOptions): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== "POST") return text("invalid_payload", 405, { allow: "POST" });
    try {
      const body = await readBody(req);
      if (body === null) return text("invalid_payload", 413);
      await answerResponseUrl(opts.db, {
        ...idAndSecret(req),
        contentType: req.headers.get("content-type") ?? "application/json",
        body,
      });
      return text("ok", 200);
    } catch (err) {
      return failure(err, "response_url");
    }
  };
}
