/**
 * Attachments: start an upload (presigned PUT), finish it (verify + thumbnail), and get a
 * short-lived download URL. Every check lives in @parley/core/files; this stays thin.
 */
import {
  completeUpload,
  createUpload,
  effectiveUploadLimits,
  getDownloadUrl,
  getStorage,
  sweepOccasionally,
  uploadLimitsFrom,
  ZCompleteUpload,
  ZCreateUpload,
  ZDownloadUrl,
} from "@parley/core/files";
import { protectedProcedure, router } from "../../trpc.ts";

export const filesRouter = router({
  /**
   * The limits the server enforces now (the workspace's, else the server's settings), so the
   * browser can refuse a file before uploading it.
   */
  limits: protectedProcedure.query(async ({ ctx }) => {
    const { maxUploadBytes, blockedTypes } = await effectiveUploadLimits(ctx.db, ctx.env);
    return { maxUploadBytes, blockedTypes: [...blockedTypes] };
  }),
  /** Starts an upload: returns the attachment id and the URL + headers to PUT the bytes to. */
  createUpload: protectedProcedure.input(ZCreateUpload).mutation(async ({ ctx, input }) => {
    const storage = await getStorage(ctx.env);
    sweepOccasionally(ctx.db, storage, ctx.env.PENDING_UPLOAD_TTL_MINUTES);
    return createUpload(ctx.db, storage, ctx.actor, input, uploadLimitsFrom(ctx.env));
  }),
  /** Call after the PUT succeeded: verifies the bytes, makes the thumbnail, marks it ready. */
  completeUpload: protectedProcedure
    .input(ZCompleteUpload)
    .mutation(async ({ ctx, input }) =>
      completeUpload(ctx.db, await getStorage(ctx.env), ctx.actor, input, uploadLimitsFrom(ctx.env)),
    ),
  /** A URL for the original or the thumbnail, valid for a few minutes; access is checked now. */
  downloadUrl: protectedProcedure
    .input(ZDownloadUrl)
    .query(async ({ ctx, input }) => getDownloadUrl(ctx.db, await getStorage(ctx.env), ctx.actor, input)),
});
