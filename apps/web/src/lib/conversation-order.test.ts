import { describe, expect, it } from "vitest";
import { sidebarOrder, stepConversation, switcherResults, type TOrderable } from "./conversation-order.ts";

function conv(id: string, over: Partial<TOrderable> = {}): TOrderable {
  return {
    id,
    kind: "public_channel",
    name: id,
    archivedAt: null,
    unreadCount: 0,
    mentionCount: 0,
    muted: false,
    ...over,
  };
}

const list = [
  conv("dm-bob", { kind: "dm", name: "Bob" }),
  conv("random"),
  conv("old", { archivedAt: new Date("2026-01-01") }),
  conv("design", { kind: "private_channel" }),
  conv("dev-ops", { unreadCount: 3 }),
  conv("deploys", { unreadCount: 2, muted: true }),
  conv("dm-dana", { kind: "dm", name: "Dana", unreadCount: 1, mentionCount: 1 }),
];

describe("sidebarOrder", () => {
  it("lists channels by name with archived ones last, then DMs", () => {
    expect(sidebarOrder(list).map((c) => c.id)).toEqual([
      "deploys",
      "design",
      "dev-ops",
      "random",
      "old",
      "dm-bob",
      "dm-dana",
    ]);
  });
});

describe("stepConversation (Alt+↑/↓)", () => {
  it("moves one step in sidebar order and wraps at both ends", () => {
    expect(stepConversation(list, "design", 1)?.id).toBe("dev-ops");
    expect(stepConversation(list, "design", -1)?.id).toBe("deploys");
    expect(stepConversation(list, "dm-dana", 1)?.id).toBe("deploys");
    expect(stepConversation(list, "deploys", -1)?.id).toBe("dm-dana");
  });

  it("starts at the first (down) or last (up) when no conversation is open, and does nothing with none", () => {
    expect(stepConversation(list, null, 1)?.id).toBe("deploys");
    expect(stepConversation(list, null, -1)?.id).toBe("dm-dana");
    expect(stepConversation([], null, 1)).toBeUndefined();
  });
});

describe("switcherResults (quick switcher)", () => {
  it("puts mentions first, then unread (not muted), then prefix matches, then by name; hides archived", () => {
    expect(switcherResults(list, "").map((c) => c.id)).toEqual([
      "dm-dana",
      "dev-ops",
      "dm-bob",
      "deploys",
      "design",
      "random",
    ]);
  });

  it("filters by a case-insensitive substring, prefix matches before others", () => {
    expect(switcherResults(list, "DE").map((c) => c.id)).toEqual(["dev-ops", "deploys", "design"]);
    expect(switcherResults(list, "o").map((c) => c.id)).toEqual(["dev-ops", "dm-bob", "deploys", "random"]);
    expect(switcherResults(list, "nothing matches")).toEqual([]);
  });
});
