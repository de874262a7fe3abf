import { createInvite, signUp, ZCreateInvite, ZSignUp } from "@parley/core";
import { protectedProcedure, publicProcedure, router } from "../../trpc.ts";
import { inviteDelivery } from "../invites/index.ts";

export const authRouter = router({
  /** Create an account (as the sign-up mode allows, or with an invite token). Sign in afterwards with the credentials. */
  signUp: publicProcedure.input(ZSignUp).mutation(async ({ ctx, input }) => {
    // Counted per client address whatever the outcome, so invite links cannot be guessed in bulk.
    await ctx.rateLimiter.beginSignUp({ ip: ctx.clientAddress });
    return signUp(ctx.db, input, ctx.origin);
  }),
  /** An invite link; the token is shown once. The same as `invites.create`, kept for its callers. */
  createInvite: protectedProcedure
    .input(ZCreateInvite.optional())
    .mutation(({ ctx, input }) =>
      createInvite(ctx.db, ctx.actor, input ?? {}, ctx.origin, inviteDelivery(ctx.env)),
    ),
});
