/**
 * What the saved and reminder views say and link to, as pure functions (unit-tested in
 * later-format.test.ts): where a message opens, a fired reminder's line, and a datetime-local
 * value on a time zone's wall clock.
 */
import type { TUserEventPayload } from "@parley/protocol";

/** Where a reminded message opens: a reply in its thread, anything else at its place (`?m=`). */
export function laterHref(m: { conversationId: string; seq: number; threadRootId: string | null }): string {
  return m.threadRootId
    ? `/app/c/${m.conversationId}?thread=${m.threadRootId}&reply=${m.seq}`
    : `/app/c/${m.conversationId}?m=${m.seq}`;
}

/** A fired reminder's line in the user's language (the Later messages fired, firedExcerpt, firedGone). */
export type TSayFired = (
  key: "fired" | "firedExcerpt" | "firedGone",
  values: { name?: string; excerpt?: string },
) => string;

const ENGLISH_FIRED: TSayFired = (key, { name, excerpt }) =>
  key === "firedGone"
    ? "Reminder: a message that is no longer available"
    : `Reminder: ${name}${key === "firedExcerpt" ? `: ${excerpt}` : ""}`;

/** The one line a fired reminder says. */
export function firedText(
  payload: TUserEventPayload<"reminder.fired">,
  say: TSayFired = ENGLISH_FIRED,
): string {
  const m = payload.message;
  if (!m) return say("firedGone", {});
  return m.excerpt
    ? say("firedExcerpt", { name: m.senderName, excerpt: m.excerpt })
    : say("fired", { name: m.senderName });
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
