import { describe, expect, it } from "vitest";
import { ParleyError } from "../src/errors.ts";
import { hasText, parseSearchQuery } from "../src/search/query.ts";

describe("parseSearchQuery", () => {
  it("reads words, phrases, exclusions and every filter", () => {
    const q = parseSearchQuery(
      'deploy "release notes" -staging in:#ops in:@ada from:@"Grace Hopper" from:me has:file has:link is:thread is:pinned mentions:me after:2026-11-30 before:2026-12-05 10:30',
    );
    expect(q).toEqual({
      words: ["deploy", "10:30"],
      phrases: ["release notes"],
      excluded: ["staging"],
      inChannels: ["ops"],
      inPeople: ["ada"],
      from: ["Grace Hopper"],
      fromMe: true,
      has: ["file", "link"],
      isThread: true,
      isPinned: true,
      mentionsMe: true,
      after: new Date("2026-12-01T00:00:00Z"),
      before: new Date("2026-12-05T00:00:00Z"),
    });
    expect(hasText(q)).toBe(true);
  });

  it("on: is one UTC day; a one-word quote is a word; only filters means no text", () => {
    const q = parseSearchQuery('on:2026-02-28 "solo" -"two words"');
    expect(q.after).toEqual(new Date("2026-02-28T00:00:00Z"));
    expect(q.before).toEqual(new Date("2026-03-01T00:00:00Z"));
    expect(q.words).toEqual(["solo"]);
    expect(q.excluded).toEqual(["two words"]);
    expect(hasText(parseSearchQuery("from:me has:image"))).toBe(false);
  });

  it.each([
    ["has:video", /has: expects file, image, voice, link/],
    ["is:open", /is: expects thread or pinned/],
    ["in:general", /in: expects #channel or @person/],
    ["before:2026-02-30", /before: expects a day as YYYY-MM-DD/],
    ["after:yesterday", /after: expects a day/],
    ["from:", /from: needs a value/],
    ["mentions:bob", /mentions: expects me/],
    ["x".repeat(501), /at most 500 characters/],
    [Array.from({ length: 21 }, (_, i) => `w${i}`).join(" "), /at most 20 words and filters/],
  ])("refuses %s with a clear message", (query, message) => {
    let error: unknown;
    try {
      parseSearchQuery(query);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ParleyError);
    expect((error as ParleyError).code).toBe("BAD_REQUEST");
    expect((error as Error).message).toMatch(message);
  });
});
