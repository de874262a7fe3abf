/** The edit/delete window rule in plain code (messages/window-rule.ts), shared by core and the web. */
import { describe, expect, it } from "vitest";
import { describeWindow, isWithinWindow, windowClosedText } from "../src/messages/window-rule.ts";

describe("window rule (shared with the web)", () => {
  it("counts from the send, inclusive; words the window in its largest whole unit", () => {
    const sent = new Date("2026-01-01T00:00:00Z");
    expect(isWithinWindow(60, sent, new Date("2026-01-01T00:01:00Z"))).toBe(true);
    expect(isWithinWindow(60, sent, new Date("2026-01-01T00:01:00.001Z"))).toBe(false);
    expect(isWithinWindow(0, sent, sent)).toBe(false);
    expect(isWithinWindow(null, sent, new Date("2099-01-01T00:00:00Z"))).toBe(true);
    expect([describeWindow(900), describeWindow(3600), describeWindow(90), describeWindow(172_800)]).toEqual([
      "15 minutes",
      "1 hour",
      "90 seconds",
      "2 days",
    ]);
    expect(windowClosedText("delete", 0)).toBe("Messages cannot be deleted in this workspace");
  });
});
