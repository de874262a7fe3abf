import { createInvite, resetPassword, signUp, ZCreateInvite, ZResetPassword, ZSignUp } from "@parley/core";
import { protectedProcedure, publicProcedure, router } from "../../trpc.ts";
import { inviteDelivery } from "../invites/index.ts";

/**
 * Public procedures that set a password: every attempt is counted against the client address's
 * sign-up budget whatever its outcome (so invite links and reset tokens cannot be guessed in bulk),
 * and counted BEFORE the input is parsed: parsing scores the password (zxcvbn, tens of ms of the
 * server's CPU) and a reset or sign-up then hashes it, work no client gets for free.
 */
const signUpBudget = publicProcedure.use(async ({ ctx, next }) => {
  await ctx.rateLimiter.beginSignUp({ ip: ctx.clientAddress });
  return next();
});

export const authRouter = router({
  /** Create an account (as the sign-up mode allows, or with an invite token). Sign in afterwards with the credentials. */
  signUp: signUpBudget.input(ZSignUp).mutation(({ ctx, input }) => signUp(ctx.db, input, ctx.origin)),
  /** Set a new password with a reset link's token (single use; ends the person's sessions). */
  resetPassword: signUpBudget.input(ZResetPassword).mutation(async ({ ctx, input }) => {
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
