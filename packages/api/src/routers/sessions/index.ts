import { listSessions, revokeOtherSessions, revokeSession, ZById } from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

export const sessionsRouter = router({
  /** Where you are signed in; `isCurrent` marks this browser. */
  list: protectedProcedure.query(({ ctx }) =>
    listSessions(ctx.db, ctx.actor, { currentSessionId: ctx.sessionId }),
  ),
  /** Sign one of your sessions out. */
  revoke: protectedProcedure.input(ZById).mutation(async ({ ctx, input }) => {
    await revokeSession(ctx.db, ctx.actor, input, ctx.origin);
    return { ok: true as const };
  }),
  /** Sign out everywhere else. */
  revokeOthers: protectedProcedure.mutation(({ ctx }) =>
    revokeOtherSessions(ctx.db, ctx.actor, { currentSessionId: ctx.sessionId, origin: ctx.origin }),
  ),
});
