import {
  addMembers,
  archiveConversation,
  browseChannels,
  createChannel,
  getConversation,
  joinChannel,
  leaveConversation,
  listMembers,
  listMyConversations,
  markRead,
  openDm,
  removeMember,
  renameChannel,
  setDefaultChannel,
  setMuted,
  setTopic,
  unarchiveConversation,
  ZAddMembers,
  ZConversationRef,
  ZCreateChannel,
  ZMarkRead,
  ZOpenDm,
  ZRemoveMember,
  ZRenameChannel,
  ZSetDefaultChannel,
  ZSetMuted,
  ZSetTopic,
} from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

const ok = { ok: true as const };

export const conversationsRouter = router({
  /** Your conversations with unread counts (the sidebar). */
  list: protectedProcedure.query(({ ctx }) => listMyConversations(ctx.db, ctx.actor)),
  /** Channels you can join, with member counts. */
  browse: protectedProcedure.query(({ ctx }) => browseChannels(ctx.db, ctx.actor)),
  get: protectedProcedure
    .input(ZConversationRef)
    .query(({ ctx, input }) => getConversation(ctx.db, ctx.actor, input)),
  create: protectedProcedure
    .input(ZCreateChannel)
    .mutation(({ ctx, input }) => createChannel(ctx.db, ctx.actor, input)),
  join: protectedProcedure
    .input(ZConversationRef)
    .mutation(({ ctx, input }) => joinChannel(ctx.db, ctx.actor, input)),
  leave: protectedProcedure.input(ZConversationRef).mutation(async ({ ctx, input }) => {
    await leaveConversation(ctx.db, ctx.actor, input);
    return ok;
  }),
  rename: protectedProcedure
    .input(ZRenameChannel)
    .mutation(({ ctx, input }) => renameChannel(ctx.db, ctx.actor, input, ctx.origin)),
  setTopic: protectedProcedure
    .input(ZSetTopic)
    .mutation(({ ctx, input }) => setTopic(ctx.db, ctx.actor, input)),
  /** Admins: whether people who sign up join this public channel (#general always does). */
  setDefault: protectedProcedure
    .input(ZSetDefaultChannel)
    .mutation(({ ctx, input }) => setDefaultChannel(ctx.db, ctx.actor, input, ctx.origin)),
  archive: protectedProcedure
    .input(ZConversationRef)
    .mutation(({ ctx, input }) => archiveConversation(ctx.db, ctx.actor, input, ctx.origin)),
  unarchive: protectedProcedure
    .input(ZConversationRef)
    .mutation(({ ctx, input }) => unarchiveConversation(ctx.db, ctx.actor, input, ctx.origin)),
  members: protectedProcedure
    .input(ZConversationRef)
    .query(({ ctx, input }) => listMembers(ctx.db, ctx.actor, input)),
  addMembers: protectedProcedure
    .input(ZAddMembers)
    .mutation(({ ctx, input }) => addMembers(ctx.db, ctx.actor, input)),
  removeMember: protectedProcedure.input(ZRemoveMember).mutation(async ({ ctx, input }) => {
    await removeMember(ctx.db, ctx.actor, input, ctx.origin);
    return ok;
  }),
  /** The DM (1 person) or group DM (2–8) with these people; the same set always gives the same one. */
  openDm: protectedProcedure.input(ZOpenDm).mutation(({ ctx, input }) => openDm(ctx.db, ctx.actor, input)),
  /** Mute or unmute a conversation for yourself (your other devices get membership.updated). */
  setMuted: protectedProcedure
    .input(ZSetMuted)
    .mutation(({ ctx, input }) => setMuted(ctx.db, ctx.actor, input)),
  /** Move your read position forward (never backward). */
  markRead: protectedProcedure
    .input(ZMarkRead)
    .mutation(({ ctx, input }) => markRead(ctx.db, ctx.actor, input)),
});
