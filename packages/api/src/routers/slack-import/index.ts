/**
 * Slack imports (Settings → Import). Workspace admins and the owner only — `adminProcedure` here,
 * and core checks `requireAdmin` again:
 *
 * | procedure           | owner, admin                         | member, guest | signed out   |
 * |---------------------|--------------------------------------|---------------|--------------|
 * | slackImport.create  | an upload URL for the zip            | FORBIDDEN     | UNAUTHORIZED |
 * | slackImport.start   | queues an uploaded zip; audit-logged | FORBIDDEN     | UNAUTHORIZED |
 * | slackImport.list    | the last 20 imports with progress    | FORBIDDEN     | UNAUTHORIZED |
 * | slackImport.get     | one import's progress                | FORBIDDEN     | UNAUTHORIZED |
 *
 * The import runs in the server's import worker (core/src/slack-import/run.ts), woken by `start`.
 */
import { getStorage } from "@parley/core/files";
import {
  createSlackImport,
  getSlackImport,
  listSlackImports,
  startSlackImport,
  ZCreateSlackImport,
  ZSlackImportId,
} from "@parley/core/slack-import";
import { adminProcedure, router, validatedByCore } from "../../trpc.ts";

export const slackImportRouter = router({
  /** Records an upload of `fileName` (`size` bytes, a .zip) and returns the presigned PUT for it. */
  create: adminProcedure
    .input(validatedByCore(ZCreateSlackImport))
    .mutation(({ ctx, input }) => createSlackImport(ctx.db, () => getStorage(ctx.env), ctx.actor, input)),
  /** Queues an uploaded zip (BAD_REQUEST until its bytes are all there); audit-logged. */
  start: adminProcedure
    .input(validatedByCore(ZSlackImportId))
    .mutation(({ ctx, input }) =>
      startSlackImport(ctx.db, () => getStorage(ctx.env), ctx.actor, input, ctx.origin),
    ),
  /** The last 20 imports, newest first, with their progress and summaries. */
  list: adminProcedure.query(({ ctx }) => listSlackImports(ctx.db, ctx.actor)),
  /** One import's progress. */
  get: adminProcedure
    .input(validatedByCore(ZSlackImportId))
    .query(({ ctx, input }) => getSlackImport(ctx.db, ctx.actor, input)),
});
