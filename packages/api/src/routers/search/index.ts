import { searchMessages, ZSearchMessages } from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

export const searchRouter = router({
  /**
   * Messages the caller can read now that match a query (core/src/search/query.ts: words,
   * "phrases", -exclusions, in:/from:/has:/is:/mentions:/before:/after:/on:), a page at a time.
   */
  messages: protectedProcedure
    .input(ZSearchMessages)
    .query(({ ctx, input }) => searchMessages(ctx.db, ctx.actor, input)),
});
