/**
 * Bots, as admins manage them (Settings → Bots, tRPC `bots.*`): make a bot (a User with `isBot`,
 * role member, an unusable password hash and an address no mail reaches), give it tokens scoped
 * to channels and to reading and/or writing, list them with their last use, revoke them. Every
 * change is audit-logged in its own transaction. A bot is deactivated like anyone (Settings →
 * People), which stops its tokens at once (resolveBotToken checks the user) and closes its
 * event-stream sockets (4403, the revocation bus), as for people.
 */
import { randomUUID } from "node:crypto";
import type { TDb } from "@parley/db";
import { zLine } from "@parley/protocol";
import { z } from "zod";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { randomSecret, sha256 } from "../ids.ts";
import { notifyCredentialRevoked } from "../revocations.ts";
import { ZById, ZId, ZPersonName } from "../schemas.ts";
import { BOT_TOKEN_PREFIX, BOT_TOKEN_PREFIX_LENGTH } from "./tokens.ts";

/** The domain of bots' e-mail addresses: reserved (RFC 2606), so nothing is ever sent there. */
export const BOT_EMAIL_DOMAIN = "bots.parley.invalid";
/** A stored password hash no password verifies against (not an argon2 string). */
const NO_PASSWORD = "!bot";
/** Most channels one token may reach. */
export const MAX_BOT_TOKEN_CHANNELS = 500;

export const ZCreateBot = z.object({ name: ZPersonName });
export type TCreateBot = z.input<typeof ZCreateBot>;

export const ZCreateBotToken = z
  .object({
    botId: ZId,
    name: zLine().trim().min(1, errorTemplate("token name is required")).max(80),
    channelIds: z
      .array(ZId)
      .min(1, errorTemplate("pick at least one channel"))
      .max(MAX_BOT_TOKEN_CHANNELS)
      .refine((ids) => new Set(ids).size === ids.length, errorTemplate("lists the same channel twice")),
    canRead: z.boolean(),
    canWrite: z.boolean(),
  })
  .refine((t) => t.canRead || t.canWrite, {
    path: ["canWrite"],
    message: errorTemplate("allow reading, writing or both"),
  });
export type TCreateBotToken = z.input<typeof ZCreateBotToken>;

/** A bot token as listed to admins (never the secret). */
export type TBotTokenDto = {
  id: string;
  name: string;
  prefix: string;
  channels: { id: string; name: string }[];
  canRead: boolean;
  canWrite: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
};

/** A bot with its live tokens. */
export type TBotDto = {
  id: string;
  name: string;
  deactivatedAt: Date | null;
  createdAt: Date;
  tokens: TBotTokenDto[];
};

const tokenSelect = {
  id: true,
  name: true,
  prefix: true,
  channelIds: true,
  canRead: true,
  canWrite: true,
  createdAt: true,
  lastUsedAt: true,
} as const;

/** Makes a bot user (admins). It is in no channel until someone adds it or a token joins one. */
export async function createBot(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<Omit<TBotDto, "tokens">> {
  requireAdmin(actor);
  const { name } = parseInput(ZCreateBot, input);
  return db.$transaction(async (tx) => {
    const bot = await tx.user.create({
      data: {
        name,
        email: `bot-${randomUUID()}@${BOT_EMAIL_DOMAIN}`,
        passwordHash: NO_PASSWORD,
        role: "member",
        isBot: true,
      },
      select: { id: true, name: true, deactivatedAt: true, createdAt: true },
    });
    await recordAudit(tx, {
      action: "bot.created",
      actorId: actor.userId,
      target: { type: "bot", id: bot.id, label: bot.name },
      origin,
    });
    return bot;
  });
}

/** Every bot, by name, with its tokens that are not revoked (admins). */
export async function listBots(db: TDb, actor: TActor): Promise<TBotDto[]> {
  requireAdmin(actor);
  const bots = await db.user.findMany({
    where: { isBot: true },
    orderBy: [{ name: "asc" }, { id: "asc" }],
    select: {
      id: true,
      name: true,
      deactivatedAt: true,
      createdAt: true,
      botTokens: { where: { revokedAt: null }, orderBy: { createdAt: "desc" }, select: tokenSelect },
    },
  });
  const channelIds = [...new Set(bots.flatMap((b) => b.botTokens.flatMap((t) => t.channelIds)))];
  const channels = await db.conversation.findMany({
    where: { id: { in: channelIds } },
    select: { id: true, name: true },
  });
  const names = new Map(channels.map((c) => [c.id, c.name ?? ""]));
  return bots.map(({ botTokens, ...bot }) => ({
    ...bot,
    tokens: botTokens.map(({ channelIds: ids, ...t }) => ({
      ...t,
      // A deleted channel drops out of the list (and out of reach: it no longer exists).
      channels: ids.filter((id) => names.has(id)).map((id) => ({ id, name: names.get(id) ?? "" })),
    })),
  }));
}

/**
 * A new token for a bot (admins); the returned `token` is shown once and cannot be recovered.
 * NOT_FOUND for an unknown (or non-bot, or deactivated) bot; BAD_REQUEST for ids that are not
 * channels.
 */
export async function createBotToken(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TBotTokenDto & { token: string }> {
  requireAdmin(actor);
  const data = parseInput(ZCreateBotToken, input);
  const token = `${BOT_TOKEN_PREFIX}${randomSecret(32)}`;
  return db.$transaction(async (tx) => {
    const bot = await tx.user.findUnique({
      where: { id: data.botId },
      select: { id: true, name: true, isBot: true, deactivatedAt: true },
    });
    if (!bot?.isBot || bot.deactivatedAt) throw new ParleyError("NOT_FOUND", "Bot not found");
    const channels = await tx.conversation.findMany({
      where: { id: { in: data.channelIds }, kind: { in: ["public_channel", "private_channel"] } },
      select: { id: true, name: true },
    });
    if (channels.length !== data.channelIds.length) {
      throw new ParleyError("BAD_REQUEST", "Every id must be a channel of this workspace");
    }
    const row = await tx.botToken.create({
      data: {
        botId: bot.id,
        name: data.name,
        tokenHash: sha256(token),
        prefix: token.slice(0, BOT_TOKEN_PREFIX_LENGTH),
        channelIds: data.channelIds,
        canRead: data.canRead,
        canWrite: data.canWrite,
        createdById: actor.userId,
      },
      select: tokenSelect,
    });
    await recordAudit(tx, {
      action: "bot.token_created",
      actorId: actor.userId,
      target: { type: "bot", id: bot.id, label: bot.name },
      origin,
      details: {
        tokenId: row.id,
        name: row.name,
        prefix: row.prefix,
        channelIds: row.channelIds,
        canRead: row.canRead,
        canWrite: row.canWrite,
      },
    });
    const byId = new Map(channels.map((c) => [c.id, c.name ?? ""]));
    const { channelIds, ...rest } = row;
    return { ...rest, channels: channelIds.map((id) => ({ id, name: byId.get(id) ?? "" })), token };
  });
}

/**
 * Revokes a bot token (admins): its next Web API call is refused, and after the commit the
 * revocation bus closes its open event-stream sockets (4401) in every gateway. NOT_FOUND when
 * unknown or already revoked.
 */
export async function revokeBotToken(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<void> {
  requireAdmin(actor);
  const { id } = parseInput(ZById, input);
  await db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ name: string; prefix: string; botId: string }[]>`
      UPDATE "BotToken" SET "revokedAt" = ${new Date()}
      WHERE id = ${id}::uuid AND "revokedAt" IS NULL
      RETURNING name, prefix, "botId"`;
    const token = rows[0];
    if (!token) throw new ParleyError("NOT_FOUND", "Token not found");
    await recordAudit(tx, {
      action: "bot.token_revoked",
      actorId: actor.userId,
      target: { type: "bot", id: token.botId, label: token.name },
      origin,
      details: { tokenId: id, prefix: token.prefix },
    });
  });
  notifyCredentialRevoked({ kind: "token", tokenId: id });
}
