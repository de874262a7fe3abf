/**
 * Posting through an incoming webhook (`POST /api/hooks/<id>/<secret>`, Slack's payload): the
 * hook's bot sends into the hook's channel through core's one send path (seq, fan-out,
 * idempotency), exactly as chat.postMessage does. Refusals carry Slack's error strings and HTTP
 * statuses (HookError) and write nothing:
 * - unknown id, wrong secret, revoked hook, deactivated bot → 404 `no_service`;
 * - not JSON / not an object / wrong field types → 400 `invalid_payload`;
 * - neither text nor blocks with text → 400 `no_text`;
 * - archived channel → 410 `channel_is_archived`; the per-hook budget → 429 `rate_limited`.
 * `username`, `icon_emoji`, `icon_url` and `channel` are accepted and ignored: a hook always posts
 * as its bot (name + bot badge) into its own channel (docs/integrations.md).
 * Idempotency: an `Idempotency-Key` header makes the send's clientMsgId (a resend with the same key
 * answers `ok` and stores nothing new); without one each POST is a new message.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { TDb } from "@parley/db";
import { z } from "zod";
import { loadAccess } from "../access.ts";
import { TOUCH_INTERVAL_MS } from "../auth.ts";
import { findMessageByTs } from "../bots/message-ts.ts";
import { blocksToMarkdown, mrkdwnToMarkdown } from "../bots/mrkdwn.ts";
import type { TBotActor } from "../bots/tokens.ts";
import { isParleyError } from "../errors.ts";
import { isUuid, sha256 } from "../ids.ts";
import { sendMessage } from "../messages/send.ts";

/** A refusal in Slack's words: the text body and the HTTP status. */
export class HookError extends Error {
  override name = "HookError";
  constructor(
    readonly code: string,
    readonly status: number,
    /** For 429: seconds until the budget has room again (the Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(code);
  }
}

/** True for a HookError from any copy of this module. */
export function isHookError(err: unknown): err is HookError {
  return err instanceof Error && err.name === "HookError";
}

/** Slack's incoming-webhook payload (the fields Parley reads; others are ignored). */
const ZHookPayload = z.object({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  thread_ts: z.union([z.string(), z.number()]).optional(),
  mrkdwn: z.boolean().optional(),
  username: z.string().optional(),
  icon_emoji: z.string().optional(),
  icon_url: z.string().optional(),
  channel: z.string().optional(),
});

/** Reads a request body as Slack does: JSON, or a form with the JSON in `payload`. */
export function parseHookPayload(contentType: string, raw: string): z.output<typeof ZHookPayload> {
  let json = raw;
  if (contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    json = new URLSearchParams(raw).get("payload") ?? "";
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new HookError("invalid_payload", 400);
  }
  const parsed = ZHookPayload.safeParse(value);
  if (!parsed.success) throw new HookError("invalid_payload", 400);
  return parsed.data;
}

/** The message body a payload makes: its blocks as text, else its text (mrkdwn unless turned off). */
export function hookBody(payload: z.output<typeof ZHookPayload>): string {
  const fromBlocks = payload.blocks ? blocksToMarkdown(payload.blocks).trim() : "";
  const text = payload.text ?? "";
  const body = fromBlocks !== "" ? fromBlocks : payload.mrkdwn === false ? text : mrkdwnToMarkdown(text);
  if (body.trim() === "") throw new HookError("no_text", 400);
  return body;
}

/** A UUID made from the hook and the caller's idempotency key (the same key, the same message). */
function clientMsgIdFor(hookId: string, key: string | null): string {
  if (!key) return randomUUID();
  const h = createHash("sha256").update(`${hookId}\n${key}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The live hook behind an id and secret, as the bot actor it posts as; `no_service` otherwise. */
export async function resolveIncomingWebhook(
  db: TDb,
  id: string,
  secret: string,
): Promise<{ hookId: string; conversationId: string; actor: TBotActor }> {
  if (!isUuid(id) || secret.length === 0 || secret.length > 200) throw new HookError("no_service", 404);
  const hook = await db.incomingWebhook.findUnique({
    where: { id },
    select: {
      id: true,
      secretHash: true,
      revokedAt: true,
      lastUsedAt: true,
      conversationId: true,
      bot: { select: { id: true, role: true, isBot: true, deactivatedAt: true } },
    },
  });
  const given = Buffer.from(sha256(secret));
  const stored = Buffer.from(hook?.secretHash ?? "");
  const isMatch = given.length === stored.length && timingSafeEqual(given, stored);
  if (!hook || !isMatch || hook.revokedAt || !hook.bot.isBot || hook.bot.deactivatedAt) {
    throw new HookError("no_service", 404);
  }
  const now = Date.now();
  if (!hook.lastUsedAt || now - hook.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
    await db.$executeRaw`
      UPDATE "IncomingWebhook" SET "lastUsedAt" = ${new Date(now)}
      WHERE id = ${hook.id}::uuid
        AND ("lastUsedAt" IS NULL OR "lastUsedAt" < ${new Date(now - TOUCH_INTERVAL_MS)})`;
  }
  return {
    hookId: hook.id,
    conversationId: hook.conversationId,
    actor: {
      userId: hook.bot.id,
      role: hook.bot.role,
      tokenId: `hook:${hook.id}`,
      scope: { channelIds: [hook.conversationId], canRead: false, canWrite: true },
    },
  };
}

export type TIncomingPost = {
  /** The hook's id and secret, from its URL. */
  id: string;
  secret: string;
  contentType: string;
  body: string;
  idempotencyKey: string | null;
  /** Takes the hook's budget (throws a TOO_MANY_REQUESTS ParleyError when spent). */
  beginCall?: (hookId: string) => Promise<void>;
};

/** Posts one payload through a hook (see the header); resolves with the stored message's id and seq. */
export async function postIncomingWebhook(
  db: TDb,
  input: TIncomingPost,
): Promise<{ messageId: string; seq: number; duplicate: boolean }> {
  const hook = await resolveIncomingWebhook(db, input.id, input.secret);
  if (input.beginCall) {
    try {
      await input.beginCall(hook.hookId);
    } catch (err) {
      if (isParleyError(err, "TOO_MANY_REQUESTS")) {
        const wait = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
        throw new HookError("rate_limited", 429, typeof wait === "number" ? wait : undefined);
      }
      throw err;
    }
  }
  const payload = parseHookPayload(input.contentType, input.body);
  const body = hookBody(payload);
  const access = await loadAccess(db, hook.actor, hook.conversationId);
  if (access.memberRole === null) throw new HookError("channel_not_found", 404);
  if (access.archivedAt) throw new HookError("channel_is_archived", 410);
  let threadRootId: string | undefined;
  if (payload.thread_ts !== undefined) {
    const root = await findMessageByTs(db, hook.conversationId, access.lastSeq, String(payload.thread_ts));
    if (!root || root.deletedAt) throw new HookError("thread_not_found", 404);
    threadRootId = root.threadRootId ?? root.id;
  }
  try {
    const result = await sendMessage(db, hook.actor, {
      conversationId: hook.conversationId,
      clientMsgId: clientMsgIdFor(hook.hookId, input.idempotencyKey),
      body,
      ...(threadRootId ? { threadRootId } : {}),
    });
    return { messageId: result.message.id, seq: result.message.seq, duplicate: result.duplicate };
  } catch (err) {
    if (isParleyError(err, "BAD_REQUEST")) throw new HookError("invalid_payload", 400);
    if (isParleyError(err, "FORBIDDEN") || isParleyError(err, "NOT_FOUND")) {
      throw new HookError("action_prohibited", 403);
    }
    throw err;
  }
}
