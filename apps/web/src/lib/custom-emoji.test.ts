import { describe, expect, it } from "vitest";
import { applyEmojiChange, shortcodeName } from "./custom-emoji";

const at = new Date("2026-01-01T00:00:00Z");
const e = (name: string) => ({ id: `id-${name}`, name, createdById: null, createdAt: at });

describe("custom emoji list", () => {
  it("adds in name order, replaces by name, removes, and leaves an unloaded list alone", () => {
    const list = [e("b"), e("d")];
    expect(applyEmojiChange(list, { name: "c", emoji: e("c") })?.map((x) => x.name)).toEqual(["b", "c", "d"]);
    expect(applyEmojiChange(list, { name: "b", emoji: { ...e("b"), id: "new" } })?.[0]?.id).toBe("new");
    expect(applyEmojiChange(list, { name: "d", emoji: null })?.map((x) => x.name)).toEqual(["b"]);
    expect(applyEmojiChange(list, { name: "zz", emoji: null })).toEqual(list);
    expect(applyEmojiChange(undefined, { name: "c", emoji: e("c") })).toBeUndefined();
  });

  it("reads a reaction's :name:", () => {
    expect(shortcodeName(":party-parrot:")).toBe("party-parrot");
    expect(shortcodeName("👍")).toBeNull();
  });
});
