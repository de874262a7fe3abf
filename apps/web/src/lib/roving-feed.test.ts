import { describe, expect, it } from "vitest";
import { feedStep } from "./roving-feed";

describe("feedStep", () => {
  it("moves one message with the arrows and the feed pattern's Page keys", () => {
    expect(feedStep("ArrowDown", 2, 5)).toBe(3);
    expect(feedStep("PageDown", 2, 5)).toBe(3);
    expect(feedStep("ArrowUp", 2, 5)).toBe(1);
    expect(feedStep("PageUp", 2, 5)).toBe(1);
  });

  it("stays at the ends (the list loads older messages at the top instead)", () => {
    expect(feedStep("ArrowDown", 4, 5)).toBeNull();
    expect(feedStep("ArrowUp", 0, 5)).toBeNull();
  });

  it("goes to the first or last message with Home and End", () => {
    expect(feedStep("Home", 3, 5)).toBe(0);
    expect(feedStep("End", 1, 5)).toBe(4);
  });

  it("ignores other keys and an empty feed", () => {
    expect(feedStep("Enter", 1, 5)).toBeNull();
    expect(feedStep("ArrowDown", 0, 0)).toBeNull();
  });
});
