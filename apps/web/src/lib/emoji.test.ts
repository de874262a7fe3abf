import { beforeAll, describe, expect, it } from "vitest";
import {
  completeShortcode,
  emojiTrigger,
  loadEmojiIndex,
  MAX_EMOJI_VERSION,
  normalizeEmoji,
  searchEmoji,
  type TEmojiIndex,
} from "./emoji";

let index: TEmojiIndex;
beforeAll(async () => {
  index = await loadEmojiIndex();
});

describe("emoji index", () => {
  it("knows Slack's shortcodes", () => {
    expect(index.byShortcode.get("tada")?.emoji).toBe("🎉");
    expect(index.byShortcode.get("+1")?.emoji).toBe("👍");
    expect(index.byShortcode.get("thumbsup")?.emoji).toBe("👍");
    expect(index.byShortcode.get("heart")?.emoji).toBe("❤️");
  });

  it("groups emoji in picker order without skin-tone swatches", () => {
    expect(index.groups[0]?.label).toBe("Smileys & emotion");
    expect(index.groups[0]?.emojis[0]?.emoji).toBe("😀");
    expect(index.groups.map((g) => g.key)).not.toContain("component");
    expect(index.emojis.some((e) => e.name === "light skin tone")).toBe(false);
    expect(index.emojis.length).toBeGreaterThan(1500);
  });

  it(`offers nothing newer than Emoji ${MAX_EMOJI_VERSION}`, () => {
    // "face with bags under eyes" is Emoji 16.0.
    expect(index.emojis.some((e) => e.name === "face with bags under eyes")).toBe(false);
  });
});

describe("normalizeEmoji", () => {
  it("drops variation selectors the emoji does not need and keeps the needed ones", () => {
    expect(normalizeEmoji("\u{1F44D}\uFE0F")).toBe("\u{1F44D}");
    expect(normalizeEmoji("\u2764\uFE0F")).toBe("\u2764\uFE0F");
    expect(normalizeEmoji("1\uFE0F\u20E3")).toBe("1\uFE0F\u20E3");
  });
});

describe("searchEmoji", () => {
  it("ranks an exact shortcode first, then shortcode prefixes, names and tags", () => {
    expect(searchEmoji(index, "tada")[0]?.emoji).toBe("🎉");
    expect(searchEmoji(index, ":tad")[0]?.emoji).toBe("🎉");
    expect(searchEmoji(index, "+1")[0]?.emoji).toBe("👍");
    expect(
      searchEmoji(index, "thumbs")
        .map((e) => e.emoji)
        .slice(0, 2),
    ).toEqual(["👍", "👎"]);
    expect(searchEmoji(index, "party pop")[0]?.emoji).toBe("🎉");
    expect(searchEmoji(index, "thumbs up")[0]?.emoji).toBe("👍");
    expect(searchEmoji(index, "zzzqx")).toEqual([]);
    expect(searchEmoji(index, "popper")[0]?.emoji).toBe("🎉");
    expect(searchEmoji(index, "celebrate").map((e) => e.emoji)).toContain("🎉");
  });

  it("returns at most `limit` and nothing for a blank query", () => {
    expect(searchEmoji(index, "face", 5)).toHaveLength(5);
    expect(searchEmoji(index, "  ")).toEqual([]);
  });
});

describe("emojiTrigger", () => {
  it("needs a colon at a word start and two characters", () => {
    expect(emojiTrigger(":ta", 3)).toEqual({ start: 0, query: "ta" });
    expect(emojiTrigger("nice :+1", 8)).toEqual({ start: 5, query: "+1" });
    expect(emojiTrigger(":t", 2)).toBeNull();
    expect(emojiTrigger("at 10:30", 8)).toBeNull();
    expect(emojiTrigger("https://x.y", 11)).toBeNull();
  });
});

describe("completeShortcode", () => {
  it("swaps a finished known :shortcode: for its emoji and moves the caret", () => {
    expect(completeShortcode("yay :tada: ok", 10, index)).toEqual({ text: "yay 🎉 ok", caret: 6 });
    expect(completeShortcode("yay :nope:", 10, index)).toBeNull();
    expect(completeShortcode("12:30:", 6, index)).toBeNull();
  });
});
