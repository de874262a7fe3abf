/**
 * Custom emoji: the list (anyone signed in), adding (members, or admins when restricted; never
 * guests), deleting (the creator or an admin), the image URL and the admins' policy. Every check
 * lives in @parley/core; this stays thin.
 */
import {
  getCustomEmojiPolicy,
  listCustomEmoji,
  setCustomEmojiPolicy,
  ZCustomEmojiPolicy,
  ZCustomEmojiRef,
} from "@parley/core";
import {
  createCustomEmoji,
  customEmojiImageUrl,
  deleteCustomEmoji,
  getStorage,
  ZCreateCustomEmoji,
  ZCustomEmojiImage,
} from "@parley/core/files";
import { adminProcedure, protectedProcedure, router, validatedByCore } from "../../trpc.ts";

export const emojiRouter = router({
  /** Every custom emoji, by name; images are `/api/emoji/<id>`. */
  list: protectedProcedure.query(({ ctx }) => listCustomEmoji(ctx.db)),
  /** Who may add emoji, and whether the caller may. */
  policy: protectedProcedure.query(({ ctx }) => getCustomEmojiPolicy(ctx.db, ctx.actor)),
  /** Restrict adding to admins, or open it to members (admins). */
  setPolicy: adminProcedure
    .input(ZCustomEmojiPolicy)
    .mutation(({ ctx, input }) => setCustomEmojiPolicy(ctx.db, ctx.actor, input, ctx.origin)),
  /** Adds `:name:` from a base64 image (resized and stored as WebP). */
  create: protectedProcedure
    .input(validatedByCore(ZCreateCustomEmoji))
    .mutation(({ ctx, input }) =>
      createCustomEmoji(ctx.db, () => getStorage(ctx.env), ctx.actor, input, ctx.origin),
    ),
  /** Deletes `:name:` (its creator or an admin); messages keep the text. */
  delete: protectedProcedure.input(validatedByCore(ZCustomEmojiRef)).mutation(async ({ ctx, input }) =>
    deleteCustomEmoji(
      ctx.db,
      // Storage being down must not block deleting: the object is then left (logged).
      await getStorage(ctx.env).catch(() => undefined),
      ctx.actor,
      input,
      ctx.origin,
    ),
  ),
  /** A short-lived URL of an emoji's image. */
  imageUrl: protectedProcedure
    .input(ZCustomEmojiImage)
    .query(async ({ ctx, input }) =>
      customEmojiImageUrl(ctx.db, await getStorage(ctx.env), ctx.actor, input),
    ),
});
