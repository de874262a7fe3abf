/**
 * A slash command's `response_url` (`POST /api/commands/responses/<id>/<secret>`): the app may
 * answer later, like Slack — up to MAX_RESPONSE_USES times within RESPONSE_URL_TTL_MS of the
 * invocation. The secret is in the URL and stored as SHA-256. A bad payload is refused before a
 * use is counted; an expired or used-up URL answers `expired_url` / `used_url`; anything else
 * unknown `no_service`.
 */
import { timingSafeEqual } from "node:crypto";
import { isUniqueViolation, type TDb } from "@parley/db";
import { isUuid, randomSecret, sha256 } from "../ids.ts";
import { deliverAnswer, parseAnswer, type TInvocation } from "./answers.ts";
import { HookError } from "./post.ts";

/** How long a response_url accepts answers (Slack: 30 minutes). */
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** How many answers one response_url accepts (Slack: 5). */
export const MAX_RESPONSE_USES = 5;

/** The path of a response_url (the origin is the server's PUBLIC_URL). */
export function responseUrlPath(id: string, secret: string): string {
  return `/api/commands/responses/${id}/${secret}`;
}

/**
 * Stores a new response_url for an invocation; returns its id and secret, or null when this user
 * already ran a command with this clientMsgId (a resend of the same send: it must not run twice).
 */
export async function createResponseUrl(
  db: TDb,
  inv: TInvocation & { commandId: string; clientMsgId: string },
): Promise<{ id: string; secret: string } | null> {
  const secret = randomSecret(24);
  try {
    const row = await db.slashResponse.create({
      data: {
        commandId: inv.commandId,
        conversationId: inv.conversationId,
        userId: inv.userId,
        threadRootId: inv.threadRootId,
        clientMsgId: inv.clientMsgId,
        secretHash: sha256(secret),
        expiresAt: new Date(Date.now() + RESPONSE_URL_TTL_MS),
      },
      select: { id: true },
    });
    return { id: row.id, secret };
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

/** Reads a JSON answer body (or a form with `payload`), as Slack's response_url accepts. */
function parseJson(contentType: string, raw: string): unknown {
  const text = contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")
    ? (new URLSearchParams(raw).get("payload") ?? "")
    : raw;
  try {
    return JSON.parse(text);
  } catch {
    throw new HookError("invalid_payload", 400);
  }
}

/** Takes one delayed answer through a response_url (see the header). */
export async function answerResponseUrl(
  db: TDb,
  input: { id: string; secret: string; contentType: string; body: string },
): Promise<void> {
  if (!isUuid(input.id) || input.secret.length === 0 || input.secret.length > 200) {
    throw new HookError("no_service", 404);
  }
  const row = await db.slashResponse.findUnique({
    where: { id: input.id },
    select: {
      id: true,
      secretHash: true,
      conversationId: true,
      userId: true,
      threadRootId: true,
      command: { select: { command: true, botId: true } },
    },
  });
  const given = Buffer.from(sha256(input.secret));
  const stored = Buffer.from(row?.secretHash ?? "");
  if (!row || given.length !== stored.length || !timingSafeEqual(given, stored)) {
    throw new HookError("no_service", 404);
  }
  const answer = parseAnswer(parseJson(input.contentType, input.body));
  // One conditional statement: concurrent answers cannot exceed the uses.
  const taken = await db.$queryRaw<{ uses: number }[]>`
    UPDATE "SlashResponse" SET uses = uses + 1
    WHERE id = ${row.id}::uuid AND uses < ${MAX_RESPONSE_USES} AND "expiresAt" > ${new Date()}
    RETURNING uses`;
  if (taken.length === 0) {
    const now = await db.slashResponse.findUnique({ where: { id: row.id }, select: { expiresAt: true } });
    throw now && now.expiresAt.getTime() <= Date.now()
      ? new HookError("expired_url", 410)
      : new HookError("used_url", 410);
  }
  await deliverAnswer(
    db,
    {
      command: row.command.command,
      botId: row.command.botId,
      conversationId: row.conversationId,
      userId: row.userId,
      threadRootId: row.threadRootId,
    },
    answer,
  );
}
