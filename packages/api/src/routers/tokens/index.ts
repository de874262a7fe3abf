import {
  createAccessToken,
  listAccessTokens,
  revokeAccessToken,
  ZById,
  ZCreateAccessToken,
} from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

export const tokensRouter = router({
  /** Your personal access tokens (never the secrets). */
  list: protectedProcedure.query(({ ctx }) => listAccessTokens(ctx.db, ctx.actor)),
  /** A new token; `token` is shown once. */
  create: protectedProcedure.input(ZCreateAccessToken).mutation(async ({ ctx, input }) => {
    await ctx.rateLimiter.beginTokenCreate({ userId: ctx.actor.userId });
    return createAccessToken(ctx.db, ctx.actor, input, ctx.origin);
  }),
  /** Revoke one of your tokens. */
  revoke: protectedProcedure.input(ZById).mutation(async ({ ctx, input }) => {
    await revokeAccessToken(ctx.db, ctx.actor, input, ctx.origin);
    return { ok: true as const };
  }),
});
