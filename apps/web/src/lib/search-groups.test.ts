import { describe, expect, it } from "vitest";
import { conversationHeading, groupByConversation, shownOrder } from "./search-groups";

const hit = (id: string, conversationId: string) => ({ id, conversationId });

describe("groupByConversation", () => {
  it("groups by conversation in the order of each group's first hit, keeping the order inside", () => {
    const hits = [hit("1", "a"), hit("2", "b"), hit("3", "a"), hit("4", "c"), hit("5", "b")];
    const groups = groupByConversation(hits);
    expect(groups.map((g) => [g.conversationId, g.hits.map((h) => h.id)])).toEqual([
      ["a", ["1", "3"]],
      ["b", ["2", "5"]],
      ["c", ["4"]],
    ]);
    // ↑/↓ follow what is shown, not the server's order.
    expect(shownOrder(groups).map((h) => h.id)).toEqual(["1", "3", "2", "5", "4"]);
    expect(groupByConversation([])).toEqual([]);
  });
});

describe("conversationHeading", () => {
  const dmNames = new Map([["dm1", "Bob, Carol"]]);
  it("names channels by kind and DMs by their members", () => {
    const of = (conversationId: string, conversationKind: string, conversationName: string | null) =>
      conversationHeading({ conversationId, conversationKind, conversationName }, dmNames);
    expect(of("c1", "public_channel", "ops")).toBe("# ops");
    expect(of("c2", "private_channel", "secret")).toBe("🔒 secret");
    expect(of("dm1", "group_dm", null)).toBe("Bob, Carol");
    expect(of("dm2", "dm", null)).toBe("Direct message");
  });
});
