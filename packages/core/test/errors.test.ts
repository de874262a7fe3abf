import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatTemplate, ParleyError, parseInput } from "../src/errors.ts";

describe("ParleyError templates", () => {
  it("fills a template's placeholders for the English message and keeps both", () => {
    const err = new ParleyError("CONFLICT", "There is already a custom emoji :{name}:", {
      params: { name: "party" },
    });
    expect(err.message).toBe("There is already a custom emoji :party:");
    expect(err.template).toBe("There is already a custom emoji :{name}:");
    expect(err.params).toEqual({ name: "party" });
  });

  it("keeps a message without params as is", () => {
    const err = new ParleyError("NOT_FOUND", "Conversation not found");
    expect(err.message).toBe("Conversation not found");
    expect(err.template).toBe("Conversation not found");
    expect(err.params).toBeUndefined();
  });

  it("formats numbers, repeated placeholders, and leaves unknown ones as written", () => {
    expect(formatTemplate("{key}: e.g. {key}:2026-12-01 ({n})", { key: "after", n: 3 })).toBe(
      "after: e.g. after:2026-12-01 (3)",
    );
    expect(formatTemplate("At most {max}", {})).toBe("At most {max}");
  });

  it("words a validation refusal as a template with the issues as a param", () => {
    let caught: unknown;
    try {
      parseInput(z.object({ name: z.string().min(1, "is empty") }), { name: "" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ParleyError);
    expect((caught as ParleyError).template).toBe("Invalid input: {issues}");
    expect((caught as ParleyError).message).toBe("Invalid input: name: is empty");
  });
});
