import { describe, expect, it } from "vitest";
import { configureLimits, DEFAULT_LIMITS } from "../src/limits.ts";
import {
  ZChannelName,
  ZCreateChannel,
  ZEditMessage,
  ZEmail,
  ZEmoji,
  ZGetHistory,
  ZOpenDm,
  ZSendMessage,
} from "../src/schemas.ts";

const uuid = "0190f5a4-7b1c-7a2b-8c3d-4e5f6a7b8c9d";

describe("channel names", () => {
  it("accepts slack-like names and normalises case, spaces around and a leading #", () => {
    expect(ZChannelName.parse("general")).toBe("general");
    expect(ZChannelName.parse("  Team-Web_2 ")).toBe("team-web_2");
    expect(ZChannelName.parse("#random")).toBe("random");
    expect(ZChannelName.parse("a".repeat(80))).toHaveLength(80);
  });

  it("rejects empty, too long and names with other characters", () => {
    for (const bad of ["", "   ", "#", "a".repeat(81), "has space", "émoji", "dot.name", "slash/x", "😀"]) {
      expect(ZChannelName.safeParse(bad).success, bad).toBe(false);
    }
  });

  it("defaults isPrivate to false and validates member ids", () => {
    expect(ZCreateChannel.parse({ name: "x" }).isPrivate).toBe(false);
    expect(ZCreateChannel.safeParse({ name: "x", memberIds: ["nope"] }).success).toBe(false);
  });
});

describe("message bodies", () => {
  const msg = (body: unknown) => ZSendMessage.safeParse({ conversationId: uuid, clientMsgId: uuid, body });

  it("trims and requires at least one character", () => {
    expect(msg("  hi ").data?.body).toBe("hi");
    expect(msg("").success).toBe(false);
    expect(msg(" \n\t ").success).toBe(false);
    expect(msg(null).success).toBe(false);
  });

  it("enforces the configured maximum length after trimming", () => {
    configureLimits({ maxMessageLength: 5 });
    try {
      expect(msg("12345").success).toBe(true);
      expect(msg("  12345  ").success).toBe(true);
      const tooLong = msg("123456");
      expect(tooLong.success).toBe(false);
      expect(tooLong.error?.issues[0]?.message).toMatch(/longer than 5/);
    } finally {
      configureLimits(DEFAULT_LIMITS);
    }
    expect(msg("x".repeat(DEFAULT_LIMITS.maxMessageLength)).success).toBe(true);
    expect(msg("x".repeat(DEFAULT_LIMITS.maxMessageLength + 1)).success).toBe(false);
  });

  it("requires UUIDs for ids and clientMsgId", () => {
    expect(ZSendMessage.safeParse({ conversationId: "1", clientMsgId: uuid, body: "x" }).success).toBe(false);
    expect(ZSendMessage.safeParse({ conversationId: uuid, clientMsgId: "abc", body: "x" }).success).toBe(
      false,
    );
  });
});

describe("other inputs", () => {
  it("lower-cases e-mail addresses", () => {
    expect(ZEmail.parse(" Ada@Example.COM ")).toBe("ada@example.com");
    expect(ZEmail.safeParse("ada").success).toBe(false);
  });

  it("allows one history anchor at most and caps the page size", () => {
    expect(ZGetHistory.parse({ conversationId: uuid }).limit).toBe(50);
    expect(ZGetHistory.safeParse({ conversationId: uuid, before: 5, around: 3 }).success).toBe(false);
    expect(ZGetHistory.safeParse({ conversationId: uuid, limit: 101 }).success).toBe(false);
    expect(ZGetHistory.safeParse({ conversationId: uuid, limit: 0 }).success).toBe(false);
  });

  it("needs at least one person for a DM", () => {
    expect(ZOpenDm.safeParse({ userIds: [] }).success).toBe(false);
    expect(ZOpenDm.safeParse({ userIds: [uuid] }).success).toBe(true);
  });
});

describe("reaction emoji", () => {
  it("accepts one emoji grapheme (ZWJ sequences, flags, keycaps, skin tones) or a :shortcode:", () => {
    for (const ok of [
      "👍",
      "❤️",
      "😂",
      "🎉",
      "👀",
      "👍🏽",
      "👩‍👩‍👧‍👦",
      "🇫🇷",
      "1️⃣",
      ":tada:",
      ":+1:",
      ":thumbs_up-2:",
    ]) {
      expect(ZEmoji.safeParse(ok).success, ok).toBe(true);
    }
  });

  it("rejects text, several emoji, over-long sequences and malformed shortcodes", () => {
    const tooLong = "👩‍👩‍👧‍👦".repeat(2);
    for (const bad of [
      "",
      "a",
      "1",
      "👍👍",
      "👍 👍",
      "<b>",
      ":Tada:",
      ":a b:",
      "::",
      `:${"a".repeat(65)}:`,
      tooLong,
    ]) {
      expect(ZEmoji.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe("edits", () => {
  it("validates the new body like a send", () => {
    expect(ZEditMessage.parse({ messageId: uuid, body: " new " }).body).toBe("new");
    expect(ZEditMessage.safeParse({ messageId: uuid, body: "  " }).success).toBe(false);
  });
});
