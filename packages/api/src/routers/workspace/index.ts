import {
  getBroadcastPolicy,
  getLinkPreviewSettings,
  getMessageWindows,
  getSignupPolicy,
  getSsoSettings,
  getUploadLimitSettings,
  getWorkspaceStatus,
  setBroadcastPolicy,
  setLinkPreviewSettings,
  setMessageWindows,
  setSignupPolicy,
  setSsoOnly,
  setUploadLimits,
  setupWorkspace,
  updateWorkspace,
  ZSetBroadcastPolicy,
  ZSetLinkPreviews,
  ZSetMessageWindows,
  ZSetSignupPolicy,
  ZSetSsoOnly,
  ZSetUploadLimits,
  ZSetupWorkspace,
  ZUpdateWorkspace,
} from "@parley/core";
import { uploadLimitsFrom } from "@parley/core/files";
import { adminProcedure, protectedProcedure, publicProcedure, router } from "../../trpc.ts";

export const workspaceRouter = router({
  /** Whether first-run setup happened, the workspace name and the sign-up mode (and domains). */
  status: publicProcedure.query(({ ctx }) => getWorkspaceStatus(ctx.db)),
  /** First-run setup: the workspace and its owner. CONFLICT once done. */
  setup: publicProcedure
    .input(ZSetupWorkspace)
    .mutation(({ ctx, input }) => setupWorkspace(ctx.db, input, ctx.origin)),
  /** Rename the workspace, set the audit retention or (older flag) open sign-up (admins). */
  update: adminProcedure
    .input(ZUpdateWorkspace)
    .mutation(({ ctx, input }) => updateWorkspace(ctx.db, ctx.actor, input, ctx.origin)),
  /** Upload limits in force, the server's defaults and the ceiling (admins). */
  uploadLimits: adminProcedure.query(({ ctx }) =>
    getUploadLimitSettings(ctx.db, ctx.actor, uploadLimitsFrom(ctx.env)),
  ),
  /** Set (or reset with null) the workspace's max upload size and blocked types (admins). */
  setUploadLimits: adminProcedure
    .input(ZSetUploadLimits)
    .mutation(({ ctx, input }) =>
      setUploadLimits(ctx.db, ctx.actor, input, uploadLimitsFrom(ctx.env), ctx.origin),
    ),
  /**
   * Who may use @channel/@here/@everyone in channels above the member threshold (any signed-in
   * user: composers warn before a send the server would refuse).
   */
  /** Whether the server fetches link previews for new messages. */
  linkPreviews: protectedProcedure.query(({ ctx }) => getLinkPreviewSettings(ctx.db)),
  /** Turn link previews on or off for the workspace (admins; audited). */
  setLinkPreviews: adminProcedure
    .input(ZSetLinkPreviews)
    .mutation(({ ctx, input }) => setLinkPreviewSettings(ctx.db, ctx.actor, input, ctx.origin)),
  broadcastPolicy: protectedProcedure.query(({ ctx }) => getBroadcastPolicy(ctx.db)),
  /** Set the broadcast policy and its member threshold (admins; audit-logged). */
  setBroadcastPolicy: adminProcedure
    .input(ZSetBroadcastPolicy)
    .mutation(({ ctx, input }) => setBroadcastPolicy(ctx.db, ctx.actor, input, ctx.origin)),
  /** The sign-up mode and allowed domains (admins). */
  signupPolicy: adminProcedure.query(({ ctx }) => getSignupPolicy(ctx.db, ctx.actor)),
  /** Set the sign-up mode and, when given, the allowed domains (admins; audit-logged). */
  setSignupPolicy: adminProcedure
    .input(ZSetSignupPolicy)
    .mutation(({ ctx, input }) => setSignupPolicy(ctx.db, ctx.actor, input, ctx.origin)),
  /** Single sign-on: whether the server has OIDC configured and the workspace is SSO-only (admins). */
  ssoSettings: adminProcedure.query(({ ctx }) =>
    getSsoSettings(ctx.db, ctx.actor, Boolean(ctx.env.OIDC_ISSUER)),
  ),
  /** Turn SSO-only on or off (admins; audit-logged; on needs OIDC configured). */
  setSsoOnly: adminProcedure
    .input(ZSetSsoOnly)
    .mutation(({ ctx, input }) =>
      setSsoOnly(ctx.db, ctx.actor, input, Boolean(ctx.env.OIDC_ISSUER), ctx.origin),
    ),
  /**
   * How long after sending a message may be edited and deleted (seconds; null = always, 0 =
   * never) — any signed-in user: the message actions hide Edit/Delete once a window has passed.
   */
  messageWindows: protectedProcedure.query(({ ctx }) => getMessageWindows(ctx.db)),
  /** Set the edit and delete windows (admins; audit-logged). */
  setMessageWindows: adminProcedure
    .input(ZSetMessageWindows)
    .mutation(({ ctx, input }) => setMessageWindows(ctx.db, ctx.actor, input, ctx.origin)),
});
