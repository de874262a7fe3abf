import { getHistory, sendMessage, ZGetHistory, ZSendMessage } from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

export const messagesRouter = router({
  /** A page of messages in seq order: latest, or before / after / around a seq. */
  history: protectedProcedure
    .input(ZGetHistory)
    .query(({ ctx, input }) => getHistory(ctx.db, ctx.actor, input)),
  /** Send (idempotent per clientMsgId); used when no socket is open. */
  send: protectedProcedure
    .input(ZSendMessage)
    .mutation(({ ctx, input }) => sendMessage(ctx.db, ctx.actor, input)),
});
