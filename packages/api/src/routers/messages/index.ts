import {
  addReaction,
  editMessage,
  getHistory,
  removeReaction,
  sendMessage,
  ZEditMessage,
  ZGetHistory,
  ZReaction,
  ZSendMessage,
} from "@parley/core";
import { deleteMessage, getStorage, ZDeleteMessage } from "@parley/core/files";
import { protectedProcedure, router } from "../../trpc.ts";

export const messagesRouter = router({
  /** A page of messages in seq order: latest, or before / after / around a seq. */
  history: protectedProcedure
    .input(ZGetHistory)
    .query(({ ctx, input }) => getHistory(ctx.db, ctx.actor, input)),
  /** Send (idempotent per clientMsgId), optionally with ready attachments; used when no socket is open. */
  send: protectedProcedure
    .input(ZSendMessage)
    .mutation(({ ctx, input }) => sendMessage(ctx.db, ctx.actor, input)),
  /** Replace the body of one of your own messages (appends message.edited). */
  edit: protectedProcedure
    .input(ZEditMessage)
    .mutation(({ ctx, input }) => editMessage(ctx.db, ctx.actor, input)),
  /** Add your reaction (a no-op when you already have it). */
  react: protectedProcedure
    .input(ZReaction)
    .mutation(({ ctx, input }) => addReaction(ctx.db, ctx.actor, input)),
  /** Remove your reaction (a no-op when you do not have it). */
  unreact: protectedProcedure
    .input(ZReaction)
    .mutation(({ ctx, input }) => removeReaction(ctx.db, ctx.actor, input)),
  /** Delete a message (its sender or a workspace admin); its files become unreachable. */
  delete: protectedProcedure.input(ZDeleteMessage).mutation(async ({ ctx, input }) =>
    deleteMessage(
      ctx.db,
      ctx.actor,
      input,
      // Storage being down must not block deleting: the sweeper removes the objects later.
      await getStorage(ctx.env).catch(() => undefined),
    ),
  ),
});
