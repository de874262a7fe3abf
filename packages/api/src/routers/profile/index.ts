/**
 * Profiles and avatars: read one, change your own (or, admins, someone's they outrank), and the
 * avatar's upload (presigned PUT), completion (verify + thumbnails), removal and download URL.
 * Every check lives in @parley/core (profile/); this stays thin. Changes are rate-limited per
 * actor (PROFILE_CHANGES_PER_HOUR): each one is an event in every conversation of the person.
 */
import { getProfile, updateProfile, ZProfileRef, ZUpdateProfile } from "@parley/core";
import {
  avatarDownloadUrl,
  completeAvatarUpload,
  createAvatarUpload,
  removeAvatar,
  ZAvatarDownload,
  ZAvatarRef,
  ZCreateAvatarUpload,
} from "@parley/core/avatars";
import { getStorage } from "@parley/core/files";
import { protectedProcedure, router } from "../../trpc.ts";

export const profileRouter = router({
  /** Someone's profile (yours without `userId`): name, title, pronouns, time zone, avatar id. */
  get: protectedProcedure
    .input(ZProfileRef.optional())
    .query(({ ctx, input }) => getProfile(ctx.db, ctx.actor, input ?? {})),
  /** Change the fields given (yours; admins: `userId` of someone they outrank, audit-logged). */
  update: protectedProcedure.input(ZUpdateProfile).mutation(async ({ ctx, input }) => {
    await ctx.rateLimiter.beginProfileChange({ userId: ctx.actor.userId });
    return updateProfile(ctx.db, ctx.actor, input, ctx.origin);
  }),
  /** Starts an avatar upload: the URL + headers to PUT the image to. */
  createAvatarUpload: protectedProcedure.input(ZCreateAvatarUpload).mutation(async ({ ctx, input }) => {
    await ctx.rateLimiter.beginProfileChange({ userId: ctx.actor.userId });
    return createAvatarUpload(ctx.db, await getStorage(ctx.env), ctx.actor, input);
  }),
  /** Call after the PUT succeeded: verifies the image, makes the thumbnails, sets the avatar. */
  completeAvatarUpload: protectedProcedure.input(ZAvatarRef).mutation(async ({ ctx, input }) => {
    // Counted too: an upload URL may be PUT to again within its lifetime, and every completion
    // is an event in each of the person's conversations.
    await ctx.rateLimiter.beginProfileChange({ userId: ctx.actor.userId });
    return completeAvatarUpload(ctx.db, await getStorage(ctx.env), ctx.actor, input, ctx.origin);
  }),
  /** Removes the avatar (initials show instead). */
  removeAvatar: protectedProcedure.input(ZAvatarRef).mutation(async ({ ctx, input }) => {
    await ctx.rateLimiter.beginProfileChange({ userId: ctx.actor.userId });
    return removeAvatar(ctx.db, await getStorage(ctx.env), ctx.actor, input, ctx.origin);
  }),
  /** A URL for someone's current avatar thumbnail (64 or 256 px), valid for an hour. */
  avatarUrl: protectedProcedure
    .input(ZAvatarDownload)
    .query(async ({ ctx, input }) => avatarDownloadUrl(ctx.db, await getStorage(ctx.env), ctx.actor, input)),
});
