import { describe, expect, it } from "vitest";
import {
  nextHeld,
  sidebarOrder,
  sidebarSections,
  stepConversation,
  switcherResults,
  type TOrderable,
  unreadRank,
} from "./conversation-order.ts";

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

describe("unreads first (the sidebarUnreadsFirst preference)", () => {
  const ids = (cs: readonly TOrderable[]) => cs.map((c) => c.id);
  const busy = [
    ...list,
    conv("alerts", { unreadCount: 4, mentionCount: 1, muted: true }),
    conv("zebra", { unreadCount: 1, mentionCount: 1 }),
    conv("archived-loud", { archivedAt: new Date("2026-01-01"), unreadCount: 5, mentionCount: 2 }),
    conv("dm-eve", { kind: "dm", name: "Eve", unreadCount: 2, mentionCount: 2 }),
    conv("gdm", { kind: "group_dm", name: "Bob, Eve", unreadCount: 1, mentionCount: 1 }),
    conv("dm-fay", { kind: "dm", name: "Fay" }),
  ];

  it("ranks mentions (even muted) before unread (not muted) before the rest", () => {
    expect(busy.map((c) => [c.id, unreadRank(c)])).toEqual([
      ["dm-bob", 2],
      ["random", 2],
      ["old", 2],
      ["design", 2],
      ["dev-ops", 1],
      ["deploys", 2],
      ["dm-dana", 0],
      ["alerts", 0],
      ["zebra", 0],
      ["archived-loud", 0],
      ["dm-eve", 0],
      ["gdm", 0],
      ["dm-fay", 2],
    ]);
  });

  it("puts mentions, then unread, at the top of each section; names (or the server's order) within a rank; archived last", () => {
    const { channels, dms } = sidebarSections(busy, { isUnreadsFirst: true });
    expect(ids(channels)).toEqual([
      "alerts",
      "zebra",
      "dev-ops",
      "deploys",
      "design",
      "random",
      "archived-loud",
      "old",
    ]);
    // DMs keep the list's order within a rank (a stable sort).
    expect(ids(dms)).toEqual(["dm-dana", "dm-eve", "gdm", "dm-bob", "dm-fay"]);
  });

  it("changes nothing when off", () => {
    expect(ids(sidebarOrder(busy, { isUnreadsFirst: false }))).toEqual(ids(sidebarOrder(busy)));
    expect(ids(sidebarSections(busy).dms)).toEqual(["dm-bob", "dm-dana", "dm-eve", "gdm", "dm-fay"]);
  });

  it("keeps the open conversation where it was while it is read, and lets it go when the reader leaves", () => {
    // zebra is opened while it has a mention: it is held at rank 0.
    let held = nextHeld(null, "zebra", busy);
    expect(held).toEqual({ id: "zebra", rank: 0 });
    // Reading it clears its counts; it stays among the mentions while open.
    const read = busy.map((c) => (c.id === "zebra" ? { ...c, unreadCount: 0, mentionCount: 0 } : c));
    held = nextHeld(held, "zebra", read);
    expect(held).toEqual({ id: "zebra", rank: 0 });
    expect(ids(sidebarSections(read, { isUnreadsFirst: true, held }).channels).slice(0, 3)).toEqual([
      "alerts",
      "zebra",
      "dev-ops",
    ]);
    // Another conversation opens: zebra goes back to its name's place among the read ones.
    held = nextHeld(held, "random", read);
    expect(held).toEqual({ id: "random", rank: 2 });
    expect(ids(sidebarSections(read, { isUnreadsFirst: true, held }).channels)).toEqual([
      "alerts",
      "dev-ops",
      "deploys",
      "design",
      "random",
      "zebra",
      "archived-loud",
      "old",
    ]);
    // A read conversation held while open does not jump up when a message lands in it.
    const landed = read.map((c) => (c.id === "random" ? { ...c, unreadCount: 1 } : c));
    expect(ids(sidebarSections(landed, { isUnreadsFirst: true, held }).channels).indexOf("random")).toBe(4);
    // Nothing open, or the open one not listed yet: no hold.
    expect(nextHeld(held, null, read)).toBeNull();
    expect(nextHeld(null, "not-loaded-yet", read)).toBeNull();
  });

  it("Alt+↑/↓ walks the same order", () => {
    const options = { isUnreadsFirst: true, held: null };
    expect(stepConversation(busy, null, 1, options)?.id).toBe("alerts");
    expect(stepConversation(busy, "old", 1, options)?.id).toBe("dm-dana");
    expect(stepConversation(busy, "alerts", -1, options)?.id).toBe("dm-fay");
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
