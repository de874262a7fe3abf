/**
 * Slash commands, as admins manage them (Settings → Integrations, tRPC `commands.*`): a name
 * (`/deploy`), the callback URL Parley POSTs Slack's slash-command form to, and the bot whose name
 * answers carry. Admins only. The signing secret is made here and shown once; it is stored as is
 * because signing needs it (an HMAC key cannot be hashed) — SECURITY.md. Names are unique; a
 * deleted command is gone (its pending response_urls with it). Invoking is dispatch.ts.
 */
import type { TDb } from "@parley/db";
import { isUniqueViolation } from "@parley/db";
import { z } from "zod";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { randomSecret } from "../ids.ts";
import { ZById, ZId } from "../schemas.ts";
import { CallbackRefusedError, parseCallbackUrl } from "./outbound.ts";

/** A command's name: a letter, then letters, digits, `-` or `_` (lower case, at most 32). */
export const COMMAND_NAME_RE = /^[a-z][a-z0-9_-]{0,31}$/;

export const ZCreateSlashCommand = z.object({
  command: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) => v.replace(/^\//, ""))
    .pipe(
      z.string().regex(COMMAND_NAME_RE, errorTemplate("a letter, then letters, digits, - or _ (at most 32)")),
    ),
  callbackUrl: z
    .string()
    .trim()
    .max(2000)
    .refine((v) => {
      try {
        parseCallbackUrl(v);
        return true;
      } catch (err) {
        if (err instanceof CallbackRefusedError) return false;
        throw err;
      }
    }, errorTemplate("an http(s) URL without credentials")),
  botId: ZId,
});
export type TCreateSlashCommand = z.input<typeof ZCreateSlashCommand>;

/** A command as listed (never its signing secret). */
export type TSlashCommandDto = {
  id: string;
  command: string;
  callbackUrl: string;
  bot: { id: string; name: string };
  createdAt: Date;
  lastUsedAt: Date | null;
};

const commandSelect = {
  id: true,
  command: true,
  callbackUrl: true,
  createdAt: true,
  lastUsedAt: true,
  bot: { select: { id: true, name: true } },
} as const;

/** A new slash command (admins); `signingSecret` is returned once. CONFLICT when the name is taken. */
export async function createSlashCommand(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TSlashCommandDto & { signingSecret: string }> {
  requireAdmin(actor);
  const data = parseInput(ZCreateSlashCommand, input);
  const signingSecret = randomSecret(32);
  try {
    return await db.$transaction(async (tx) => {
      const bot = await tx.user.findUnique({
        where: { id: data.botId },
        select: { isBot: true, deactivatedAt: true },
      });
      if (!bot?.isBot || bot.deactivatedAt) throw new ParleyError("NOT_FOUND", "Bot not found");
      const row = await tx.slashCommand.create({
        data: {
          command: data.command,
          callbackUrl: data.callbackUrl,
          signingSecret,
          botId: data.botId,
          createdById: actor.userId,
        },
        select: commandSelect,
      });
      await recordAudit(tx, {
        action: "command.created",
        actorId: actor.userId,
        target: { type: "bot", id: row.bot.id, label: row.bot.name },
        origin,
        details: { commandId: row.id, command: row.command, callbackUrl: row.callbackUrl },
      });
      return { ...row, signingSecret };
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ParleyError("CONFLICT", "/{command} already exists", {
        params: { command: data.command },
      });
    throw err;
  }
}

/** Every slash command by name (admins). */
export async function listSlashCommands(db: TDb, actor: TActor): Promise<TSlashCommandDto[]> {
  requireAdmin(actor);
  return db.slashCommand.findMany({ orderBy: { command: "asc" }, select: commandSelect });
}

/** Deletes a slash command (admins); `/name` is plain text again. NOT_FOUND when unknown. */
export async function deleteSlashCommand(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<void> {
  requireAdmin(actor);
  const { id } = parseInput(ZById, input);
  await db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ command: string; botId: string }[]>`
      DELETE FROM "SlashCommand" WHERE id = ${id}::uuid RETURNING command, "botId"`;
    const row = rows[0];
    if (!row) throw new ParleyError("NOT_FOUND", "Command not found");
    await recordAudit(tx, {
      action: "command.deleted",
      actorId: actor.userId,
      target: { type: "bot", id: row.botId, label: `/${row.command}` },
      origin,
      details: { commandId: id, command: row.command },
    });
  });
}
