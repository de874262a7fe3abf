import { describe, expect, it } from "vitest";
import { hasToken, toggleToken } from "./search-chips";
import { hitHref } from "./search-results";

describe("filter chips", () => {
  it("toggle their token in the query text, keeping the rest", () => {
    expect(toggleToken("deploy notes", "has:file")).toBe("deploy notes has:file");
    expect(toggleToken("deploy has:file notes", "has:file")).toBe("deploy notes");
    expect(toggleToken("  ", "is:thread")).toBe("is:thread");
    // Case-insensitive, as the server reads filters.
    expect(toggleToken("HAS:FILE x", "has:file")).toBe("x");
  });
  it("see a token only as a whole word", () => {
    expect(hasToken("a has:file b", "has:file")).toBe(true);
    expect(hasToken("a has:files b", "has:file")).toBe(false);
    expect(hasToken("", "has:file")).toBe(false);
  });
});

describe("hitHref", () => {
  it("opens a message at its place, a reply in its thread with the reply marked", () => {
    expect(hitHref({ conversationId: "c", seq: 7, threadRootId: null })).toBe("/app/c/c?m=7");
    expect(hitHref({ conversationId: "c", seq: 9, threadRootId: "r" })).toBe("/app/c/c?thread=r&reply=9");
  });
});
