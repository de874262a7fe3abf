import {
  convertChannel,
  listAdminChannels,
  setChannelArchived,
  setChannelOwner,
  ZConvertChannel,
  ZListAdminChannels,
  ZSetChannelArchived,
  ZSetChannelOwner,
} from "@parley/core";
import { deleteChannel, getStorage, ZDeleteChannel } from "@parley/core/files";
import { adminProcedure, router } from "../../trpc.ts";

/**
 * The admin console's channels (admins; core checks again). Private channels appear by name,
 * member count and archived flag only, and every answer is such a row.
 */
export const channelAdminRouter = router({
  /** Every channel by name, filtered by part of the name, kind and archived; paged by `cursor`. */
  list: adminProcedure
    .input(ZListAdminChannels)
    .query(({ ctx, input }) => listAdminChannels(ctx.db, ctx.actor, input)),
  /** Archive or unarchive (as `conversations.archive`/`unarchive`; never archives #general). */
  setArchived: adminProcedure
    .input(ZSetChannelArchived)
    .mutation(({ ctx, input }) => setChannelArchived(ctx.db, ctx.actor, input, ctx.origin)),
  /** Public ↔ private (never #general; not while archived); members see it live. */
  convert: adminProcedure
    .input(ZConvertChannel)
    .mutation(({ ctx, input }) => convertChannel(ctx.db, ctx.actor, input, ctx.origin)),
  /** A new owner (a private channel's must be a member; a public channel's joins). */
  setOwner: adminProcedure
    .input(ZSetChannelOwner)
    .mutation(({ ctx, input }) => setChannelOwner(ctx.db, ctx.actor, input, ctx.origin)),
  /** Delete a channel and its whole history; `confirmName` is its name typed again. Never #general. */
  delete: adminProcedure.input(ZDeleteChannel).mutation(async ({ ctx, input }) =>
    deleteChannel(
      ctx.db,
      ctx.actor,
      input,
      // Storage being down must not block deleting: the objects are then left (logged).
      await getStorage(ctx.env).catch(() => undefined),
      ctx.origin,
    ),
  ),
});
