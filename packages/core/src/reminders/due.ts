/**
 * When a reminder is due. The choices the web offers — in 20 minutes, in 1 hour, in 3 hours,
 * tomorrow at 9:00, a date and time picked — and an exact instant for API callers. Wall-clock
 * choices are in the user's time zone (the profile's, `NotificationSettings.timeZone`, UTC when
 * unset) and are converted by Postgres's own time-zone rules, so daylight-saving changes are
 * handled by the same tz database the server's dates use.
 */
import { zLine } from "@parley/protocol";
import { z } from "zod";
import { errorTemplate, ParleyError } from "../errors.ts";
import type { TTx } from "../tx.ts";

/** A reminder may be set at most this far ahead. */
export const MAX_REMINDER_AHEAD_DAYS = 366;
const MAX_AHEAD_MS = MAX_REMINDER_AHEAD_DAYS * 86_400_000;

/** The hour "tomorrow" means, in the user's time zone. */
export const TOMORROW_HOUR = 9;

/**
 * When: `in` N minutes; `tomorrow` at 9:00; `local`: a date and time ("2026-12-24T18:30") in the
 * user's time zone; `at`: an exact instant (a Date, or an ISO 8601 string over plain JSON).
 */
export const ZReminderWhen = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("in"),
    minutes: z
      .int()
      .min(1)
      .max(MAX_REMINDER_AHEAD_DAYS * 24 * 60),
  }),
  z.object({ kind: z.literal("tomorrow") }),
  z.object({
    kind: z.literal("local"),
    dateTime: zLine().regex(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/,
      errorTemplate("must be a date and time like 2026-12-24T18:30"),
    ),
  }),
  z.object({ kind: z.literal("at"), dueAt: z.coerce.date() }),
]);
export type TReminderWhen = z.output<typeof ZReminderWhen>;

/**
 * The instant `when` means for `userId` at `now`; BAD_REQUEST when it is not in the future or is
 * more than a year ahead (or names a day that does not exist, like 2026-02-30).
 */
export async function resolveDueAt(tx: TTx, userId: string, when: TReminderWhen, now: Date): Promise<Date> {
  let dueAt: Date;
  if (when.kind === "in") dueAt = new Date(now.getTime() + when.minutes * 60_000);
  else if (when.kind === "at") dueAt = when.dueAt;
  else dueAt = await wallClockDueAt(tx, userId, when, now);
  if (Number.isNaN(dueAt.getTime())) throw new ParleyError("BAD_REQUEST", "Invalid input: when: not a date");
  if (dueAt.getTime() <= now.getTime()) {
    throw new ParleyError("BAD_REQUEST", "Pick a time in the future for the reminder");
  }
  if (dueAt.getTime() - now.getTime() > MAX_AHEAD_MS) {
    throw new ParleyError("BAD_REQUEST", "A reminder can be at most {days} days ahead", {
      params: { days: MAX_REMINDER_AHEAD_DAYS },
    });
  }
  return dueAt;
}

/** "Tomorrow at 9:00" or a picked date and time, in the user's time zone, as an instant. */
async function wallClockDueAt(
  tx: TTx,
  userId: string,
  when: Extract<TReminderWhen, { kind: "tomorrow" | "local" }>,
  now: Date,
): Promise<Date> {
  // Naive timestamps are UTC here (Prisma's columns); `AT TIME ZONE` turns them into the zone's
  // wall clock and back. A day that does not exist fails the cast: refused below as bad input.
  const local = when.kind === "local" ? when.dateTime : null;
  try {
    const [row] = await tx.$queryRaw<{ dueAt: Date }[]>`
      WITH zone AS (
        SELECT COALESCE((SELECT "timeZone" FROM "NotificationSettings" WHERE "userId" = ${userId}::uuid), 'UTC') AS tz
      )
      SELECT ((CASE WHEN ${local}::text IS NULL
          THEN date_trunc('day', (${now}::timestamp(3) AT TIME ZONE 'UTC') AT TIME ZONE zone.tz)
            + make_interval(days => 1, hours => ${TOMORROW_HOUR}::int)
          ELSE ${local}::text::timestamp END) AT TIME ZONE zone.tz) AT TIME ZONE 'UTC' AS "dueAt"
      FROM zone`;
    if (!row) throw new Error("no row");
    return row.dueAt;
  } catch (err) {
    if (local !== null) {
      throw new ParleyError("BAD_REQUEST", "Invalid input: when.dateTime: not a date and time", {
        cause: err,
      });
    }
    throw err;
  }
}
