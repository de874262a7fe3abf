import {
  addReaction,
  editMessage,
  getHistory,
  getPreviewImageUrl,
  getThread,
  listPins,
  pinMessage,
  removeLinkPreview,
  removeReaction,
  sendMessage,
  unpinMessage,
  ZConversationRef,
  ZEditMessage,
  ZGetHistory,
  ZGetThread,
  ZMessageRef,
  ZPreviewImageRef,
  ZReaction,
  ZSendMessage,
} from "@parley/core";
import { deleteMessage, getStorage, ZDeleteMessage } from "@parley/core/files";
import { protectedProcedure, router, validatedByCore } from "../../trpc.ts";

export const messagesRouter = router({
  /** A page of the channel's main list in seq order (thread replies only when also sent to the channel). */
  history: protectedProcedure
    .input(ZGetHistory)
    .query(({ ctx, input }) => getHistory(ctx.db, ctx.actor, input)),
  /** A thread: its root and the newest replies (or those before a seq), ascending. */
  thread: protectedProcedure.input(ZGetThread).query(({ ctx, input }) => getThread(ctx.db, ctx.actor, input)),
  /** The conversation's pinned messages, newest pin first. */
  pins: protectedProcedure
    .input(ZConversationRef)
    .query(({ ctx, input }) => listPins(ctx.db, ctx.actor, input)),
  /** Pin a message (any member; a no-op when already pinned). */
  pin: protectedProcedure
    .input(ZMessageRef)
    .mutation(({ ctx, input }) => pinMessage(ctx.db, ctx.actor, input)),
  /** Remove a message's pin (any member; a no-op when not pinned). */
  unpin: protectedProcedure
    .input(ZMessageRef)
    .mutation(({ ctx, input }) => unpinMessage(ctx.db, ctx.actor, input)),
  /** Remove the link preview under one of your own messages (appends message.preview with null). */
  removePreview: protectedProcedure.input(ZMessageRef).mutation(async ({ ctx, input }) =>
    removeLinkPreview(
      ctx.db,
      ctx.actor,
      input,
      // Storage being down must not block the removal: the image is unreachable from the commit on.
      await getStorage(ctx.env).catch(() => undefined),
    ),
  ),
  /** A short-lived URL of a message's link preview image; read access is checked now. */
  previewImageUrl: protectedProcedure
    .input(ZPreviewImageRef)
    .query(async ({ ctx, input }) => getPreviewImageUrl(ctx.db, await getStorage(ctx.env), ctx.actor, input)),
  /**
   * Send (idempotent per clientMsgId), optionally with ready attachments; used when no socket is
   * open. `sendMessage` validates the input (ZSendMessage), once.
   */
  send: protectedProcedure
    .input(validatedByCore(ZSendMessage))
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
      ctx.origin,
    ),
  ),
});
