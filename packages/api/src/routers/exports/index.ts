/**
 * Data exports (Settings → Export). Who may is decided in @parley/core/export, not here:
 *
 * | procedure            | owner                      | admin, member, guest      | signed out   |
 * |----------------------|----------------------------|---------------------------|--------------|
 * | exports.request      | workspace or own user      | own user only (workspace: FORBIDDEN) | UNAUTHORIZED |
 * | exports.list         | own + every workspace one  | own only                  | UNAUTHORIZED |
 * | exports.get          | own + workspace ones       | own only (others: NOT_FOUND, as an unknown id) | UNAUTHORIZED |
 * | exports.downloadUrl  | own + workspace ones       | own only (others: NOT_FOUND, as an unknown id) | UNAUTHORIZED |
 *
 * The archive is built by the server's export worker (core/src/export/run.ts), woken here.
 */
import {
  exportDownloadUrl,
  getExport,
  listExports,
  requestExport,
  ZExportId,
  ZRequestExport,
} from "@parley/core/export";
import { getStorage } from "@parley/core/files";
import { protectedProcedure, router, validatedByCore } from "../../trpc.ts";

export const exportsRouter = router({
  /** Queue an export: `workspace` (the owner only) or `user` (one's own data); audit-logged. */
  request: protectedProcedure
    .input(validatedByCore(ZRequestExport))
    .mutation(({ ctx, input }) => requestExport(ctx.db, ctx.actor, input, ctx.origin)),
  /** The exports one may see, newest first, with their progress. */
  list: protectedProcedure.query(({ ctx }) => listExports(ctx.db, ctx.actor)),
  /** One export (progress while it is built). */
  get: protectedProcedure
    .input(validatedByCore(ZExportId))
    .query(({ ctx, input }) => getExport(ctx.db, ctx.actor, input)),
  /** A download link for a finished export, valid five minutes; audit-logged. */
  downloadUrl: protectedProcedure
    .input(validatedByCore(ZExportId))
    .mutation(({ ctx, input }) =>
      exportDownloadUrl(ctx.db, () => getStorage(ctx.env), ctx.actor, input, ctx.origin),
    ),
});
