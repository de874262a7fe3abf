import {
  deactivateUser,
  getMe,
  listAllUsers,
  listUsers,
  reactivateUser,
  setStatus,
  ZSetStatus,
  ZUserRef,
} from "@parley/core";
import { adminProcedure, protectedProcedure, router } from "../../trpc.ts";

const PUBLIC_USER_FIELDS = ["id", "name", "email", "role", "statusEmoji", "statusText"] as const;

/** What every member may see of a user (no password hash, no timestamps). */
function publicUser<U extends Record<(typeof PUBLIC_USER_FIELDS)[number], unknown>>(
  user: U,
): Pick<U, (typeof PUBLIC_USER_FIELDS)[number]> {
  const { id, name, email, role, statusEmoji, statusText } = user;
  return { id, name, email, role, statusEmoji, statusText };
}

export const usersRouter = router({
  /** The signed-in user. */
  me: protectedProcedure.query(({ ctx }) => getMe(ctx.db, ctx.actor)),
  /** Set or clear ("") your custom status emoji and text. */
  setStatus: protectedProcedure
    .input(ZSetStatus)
    .mutation(({ ctx, input }) => setStatus(ctx.db, ctx.actor, input)),
  /** Active users (for pickers, mentions and DMs). */
  list: protectedProcedure.query(async ({ ctx }) => (await listUsers(ctx.db, ctx.actor)).map(publicUser)),
  /** Every user including deactivated ones, for the people admin page (admins). */
  listAll: adminProcedure.query(async ({ ctx }) =>
    (await listAllUsers(ctx.db, ctx.actor)).map((user) => ({
      ...publicUser(user),
      isDeactivated: user.deactivatedAt !== null,
    })),
  ),
  /** Deactivate a user: their sessions and tokens stop working (admins). */
  deactivate: adminProcedure
    .input(ZUserRef)
    .mutation(({ ctx, input }) => deactivateUser(ctx.db, ctx.actor, input, ctx.origin)),
  /** Let a deactivated user sign in again (admins). */
  reactivate: adminProcedure
    .input(ZUserRef)
    .mutation(({ ctx, input }) => reactivateUser(ctx.db, ctx.actor, input, ctx.origin)),
});
