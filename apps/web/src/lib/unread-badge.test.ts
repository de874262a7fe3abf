import { describe, expect, it } from "vitest";
import { titleWithCount, unreadMentionTotal } from "./unread-badge";

describe("the tab's unread-mention count", () => {
  it("sums the sidebar's mention counts", () => {
    expect(unreadMentionTotal([{ mentionCount: 2 }, { mentionCount: 0 }, { mentionCount: 3 }])).toBe(5);
    expect(unreadMentionTotal(undefined)).toBe(0);
  });

  it("puts the count in front of the title, replacing an earlier one, and drops it at zero", () => {
    expect(titleWithCount("Parley", 3)).toBe("(3) Parley");
    expect(titleWithCount("(3) Parley", 4)).toBe("(4) Parley");
    expect(titleWithCount("(4) Parley", 0)).toBe("Parley");
    expect(titleWithCount("Parley", 150)).toBe("(99+) Parley");
    expect(titleWithCount("(99+) Parley", 1)).toBe("(1) Parley");
  });
});
