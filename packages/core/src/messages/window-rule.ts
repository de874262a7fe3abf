/**
 * The message edit and delete windows in words and plain code, free of the database: core's
 * refusals (`windows.ts`) and the web's message actions (through the
 * `@parley/core/messages/window-rule` export, which hides Edit/Delete once a window has passed)
 * use this one rule and these sentences.
 *
 * A window is seconds after sending: null = always allowed, 0 = never. The edit window applies to
 * every sender (admins edit only their own messages too); the delete window applies to members
 * deleting their own messages — workspace admins and owners may always delete (moderation).
 */

import { errorTemplate, formatTemplate, type TErrorText } from "../errors.ts";

/** The workspace's windows (Workspace.editWindowSeconds / deleteWindowSeconds). */
export type TMessageWindows = { editWindowSeconds: number | null; deleteWindowSeconds: number | null };

/** Which change a window governs. */
export type TWindowAction = "edit" | "delete";

/** True when a message sent at `createdAt` may still be changed at `now` under `windowSeconds`. */
export function isWithinWindow(windowSeconds: number | null, createdAt: Date, now: Date): boolean {
  if (windowSeconds === null) return true;
  if (windowSeconds === 0) return false;
  return now.getTime() - createdAt.getTime() <= windowSeconds * 1000;
}

/** "15 minutes", "1 hour", "90 seconds": a window in the largest whole unit that fits. */
export function describeWindow(seconds: number): string {
  const units: [number, string][] = [
    [86_400, "day"],
    [3_600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

/**
 * A window as a count and an English unit word for templates ("{count} {unit}": 15, "minutes"); a
 * catalog chooses its own words by `unit` (second, seconds, minute, minutes, hour, hours, day, days).
 */
export function windowParams(seconds: number): { count: number; unit: string } {
  const [count, unit] = describeWindow(seconds).split(" ");
  return { count: Number(count), unit: unit ?? "" };
}

/** The refusal as a template: "Messages can only be edited within {count} {unit} of sending". */
export function windowClosedRefusal(action: TWindowAction, windowSeconds: number): TErrorText {
  if (windowSeconds === 0) {
    return {
      template:
        action === "edit"
          ? errorTemplate("Messages cannot be edited in this workspace")
          : errorTemplate("Messages cannot be deleted in this workspace"),
    };
  }
  return {
    template:
      action === "edit"
        ? errorTemplate("Messages can only be edited within {count} {unit} of sending")
        : errorTemplate("Messages can only be deleted within {count} {unit} of sending"),
    params: windowParams(windowSeconds),
  };
}

/** The refusal's English text: "Messages can only be edited within 15 minutes of sending". */
export function windowClosedText(action: TWindowAction, windowSeconds: number): string {
  const { template, params } = windowClosedRefusal(action, windowSeconds);
  return formatTemplate(template, params);
}
