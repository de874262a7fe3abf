/**
 * Incoming webhooks, as admins manage them (Settings → Integrations, tRPC `hooks.*`): a secret URL
 * `/api/hooks/<id>/<secret>` that posts into ONE channel as a bot. Admins only (like bots: a hook
 * is a credential that speaks as a bot; the role model has no per-channel integration managers).
 * Only the SHA-256 of the secret is stored; the URL is shown once. Making a hook adds its bot to
 * the channel (so it posts like any member); revoking stops the URL at once. Every change is
 * audit-logged in its own transaction. Posting is post.ts.
 */
import type { TDb } from "@parley/db";
import { zLine } from "@parley/protocol";
import { z } from "zod";
import { isChannelKind } from "../access.ts";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { addMembersLocked } from "../conversations/members.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { randomSecret, sha256 } from "../ids.ts";
import { ZById, ZId } from "../schemas.ts";
import { inWriteTx } from "../tx.ts";

export const ZCreateIncomingWebhook = z.object({
  name: zLine().trim().min(1, errorTemplate("hook name is required")).max(80),
  conversationId: ZId,
  botId: ZId,
});
export type TCreateIncomingWebhook = z.input<typeof ZCreateIncomingWebhook>;

/** A hook as listed to admins (never its secret). */
export type TIncomingWebhookDto = {
  id: string;
  name: string;
  channel: { id: string; name: string };
  bot: { id: string; name: string };
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const hookSelect = {
  id: true,
  name: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  conversation: { select: { id: true, name: true } },
  bot: { select: { id: true, name: true } },
} as const;

type THookRow = {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  conversation: { id: string; name: string | null };
  bot: { id: string; name: string };
};

function toDto({ conversation, ...row }: THookRow): TIncomingWebhookDto {
  return { ...row, channel: { id: conversation.id, name: conversation.name ?? "" } };
}

/** The path of a hook's URL (the origin is the server's PUBLIC_URL). */
export function incomingWebhookPath(id: string, secret: string): string {
  return `/api/hooks/${id}/${secret}`;
}

/**
 * A new incoming webhook (admins); `secret` (and `path`) are returned once. NOT_FOUND for an
 * unknown or deactivated bot; BAD_REQUEST for an id that is not a live channel.
 */
export async function createIncomingWebhook(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TIncomingWebhookDto & { secret: string; path: string }> {
  requireAdmin(actor);
  const data = parseInput(ZCreateIncomingWebhook, input);
  const secret = randomSecret(24);
  return inWriteTx(db, async (w) => {
    const bot = await w.tx.user.findUnique({
      where: { id: data.botId },
      select: { id: true, name: true, isBot: true, deactivatedAt: true },
    });
    if (!bot?.isBot || bot.deactivatedAt) throw new ParleyError("NOT_FOUND", "Bot not found");
    // Lock the channel (the order every writer takes) before reading its membership.
    const [channel] = await w.tx.$queryRaw<{ id: string; kind: string; archivedAt: Date | null }[]>`
      SELECT id, kind::text AS kind, "archivedAt" FROM "Conversation" WHERE id = ${data.conversationId}::uuid FOR UPDATE`;
    if (!channel || !isChannelKind(channel.kind as never) || channel.archivedAt) {
      throw new ParleyError("BAD_REQUEST", "Pick a channel that is not archived");
    }
    const member = await w.tx.membership.findUnique({
      where: { conversationId_userId: { conversationId: channel.id, userId: bot.id } },
      select: { userId: true },
    });
    if (!member) {
      await addMembersLocked(
        w,
        actor,
        { id: channel.id, kind: channel.kind as never },
        new Map([[bot.id, bot.name]]),
      );
    }
    const row = await w.tx.incomingWebhook.create({
      data: {
        name: data.name,
        conversationId: channel.id,
        botId: bot.id,
        secretHash: sha256(secret),
        createdById: actor.userId,
      },
      select: hookSelect,
    });
    await recordAudit(w.tx, {
      action: "hook.created",
      actorId: actor.userId,
      target: { type: "bot", id: bot.id, label: bot.name },
      origin,
      details: { hookId: row.id, name: row.name, conversationId: channel.id },
    });
    return { ...toDto(row), secret, path: incomingWebhookPath(row.id, secret) };
  });
}

/** Every incoming webhook, newest first, revoked ones included (admins). */
export async function listIncomingWebhooks(db: TDb, actor: TActor): Promise<TIncomingWebhookDto[]> {
  requireAdmin(actor);
  const rows = await db.incomingWebhook.findMany({
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: hookSelect,
  });
  return rows.map(toDto);
}

/** Revokes an incoming webhook (admins); its URL stops at once. NOT_FOUND when unknown or revoked. */
export async function revokeIncomingWebhook(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<void> {
  requireAdmin(actor);
  const { id } = parseInput(ZById, input);
  await db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ name: string; botId: string }[]>`
      UPDATE "IncomingWebhook" SET "revokedAt" = ${new Date()}
      WHERE id = ${id}::uuid AND "revokedAt" IS NULL
      RETURNING name, "botId"`;
    const hook = rows[0];
    if (!hook) throw new ParleyError("NOT_FOUND", "Webhook not found");
    await recordAudit(tx, {
      action: "hook.revoked",
      actorId: actor.userId,
      target: { type: "bot", id: hook.botId, label: hook.name },
      origin,
      details: { hookId: id },
    });
  });
}
