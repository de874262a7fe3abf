import { describe, expect, it } from "vitest";
import { ZSend, ZSetPresence } from "./commands.ts";
import { parseClientFrame } from "./parse.ts";
import { textProblem, zLine, zText } from "./text.ts";

describe("zText: client text at the boundary", () => {
  it("accepts ordinary text, tab/LF/CR, and well-formed surrogate pairs (emoji, astral characters)", () => {
    for (const ok of [
      "",
      "hello",
      "line one\nline two\r\n\tindented",
      "😀",
      "family 👨‍👩‍👧‍👦 flag 🇫🇷 keycap 1️⃣",
      "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀋",
      "עברית \u202bRTL\u202c",
      "\u00a0non-breaking \u00e9",
    ]) {
      expect(zText().safeParse(ok).success, JSON.stringify(ok)).toBe(true);
      expect(textProblem(ok)).toBeNull();
    }
  });

  it("refuses NUL, other C0 controls, DEL and C1 controls, naming the code point", () => {
    for (const [bad, cp] of [
      ["a\u0000b", "U+0000"],
      ["\u0001", "U+0001"],
      ["bell\u0007", "U+0007"],
      ["vt\u000b", "U+000B"],
      ["esc\u001b[31m", "U+001B"],
      ["del\u007f", "U+007F"],
      ["nel\u0085", "U+0085"],
      ["csi\u009b", "U+009B"],
    ] as const) {
      const r = zText().safeParse(bad);
      expect(r.success, JSON.stringify(bad)).toBe(false);
      expect(r.error?.issues[0]?.message).toContain(cp);
    }
  });

  it("refuses lone surrogates (high without low, low without high, reversed pair)", () => {
    for (const [bad, cp] of [
      ["\ud800", "U+D800"],
      ["x\udbff", "U+DBFF"],
      ["\udc00x", "U+DC00"],
      ["\ude00\ud83d", "U+DE00"],
      ["ok 😀 then \ud83d", "U+D83D"],
    ] as const) {
      const r = zText().safeParse(bad);
      expect(r.success, JSON.stringify(bad)).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/unpaired UTF-16 surrogate/);
      expect(r.error?.issues[0]?.message).toContain(cp);
    }
  });

  it("zLine also refuses line breaks, but not tabs", () => {
    expect(zLine().safeParse("one line\twith a tab 😀").success).toBe(true);
    for (const bad of ["a\nb", "a\rb", "a\u2028b", "a\u2029b", "a\u0000"]) {
      expect(zLine().safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(zLine().safeParse("a\nb").error?.issues[0]?.message).toMatch(/single line/);
  });

  it("keeps working when chained (trim, max) and names the field in an object", () => {
    const r = ZSend.safeParse({
      type: "send",
      id: "1",
      conversationId: "0190f5a4-7b1c-7a2b-8c3d-4e5f6a7b8c9d",
      clientMsgId: "0190f5a4-7b1c-7a2b-8c3d-4e5f6a7b8c9e",
      body: "hi\u0000",
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["body"]);
    expect(
      ZSetPresence.safeParse({ type: "setPresence", id: "1", status: "online", statusText: "\ud800" })
        .success,
    ).toBe(false);
  });

  it("a send frame with a NUL body is INVALID_FIELDS naming body", () => {
    const frame = JSON.stringify({
      type: "send",
      id: "c1",
      conversationId: "0190f5a4-7b1c-7a2b-8c3d-4e5f6a7b8c9d",
      clientMsgId: "0190f5a4-7b1c-7a2b-8c3d-4e5f6a7b8c9e",
      body: "a\u0000b",
    });
    const r = parseClientFrame(frame);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.id).toBe("c1");
    expect(r.error.code).toBe("INVALID_FIELDS");
    expect(r.error.issues).toEqual([{ path: "body", message: expect.stringContaining("U+0000") }]);
    // A lone surrogate written as a JSON escape arrives as one after JSON.parse.
    const lone = parseClientFrame(frame.replace("a\\u0000b", "\\ud800"));
    expect(lone.ok).toBe(false);
    if (!lone.ok) expect(lone.error.issues?.[0]?.path).toBe("body");
  });
});
