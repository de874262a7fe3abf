import { getAuditRetention, listAuditActions, listAuditEntries, ZListAudit } from "@parley/core";
import { adminProcedure, router } from "../../trpc.ts";

/** The audit log (admins). The CSV export is an HTTP route of the web app (/api/audit/export). */
export const auditRouter = router({
  /** A page of entries, newest first, filtered by action, actor and time; `cursor` pages on. */
  list: adminProcedure
    .input(ZListAudit)
    .query(({ ctx, input }) => listAuditEntries(ctx.db, ctx.actor, input)),
  /** Every action an entry can have (the filter's choices). */
  actions: adminProcedure.query(({ ctx }) => [...listAuditActions(ctx.actor)]),
  /** How many days entries are kept (0 = forever); set with workspace.update. */
  retention: adminProcedure.query(({ ctx }) => getAuditRetention(ctx.db, ctx.actor)),
});
