import { cancelReminder, createReminder, listReminders, ZCreateReminder, ZReminderRef } from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

/** The caller's reminders on messages ("Remind me about this"); see core/src/reminders. */
export const remindersRouter = router({
  /** Pending reminders soonest first, and the newest fired ones not removed yet. */
  list: protectedProcedure.query(({ ctx }) => listReminders(ctx.db, ctx.actor)),
  /**
   * Remind me about a message the caller can read: in N minutes, tomorrow at 9:00 or at a date and
   * time (in their profile's time zone), or at an exact instant. Moves a pending one on that message.
   */
  create: protectedProcedure
    .input(ZCreateReminder)
    .mutation(({ ctx, input }) => createReminder(ctx.db, ctx.actor, input)),
  /** Cancel one of the caller's reminders (pending: it never fires; fired: it leaves the list). */
  cancel: protectedProcedure
    .input(ZReminderRef)
    .mutation(({ ctx, input }) => cancelReminder(ctx.db, ctx.actor, input)),
});
