/**
 * What the saved and reminder views say and link to, as pure functions (unit-tested in
 * later-format.test.ts): where a message opens, a fired reminder's line, a due time, and a
 * datetime-local value on a time zone's wall clock.
 */
import type { TUserEventPayload } from "@parley/protocol";

/** Where a reminded message opens: a reply in its thread, anything else at its place (`?m=`). */
export function laterHref(m: { conversationId: string; seq: number; threadRootId: string | null }): string {
  return m.threadRootId
    ? `/app/c/${m.conversationId}?thread=${m.threadRootId}&reply=${m.seq}`
    : `/app/c/${m.conversationId}?m=${m.seq}`;
}

/** The one line a fired reminder says. */
export function firedText(payload: TUserEventPayload<"reminder.fired">): string {
  const m = payload.message;
  if (!m) return "Reminder: a message that is no longer available";
  return `Reminder: ${m.senderName}${m.excerpt ? `: ${m.excerpt}` : ""}`;
}

/** A due time as the notices and lists say it ("today at 14:30", "Tue, Dec 8 at 09:00"), in the browser's zone. */
export function formatDue(value: Date | string, now: Date = new Date()): string {
  const d = new Date(value);
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const today = now;
  const tomorrow = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1);
  if (d.toDateString() === today.toDateString()) return `today at ${time}`;
  if (d.toDateString() === tomorrow.toDateString()) return `tomorrow at ${time}`;
  return `${d.toLocaleDateString([], { weekday: "short", month: "short", day: "numeric" })} at ${time}`;
}

/** "YYYY-MM-DDTHH:mm" of `date` on the wall clock of `timeZone` (a datetime-local value). */
export function wallClock(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
}
