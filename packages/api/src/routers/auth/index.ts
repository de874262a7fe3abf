import { createInvite, resetPassword, signUp, ZCreateInvite, ZResetPassword, ZSignUp } from "@parley/core";
import { protectedProcedure, publicProcedure, router } from "../../trpc.ts";
import { inviteDelivery } from "../invites/index.ts";

export const authRouter = router({
  /** Create an account (as the sign-up mode allows, or with an invite token). Sign in afterwards with the credentials. */
  signUp: publicProcedure.input(ZSignUp).mutation(async ({ ctx, input }) => {
    // Counted per client address whatever the outcome, so invite links cannot be guessed in bulk.
    await ctx.rateLimiter.beginSignUp({ ip: ctx.clientAddress });
    return signUp(ctx.db, input, ctx.origin);
  }),
  /** Set a new password with a reset link's token (single use; ends the person's sessions). */
  resetPassword: publicProcedure.input(ZResetPassword).mutation(async ({ ctx, input }) => {
    // Each attempt costs a password hash: counted per address like sign-ups.
    await ctx.rateLimiter.beginSignUp({ ip: ctx.clientAddress });
    await resetPassword(ctx.db, input, ctx.origin);
    return { ok: true as const };
  }),
  /** An invite link; the token is shown once. The same as `invites.create`, kept for its callers. */
  createInvite: protectedProcedure
    .input(ZCreateInvite.optional())
    .mutation(({ ctx, input }) =>
      createInvite(ctx.db, ctx.actor, input ?? {}, ctx.origin, inviteDelivery(ctx.env)),
    ),
});
