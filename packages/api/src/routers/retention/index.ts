import {
  getRetentionSettings,
  previewRetention,
  setChannelRetention,
  setWorkspaceRetention,
  ZSetChannelRetention,
  ZSetWorkspaceRetention,
} from "@parley/core";
import { adminProcedure, router } from "../../trpc.ts";

/** Message retention (admins; core checks it too). The job itself runs in the web server. */
export const retentionRouter = router({
  /** The workspace's default (0 = forever) and every channel's override (null = the default). */
  settings: adminProcedure.query(({ ctx }) => getRetentionSettings(ctx.db, ctx.actor)),
  /** Set the workspace's default retention in days (0 = forever; audit-logged). */
  setWorkspace: adminProcedure
    .input(ZSetWorkspaceRetention)
    .mutation(({ ctx, input }) => setWorkspaceRetention(ctx.db, ctx.actor, input, ctx.origin)),
  /** Set one channel's override (null = the workspace's default, 0 = forever; audit-logged). */
  setChannel: adminProcedure
    .input(ZSetChannelRetention)
    .mutation(({ ctx, input }) => setChannelRetention(ctx.db, ctx.actor, input, ctx.origin)),
  /** The dry run: what the job would remove now, per conversation (changes nothing). */
  preview: adminProcedure.query(({ ctx }) => previewRetention(ctx.db, ctx.actor)),
});
