/**
 * Bot tokens (`pbt_…`): the only credential a bot has. Made by an admin (manage.ts), shown once,
 * stored as SHA-256 like personal access tokens (tokens.ts), and scoped: a list of channels and
 * whether it may read and/or write them (scope.ts enforces it). A token resolves to a bot actor:
 * the bot user (an ordinary `member` everywhere core looks) plus the token's id and scope.
 *
 * The Slack-compatible Web API (`resolveBotToken`) and the realtime gateway (the bot events
 * stream: `resolveBotTokensByHash`, batched with concurrent upgrades) accept these tokens; tRPC
 * does not (a bot token there is no credential at all). Anything that later posts as a bot
 * (incoming webhooks) builds the same TBotActor from a stored scope.
 */
import type { TDb } from "@parley/db";
import type { TActor } from "../actor.ts";
import { TOUCH_INTERVAL_MS } from "../auth.ts";
import { sha256 } from "../ids.ts";

/** Every bot token starts with this, so leaked ones are recognisable (secret scanners). */
export const BOT_TOKEN_PREFIX = "pbt_";
/** Characters of a token kept in clear (its prefix), shown in lists. */
export const BOT_TOKEN_PREFIX_LENGTH = 12;

/** What one bot token may reach. */
export type TBotScope = {
  /** Channels (public or private) the token reaches; nothing else exists for it. */
  channelIds: readonly string[];
  canRead: boolean;
  canWrite: boolean;
};

/** A bot acting through one of its tokens. */
export type TBotActor = TActor & { tokenId: string; scope: TBotScope };

type TBotTokenRow = {
  id: string;
  tokenHash: string;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  channelIds: string[];
  canRead: boolean;
  canWrite: boolean;
  bot: { id: string; role: TActor["role"]; deactivatedAt: Date | null; isBot: boolean };
};

/** The SHA-256 a bot token is stored (and looked up) by. */
export function botTokenHash(token: string): string {
  return sha256(token);
}

/**
 * The bot behind a bearer token, or null when it is unknown, revoked, or its bot is deactivated
 * (or not a bot: a defence against a hand-edited row). Records lastUsedAt at most once a minute.
 */
export async function resolveBotToken(db: TDb, token: string): Promise<TBotActor | null> {
  if (!token.startsWith(BOT_TOKEN_PREFIX) || token.length > 200) return null;
  const hash = botTokenHash(token);
  return (await resolveBotTokensByHash(db, [hash])).get(hash) ?? null;
}

/**
 * resolveBotToken for many tokens at once, by their hashes (botTokenHash): one query for all of
 * them and one UPDATE for those whose lastUsedAt is due. Hashes that do not resolve to a live
 * token of an active bot are absent from the map. The gateway batches concurrent upgrades
 * through this.
 */
export async function resolveBotTokensByHash(
  db: TDb,
  hashes: readonly string[],
): Promise<Map<string, TBotActor>> {
  const result = new Map<string, TBotActor>();
  if (hashes.length === 0) return result;
  const rows: TBotTokenRow[] = await db.botToken.findMany({
    where: { tokenHash: { in: [...new Set(hashes)] } },
    select: {
      id: true,
      tokenHash: true,
      revokedAt: true,
      lastUsedAt: true,
      channelIds: true,
      canRead: true,
      canWrite: true,
      bot: { select: { id: true, role: true, deactivatedAt: true, isBot: true } },
    },
  });
  const now = Date.now();
  const due: string[] = [];
  for (const row of rows) {
    if (row.revokedAt || row.bot.deactivatedAt || !row.bot.isBot) continue;
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) due.push(row.id);
    result.set(row.tokenHash, {
      userId: row.bot.id,
      role: row.bot.role,
      tokenId: row.id,
      scope: { channelIds: row.channelIds, canRead: row.canRead, canWrite: row.canWrite },
    });
  }
  if (due.length > 0) {
    // Conditional, so concurrent requests (other gateways, the Web API) write once.
    await db.$executeRaw`
      UPDATE "BotToken" SET "lastUsedAt" = ${new Date(now)}
      WHERE id = ANY(${due}::uuid[])
        AND ("lastUsedAt" IS NULL OR "lastUsedAt" < ${new Date(now - TOUCH_INTERVAL_MS)})`;
  }
  return result;
}
