import {
  changeRole,
  createMailer,
  createPasswordResetLink,
  deactivateUser,
  getMe,
  getPreferences,
  listAllUsers,
  listPeople,
  listUsers,
  mailFrom,
  reactivateUser,
  setStatus,
  transferOwnership,
  updatePreferences,
  ZChangeRole,
  ZListPeople,
  ZSetStatus,
  ZUpdatePreferences,
  ZUserRef,
} from "@parley/core";
import { adminProcedure, protectedProcedure, router, validatedByCore } from "../../trpc.ts";

const PUBLIC_USER_FIELDS = [
  "id",
  "name",
  "email",
  "role",
  "title",
  "pronouns",
  "avatarId",
  "statusEmoji",
  "statusText",
  "isBot",
] as const;

/** What every member may see of a user (no password hash, no timestamps). */
function publicUser<U extends Record<(typeof PUBLIC_USER_FIELDS)[number], unknown>>(
  user: U,
): Pick<U, (typeof PUBLIC_USER_FIELDS)[number]> {
  const { id, name, email, role, title, pronouns, avatarId, statusEmoji, statusText, isBot } = user;
  return { id, name, email, role, title, pronouns, avatarId, statusEmoji, statusText, isBot };
}

export const usersRouter = router({
  /** The signed-in user. */
  me: protectedProcedure.query(({ ctx }) => getMe(ctx.db, ctx.actor)),
  /** Set or clear ("") your custom status emoji and text. */
  setStatus: protectedProcedure
    .input(ZSetStatus)
    .mutation(({ ctx, input }) => setStatus(ctx.db, ctx.actor, input)),
  /** Your display preferences (the sidebar's order); nobody else's can be read or changed. */
  preferences: protectedProcedure.query(({ ctx }) => getPreferences(ctx.db, ctx.actor)),
  /** Change your display preferences (absent fields stay); your other devices follow. */
  updatePreferences: protectedProcedure
    .input(ZUpdatePreferences)
    .mutation(({ ctx, input }) => updatePreferences(ctx.db, ctx.actor, input)),
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
  /** People admin: search by name/e-mail, filter by role and status, one page at a time (admins). */
  people: adminProcedure.input(validatedByCore(ZListPeople)).query(async ({ ctx, input }) => {
    const page = await listPeople(ctx.db, ctx.actor, input);
    return {
      nextCursor: page.nextCursor,
      people: page.people.map((user) => ({
        ...publicUser(user),
        isDeactivated: user.deactivatedAt !== null,
        createdAt: user.createdAt,
      })),
    };
  }),
  /** Change someone's role: admin, member or guest (admins; only the owner makes or unmakes admins). */
  setRole: adminProcedure
    .input(ZChangeRole)
    .mutation(async ({ ctx, input }) => publicUser(await changeRole(ctx.db, ctx.actor, input, ctx.origin))),
  /** Hand the workspace's ownership to someone; the owner becomes an admin (the owner only). */
  transferOwnership: adminProcedure
    .input(ZUserRef)
    .mutation(async ({ ctx, input }) =>
      publicUser(await transferOwnership(ctx.db, ctx.actor, input, ctx.origin)),
    ),
  /**
   * A single-use, expiring link that sets a new password for someone, shown to copy; also e-mailed
   * when SMTP is configured (admins; the owner's only by the owner).
   */
  createPasswordReset: adminProcedure.input(ZUserRef).mutation(({ ctx, input }) =>
    createPasswordResetLink(ctx.db, ctx.actor, input, {
      publicUrl: ctx.env.PUBLIC_URL,
      mailer: createMailer(ctx.env),
      from: mailFrom(ctx.env),
      origin: ctx.origin,
    }),
  ),
});
