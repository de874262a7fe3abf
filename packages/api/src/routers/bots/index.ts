import {
  createBot,
  createBotToken,
  listBots,
  revokeBotToken,
  ZById,
  ZCreateBot,
  ZCreateBotToken,
} from "@parley/core";
import { adminProcedure, router, validatedByCore } from "../../trpc.ts";

/** Bots and their scoped tokens (admins; Settings → Bots). Core checks the role again. */
export const botsRouter = router({
  /** Every bot with its live tokens (never the secrets). */
  list: adminProcedure.query(({ ctx }) => listBots(ctx.db, ctx.actor)),
  /** A new bot user. */
  create: adminProcedure
    .input(validatedByCore(ZCreateBot))
    .mutation(({ ctx, input }) => createBot(ctx.db, ctx.actor, input, ctx.origin)),
  /** A new token for a bot, scoped to channels and read/write; `token` is shown once. */
  createToken: adminProcedure.input(validatedByCore(ZCreateBotToken)).mutation(async ({ ctx, input }) => {
    await ctx.rateLimiter.beginTokenCreate({ userId: ctx.actor.userId });
    return createBotToken(ctx.db, ctx.actor, input, ctx.origin);
  }),
  /** Revokes a bot token. */
  revokeToken: adminProcedure.input(ZById).mutation(async ({ ctx, input }) => {
    await revokeBotToken(ctx.db, ctx.actor, input, ctx.origin);
    return { ok: true as const };
  }),
});
