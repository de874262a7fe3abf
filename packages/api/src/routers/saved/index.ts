import {
  listSaved,
  savedIdsIn,
  saveMessage,
  unsaveMessage,
  ZListSaved,
  ZMessageRef,
  ZSavedIdsInput,
} from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

/** The caller's saved messages ("Save for later"): private to them; see core/src/saved. */
export const savedRouter = router({
  /** Newest save first, a page at a time: only messages the caller can read now, not deleted ones. */
  list: protectedProcedure.input(ZListSaved).query(({ ctx, input }) => listSaved(ctx.db, ctx.actor, input)),
  /** The ids of the caller's saved messages in one conversation they can read (the rows' marks). */
  ids: protectedProcedure
    .input(ZSavedIdsInput)
    .query(({ ctx, input }) => savedIdsIn(ctx.db, ctx.actor, input)),
  /** Save a message the caller can read (saving a saved one is a no-op). */
  save: protectedProcedure
    .input(ZMessageRef)
    .mutation(({ ctx, input }) => saveMessage(ctx.db, ctx.actor, input)),
  /** Remove a message from the caller's saved list (a no-op when it is not there). */
  unsave: protectedProcedure
    .input(ZMessageRef)
    .mutation(({ ctx, input }) => unsaveMessage(ctx.db, ctx.actor, input)),
});
