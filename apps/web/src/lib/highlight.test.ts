import { describe, expect, it } from "vitest";
import { highlightToHast, languageOf } from "./highlight";

describe("code highlighting", () => {
  it("resolves fence languages and aliases, and nothing for unknown ones", () => {
    expect(languageOf("ts")).toBe("typescript");
    expect(languageOf(" Python ")).toBe("python");
    expect(languageOf("yml")).toBe("yaml");
    expect(languageOf("brainfudge")).toBeNull();
    expect(languageOf("constructor")).toBeNull(); // not an inherited property
    expect(languageOf(undefined)).toBeNull();
  });

  it("tokenises with CSS variables for both colour schemes and keeps every line", async () => {
    const code = "const a: number = 1;\n// note <b>not html</b>\nexport {};";
    const tree = await highlightToHast(code, "typescript");
    const pre = tree.children[0];
    expect(pre?.type === "element" && pre.tagName).toBe("pre");
    const json = JSON.stringify(tree);
    expect(json).toContain("--shiki-light:");
    expect(json).toContain("--shiki-dark:");
    expect(json).toContain("<b>not html</b>"); // a text node, rendered as text by React
    const lines = json.match(/"class":"line"/g) ?? [];
    expect(lines).toHaveLength(3);
  }, 30_000); // the first call loads shiki and the grammar: seconds on a busy box
});
