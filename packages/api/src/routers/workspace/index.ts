import type { TEnv } from "@parley/config";
import {
  getUploadLimitSettings,
  getWorkspaceStatus,
  setUploadLimits,
  setupWorkspace,
  updateWorkspace,
  ZSetUploadLimits,
  ZSetupWorkspace,
  ZUpdateWorkspace,
} from "@parley/core";
import { adminProcedure, publicProcedure, router } from "../../trpc.ts";

/** The server's upload settings: the defaults, and the size ceiling admins cannot exceed. */
const uploadDefaultsOf = (env: TEnv) => ({
  maxUploadBytes: env.MAX_UPLOAD_BYTES,
  blockedTypes: env.UPLOAD_BLOCKED_TYPES,
});

export const workspaceRouter = router({
  /** Whether first-run setup happened, the workspace name and whether open sign-up is on. */
  status: publicProcedure.query(({ ctx }) => getWorkspaceStatus(ctx.db)),
  /** First-run setup: the workspace and its owner. CONFLICT once done. */
  setup: publicProcedure.input(ZSetupWorkspace).mutation(({ ctx, input }) => setupWorkspace(ctx.db, input)),
  /** Rename the workspace or toggle open sign-up (admins). */
  update: adminProcedure
    .input(ZUpdateWorkspace)
    .mutation(({ ctx, input }) => updateWorkspace(ctx.db, ctx.actor, input)),
  /** Upload limits in force, the server's defaults and the ceiling (admins). */
  uploadLimits: adminProcedure.query(({ ctx }) =>
    getUploadLimitSettings(ctx.db, ctx.actor, uploadDefaultsOf(ctx.env)),
  ),
  /** Set (or reset with null) the workspace's max upload size and blocked types (admins). */
  setUploadLimits: adminProcedure
    .input(ZSetUploadLimits)
    .mutation(({ ctx, input }) => setUploadLimits(ctx.db, ctx.actor, input, uploadDefaultsOf(ctx.env))),
});
