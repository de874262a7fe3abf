import type { TEnv } from "@parley/config";
import {
  checkInvite,
  createInvite,
  createMailer,
  listInvites,
  mailFrom,
  revokeInvite,
  type TInviteDelivery,
  type TMailer,
  ZById,
  ZCreateInvite,
  ZInviteToken,
} from "@parley/core";
import { adminProcedure, protectedProcedure, publicProcedure, router } from "../../trpc.ts";

// One SMTP transport per settings object (nodemailer pools nothing by default; this only saves
// rebuilding it per invite).
const mailers = new WeakMap<TEnv, TMailer | null>();

/** How invites are e-mailed under these settings: the notifier's SMTP_* mailer and From:. */
export function inviteDelivery(env: TEnv): TInviteDelivery {
  let mailer = mailers.get(env);
  if (mailer === undefined) {
    mailer = createMailer(env);
    mailers.set(env, mailer);
  }
  return { publicUrl: env.PUBLIC_URL, mailer, from: mailFrom(env) };
}

export const invitesRouter = router({
  /**
   * An invite link (any member; with `email`, admins only: bound to that address and e-mailed when
   * SMTP is set up). The token and url are shown once; `emailed`/`emailError` say whether to copy it.
   */
  create: protectedProcedure
    .input(ZCreateInvite.optional())
    .mutation(({ ctx, input }) =>
      createInvite(ctx.db, ctx.actor, input ?? {}, ctx.origin, inviteDelivery(ctx.env)),
    ),
  /** The newest invites with who made, used and revoked them (admins), and whether e-mail is on. */
  list: adminProcedure.query(async ({ ctx }) => ({
    invites: await listInvites(ctx.db, ctx.actor),
    canEmail: inviteDelivery(ctx.env).mailer !== null,
  })),
  /** Revoke an invite (admins, or the member who made it). */
  revoke: protectedProcedure
    .input(ZById)
    .mutation(({ ctx, input }) => revokeInvite(ctx.db, ctx.actor, input, ctx.origin)),
  /** Where an invite link stands, for the sign-up page (anyone holding it). */
  check: publicProcedure.input(ZInviteToken).query(({ ctx, input }) => checkInvite(ctx.db, input)),
});
