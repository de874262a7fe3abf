/**
 * A bot token's reach, enforced in core: every read or write the Slack-compatible API — and a bot
 * token's socket on the gateway (send, markRead, typing; stream.ts has what it may see) — makes
 * about a channel passes `requireChannelScope` first, which applies the bot user's own read rule (an
 * unreadable or unknown id answers NOT_FOUND, as everywhere) and then the token's scope
 * (OutOfScopeError). The core service called next applies the usual membership, archive and
 * window rules on top. A person's personal access token has no scope: `scope` undefined.
 */
import type { TDb } from "@parley/db";
import { isChannelKind, loadAccess, requireRead, type TConversationAccess } from "../access.ts";
import type { TActor } from "../actor.ts";
import { errorTemplate, ParleyError } from "../errors.ts";
import type { TBotScope } from "./tokens.ts";

/** What a token lacks: the channel itself, or reading or writing in it. */
export type TMissingScope = "channel" | "read" | "write";

/** FORBIDDEN: the bot token does not reach this channel, or may not read or write it. */
export class OutOfScopeError extends ParleyError {
  override name = "OutOfScopeError";
  readonly missing: TMissingScope;

  constructor(missing: TMissingScope) {
    super(
      "FORBIDDEN",
      missing === "channel"
        ? errorTemplate("This bot token does not reach this channel")
        : missing === "read"
          ? errorTemplate("This bot token may not read messages")
          : errorTemplate("This bot token may not write messages"),
    );
    this.missing = missing;
  }
}

/** True for an OutOfScopeError from any copy of this module (Next may bundle several). */
export function isOutOfScope(err: unknown): err is OutOfScopeError {
  return err instanceof Error && err.name === "OutOfScopeError";
}

/**
 * An actor as the bot-facing APIs see it: a bot (scoped, with its token's id) or a person's
 * personal access token (`scope` undefined: the person's own rights).
 */
export type TScopedActor = TActor & { scope?: TBotScope | undefined; tokenId?: string | undefined };

/** Throws OutOfScopeError unless the actor's scope (if any) allows `need`. */
export function requireCapability(actor: TScopedActor, need: "read" | "write"): void {
  if (!actor.scope) return;
  if (need === "read" ? !actor.scope.canRead : !actor.scope.canWrite) throw new OutOfScopeError(need);
}

/** True when the scope (if any) reaches the conversation (channels only: DMs are never in a scope). */
export function scopeReaches(actor: TScopedActor, access: Pick<TConversationAccess, "id" | "kind">): boolean {
  if (!actor.scope) return true;
  return isChannelKind(access.kind) && actor.scope.channelIds.includes(access.id);
}

/**
 * The conversation as the actor may see it, for `need`: NOT_FOUND when the bot user cannot read it
 * (as unknown), OutOfScopeError when its token does not reach it or lacks `need`.
 */
export async function requireChannelScope(
  db: TDb,
  actor: TScopedActor,
  conversationId: string,
  need: "read" | "write",
): Promise<TConversationAccess> {
  const access = await loadAccess(db, actor, conversationId);
  requireRead(access);
  if (!scopeReaches(actor, access)) throw new OutOfScopeError("channel");
  requireCapability(actor, need);
  return access;
}
