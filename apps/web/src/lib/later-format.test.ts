import { describe, expect, it } from "vitest";
import { firedText, laterHref, wallClock } from "./later-format.ts";

const message = { conversationId: "c1", seq: 42, threadRootId: null, senderName: "Ada", excerpt: "ship it" };

describe("later-format", () => {
  it("opens a message at its place, and a thread reply in its thread", () => {
    expect(laterHref(message)).toBe("/app/c/c1?m=42");
    expect(laterHref({ ...message, threadRootId: "r1" })).toBe("/app/c/c1?thread=r1&reply=42");
  });

  it("says who and what a fired reminder is about, or that the message is gone", () => {
    const base = { reminderId: "r", messageId: "m", dueAt: new Date() };
    expect(firedText({ ...base, message })).toBe("Reminder: Ada: ship it");
    expect(firedText({ ...base, message: { ...message, excerpt: "" } })).toBe("Reminder: Ada");
    expect(firedText({ ...base, message: null })).toBe("Reminder: a message that is no longer available");
    // In the words it is given (the Later messages of the user's language).
    const say = (key: string, v: { name?: string; excerpt?: string }) => [key, v.name, v.excerpt].join("|");
    expect(firedText({ ...base, message }, say)).toBe("firedExcerpt|Ada|ship it");
    expect(firedText({ ...base, message: null }, say)).toBe("firedGone||");
  });

  it("gives a datetime-local value on a time zone's wall clock", () => {
    const at = new Date("2026-03-28T23:30:00.000Z");
    expect(wallClock(at, "UTC")).toBe("2026-03-28T23:30");
    expect(wallClock(at, "Europe/Berlin")).toBe("2026-03-29T00:30");
    expect(wallClock(at, "America/New_York")).toBe("2026-03-28T19:30");
  });
});
