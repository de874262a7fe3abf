import { deactivateUser, getMe, listAllUsers, listUsers, reactivateUser, ZUserRef } from "@parley/core";
import { adminProcedure, protectedProcedure, router } from "../../trpc.ts";

export const usersRouter = router({
  /** The signed-in user. */
  me: protectedProcedure.query(({ ctx }) => getMe(ctx.db, ctx.actor)),
  /** Active users (for pickers and DMs). */
  list: protectedProcedure.query(async ({ ctx }) =>
    (await listUsers(ctx.db, ctx.actor)).map(({ id, name, email, role }) => ({ id, name, email, role })),
  ),
  /** Every user including deactivated ones, for the people admin page (admins). */
  listAll: adminProcedure.query(async ({ ctx }) =>
    (await listAllUsers(ctx.db, ctx.actor)).map(({ id, name, email, role, deactivatedAt }) => ({
      id,
      name,
      email,
      role,
      isDeactivated: deactivatedAt !== null,
    })),
  ),
  /** Deactivate a user: their sessions and tokens stop working (admins). */
  deactivate: adminProcedure
    .input(ZUserRef)
    .mutation(({ ctx, input }) => deactivateUser(ctx.db, ctx.actor, input)),
  /** Let a deactivated user sign in again (admins). */
  reactivate: adminProcedure
    .input(ZUserRef)
    .mutation(({ ctx, input }) => reactivateUser(ctx.db, ctx.actor, input)),
});
