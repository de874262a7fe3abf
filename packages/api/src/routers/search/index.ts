import { searchMessages, searchNames, ZSearchMessages, ZSearchNames } from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

export const searchRouter = router({
  /**
   * Messages the caller can read now that match a query (core/src/search/query.ts: words,
   * "phrases", -exclusions, in:/from:/has:/is:/mentions:/before:/after:/on:), a page at a time.
   */
  messages: protectedProcedure
    .input(ZSearchMessages)
    .query(({ ctx, input }) => searchMessages(ctx.db, ctx.actor, input)),
  /**
   * Channels the caller can see (public, or private ones they are in) and active people whose
   * names contain the query's words (core/src/search/names.ts): the search box's names section.
   */
  names: protectedProcedure
    .input(ZSearchNames)
    .query(({ ctx, input }) => searchNames(ctx.db, ctx.actor, input)),
});
