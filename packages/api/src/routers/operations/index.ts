import { readOperationsHealth } from "@parley/core";
import { adminProcedure, router } from "../../trpc.ts";

/** How the install is doing right now (admins): the Health page's figures (core ops-stats.ts). */
export const operationsRouter = router({
  /** Connections now, messages a minute, delivery p50/p99 over the hour, resumes and errors. */
  health: adminProcedure.query(({ ctx }) => readOperationsHealth(ctx.actor)),
});
