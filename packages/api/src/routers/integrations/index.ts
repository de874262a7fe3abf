import {
  createIncomingWebhook,
  createSlashCommand,
  deleteSlashCommand,
  listIncomingWebhooks,
  listSlashCommands,
  revokeIncomingWebhook,
  ZById,
  ZCreateIncomingWebhook,
  ZCreateSlashCommand,
} from "@parley/core";
import { adminProcedure, router, validatedByCore } from "../../trpc.ts";

/** Incoming webhooks (admins; Settings → Integrations). Core checks the role again. */
export const hooksRouter = router({
  /** Every incoming webhook with its channel, bot and last use (never the secrets). */
  list: adminProcedure.query(({ ctx }) => listIncomingWebhooks(ctx.db, ctx.actor)),
  /** A new hook posting into one channel as a bot; its `secret`/`path` are shown once. */
  create: adminProcedure.input(validatedByCore(ZCreateIncomingWebhook)).mutation(async ({ ctx, input }) => {
    await ctx.rateLimiter.beginTokenCreate({ userId: ctx.actor.userId });
    return createIncomingWebhook(ctx.db, ctx.actor, input, ctx.origin);
  }),
  /** Revokes a hook: its URL answers `no_service` from then on. */
  revoke: adminProcedure.input(ZById).mutation(async ({ ctx, input }) => {
    await revokeIncomingWebhook(ctx.db, ctx.actor, input, ctx.origin);
    return { ok: true as const };
  }),
});

/** Slash commands (admins; Settings → Integrations). Core checks the role again. */
export const commandsRouter = router({
  /** Every registered command (never the signing secrets). */
  list: adminProcedure.query(({ ctx }) => listSlashCommands(ctx.db, ctx.actor)),
  /** Registers `/name` with its callback and bot; the `signingSecret` is shown once. */
  create: adminProcedure.input(validatedByCore(ZCreateSlashCommand)).mutation(async ({ ctx, input }) => {
    await ctx.rateLimiter.beginTokenCreate({ userId: ctx.actor.userId });
    return createSlashCommand(ctx.db, ctx.actor, input, ctx.origin);
  }),
  /** Deletes a command: `/name` is plain text again. */
  delete: adminProcedure.input(ZById).mutation(async ({ ctx, input }) => {
    await deleteSlashCommand(ctx.db, ctx.actor, input, ctx.origin);
    return { ok: true as const };
  }),
});
