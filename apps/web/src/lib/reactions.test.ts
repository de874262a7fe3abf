import { describe, expect, it } from "vitest";
import { applyReaction, type TReactionGroup } from "./reactions";

describe("applyReaction", () => {
  const start: TReactionGroup[] = [{ emoji: "👍", count: 1, userIds: ["a"] }];

  it("adds a user to a group, and a new emoji as a new group at the end", () => {
    const two = applyReaction(start, "👍", "b", true);
    expect(two).toEqual([{ emoji: "👍", count: 2, userIds: ["a", "b"] }]);
    expect(applyReaction(two, "🎉", "a", true)).toEqual([
      { emoji: "👍", count: 2, userIds: ["a", "b"] },
      { emoji: "🎉", count: 1, userIds: ["a"] },
    ]);
  });

  it("removes a user and drops an emptied group", () => {
    const two = applyReaction(start, "👍", "b", true);
    expect(applyReaction(two, "👍", "a", false)).toEqual([{ emoji: "👍", count: 1, userIds: ["b"] }]);
    expect(applyReaction(start, "👍", "a", false)).toEqual([]);
  });

  it("is idempotent: a replayed add or remove changes nothing", () => {
    expect(applyReaction(start, "👍", "a", true)).toBe(start);
    expect(applyReaction(start, "👍", "z", false)).toBe(start);
    expect(applyReaction(start, "🎉", "a", false)).toBe(start);
  });
});
