import {
  getNotificationSettings,
  getVapidDetails,
  markAllRead,
  setConversationNotifications,
  setDoNotDisturb,
  subscribePush,
  unsubscribePush,
  updateNotificationSettings,
  ZPushSubscribe,
  ZPushUnsubscribe,
  ZSetConversationNotifications,
  ZSetDoNotDisturb,
  ZUpdateNotificationSettings,
} from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

/** Your own notification preferences (nobody else's can be read or changed). */
export const notificationsRouter = router({
  /** Your global settings: level, keywords, do-not-disturb, time zone, e-mail. */
  settings: protectedProcedure.query(({ ctx }) => getNotificationSettings(ctx.db, ctx.actor)),
  /** Change your global settings (absent fields stay). */
  updateSettings: protectedProcedure
    .input(ZUpdateNotificationSettings)
    .mutation(({ ctx, input }) => updateNotificationSettings(ctx.db, ctx.actor, input)),
  /** Do not disturb for N hours from now; `hours: null` ends it. */
  setDoNotDisturb: protectedProcedure
    .input(ZSetDoNotDisturb)
    .mutation(({ ctx, input }) => setDoNotDisturb(ctx.db, ctx.actor, input)),
  /** Your level in one conversation (nothing = muted) and, in channels, whether broadcasts notify you. */
  setConversation: protectedProcedure
    .input(ZSetConversationNotifications)
    .mutation(({ ctx, input }) => setConversationNotifications(ctx.db, ctx.actor, input)),
  /** The server's VAPID public key, for `pushManager.subscribe({ applicationServerKey })`. */
  pushKey: protectedProcedure.query(async ({ ctx }) => ({
    publicKey: (await getVapidDetails(ctx.db, ctx.env)).publicKey,
  })),
  /** Register this browser for web push (its `PushSubscription.toJSON()`). */
  subscribePush: protectedProcedure
    .input(ZPushSubscribe)
    .mutation(({ ctx, input }) => subscribePush(ctx.db, ctx.actor, input)),
  /** Forget this browser's subscription (only your own). */
  unsubscribePush: protectedProcedure
    .input(ZPushUnsubscribe)
    .mutation(({ ctx, input }) => unsubscribePush(ctx.db, ctx.actor, input)),
  /** Mark every conversation you are in as read. */
  markAllRead: protectedProcedure.mutation(({ ctx }) => markAllRead(ctx.db, ctx.actor)),
});
