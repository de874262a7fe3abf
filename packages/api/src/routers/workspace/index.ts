import {
  getWorkspaceStatus,
  setupWorkspace,
  updateWorkspace,
  ZSetupWorkspace,
  ZUpdateWorkspace,
} from "@parley/core";
import { adminProcedure, publicProcedure, router } from "../../trpc.ts";

export const workspaceRouter = router({
  /** Whether first-run setup happened, the workspace name and whether open sign-up is on. */
  status: publicProcedure.query(({ ctx }) => getWorkspaceStatus(ctx.db)),
  /** First-run setup: the workspace and its owner. CONFLICT once done. */
  setup: publicProcedure.input(ZSetupWorkspace).mutation(({ ctx, input }) => setupWorkspace(ctx.db, input)),
  /** Rename the workspace or toggle open sign-up (admins). */
  update: adminProcedure
    .input(ZUpdateWorkspace)
    .mutation(({ ctx, input }) => updateWorkspace(ctx.db, ctx.actor, input)),
});
