import {
  getReadReceipts,
  getReceiptSettings,
  setSendReadReceipts,
  ZReadReceiptsInput,
  ZSetSendReadReceipts,
} from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

export const receiptsRouter = router({
  /**
   * The other members' delivered and read cursors in a conversation, as the caller may see them
   * (members only; DMs, group DMs and channels of at most 50 members). Live changes: `receipts` frames.
   */
  get: protectedProcedure
    .input(ZReadReceiptsInput)
    .query(({ ctx, input }) => getReadReceipts(ctx.db, ctx.actor, input)),
  /** The caller's "send read receipts" preference. */
  settings: protectedProcedure.query(({ ctx }) => getReceiptSettings(ctx.db, ctx.actor)),
  /** Turn sending read receipts on or off (off: others do not see your reads, nor you theirs). */
  setEnabled: protectedProcedure
    .input(ZSetSendReadReceipts)
    .mutation(({ ctx, input }) => setSendReadReceipts(ctx.db, ctx.actor, input)),
});
