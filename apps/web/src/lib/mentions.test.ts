import { groupMentionToken, parseMentions } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import {
  decodeMentions,
  encodeMentions,
  mentionOptions,
  mentionTrigger,
  type TMentionable,
} from "./mentions";

const ANN = "11111111-1111-4111-8111-111111111111";
const ANNA = "22222222-2222-4222-8222-222222222222";
const BOB = "33333333-3333-4333-8333-333333333333";
const GONE = "44444444-4444-4444-8444-444444444444";
const GROUP = "55555555-5555-4555-8555-555555555555";
const members: TMentionable[] = [
  { userId: ANN, name: "Ann" },
  { userId: ANNA, name: "Anna B" },
  { userId: BOB, name: "Bob Smith" },
];
const names = new Map(members.map((m) => [m.userId, m.name]));

describe("encodeMentions", () => {
  it("turns member names into user tokens, the longest name first", () => {
    expect(encodeMentions("@Anna B and @Ann", members)).toBe(`<@${ANNA}> and <@${ANN}>`);
    expect(encodeMentions("@Ann B", members)).toBe(`<@${ANN}> B`);
  });

  it("matches a name only as a whole word, with punctuation after it", () => {
    expect(encodeMentions("hi @Ann, @Ann. (@Ann) @Ann!", members)).toBe(
      `hi <@${ANN}>, <@${ANN}>. (<@${ANN}>) <@${ANN}>!`,
    );
    expect(encodeMentions("@Annabel and me@Ann", members)).toBe("@Annabel and me@Ann");
  });

  it("matches names case-insensitively", () => {
    expect(encodeMentions("@bob smith", members)).toBe(`<@${BOB}>`);
  });

  it("turns @channel, @here and @everyone into broadcast tokens", () => {
    const body = encodeMentions("@channel @here @everyone @channels", members);
    expect(body).toBe("<!channel> <!here> <!everyone> @channels");
    expect(parseMentions(body)).toEqual({ userIds: [], groupIds: [], all: true });
  });

  it("leaves unknown names and code as typed", () => {
    expect(encodeMentions("@Zed and `@Ann` and\n```\n@here\n```", members)).toBe(
      "@Zed and `@Ann` and\n```\n@here\n```",
    );
  });

  it("resolves a shared name to the member the author picked", () => {
    const twins: TMentionable[] = [
      { userId: ANN, name: "Alex" },
      { userId: BOB, name: "Alex" },
    ];
    expect(encodeMentions("@Alex", twins)).toBe(`<@${ANN}>`);
    expect(encodeMentions("@Alex", twins, new Map([["alex", BOB]]))).toBe(`<@${BOB}>`);
  });

  it("gives the server tokens it parses back to the same users", () => {
    expect(parseMentions(encodeMentions("@Bob Smith ping @Anna B", members))).toEqual({
      userIds: [BOB, ANNA],
      groupIds: [],
      all: false,
    });
  });
});

describe("decodeMentions", () => {
  it("turns tokens back into @Name and broadcasts into @word", () => {
    expect(decodeMentions(`<@${ANNA}>, <@${ANN}>: <!here>`, names)).toBe("@Anna B, @Ann: @here");
  });

  it("keeps tokens of unknown users so re-saving does not drop the mention", () => {
    const body = `hi <@${GONE}>`;
    expect(decodeMentions(body, names)).toBe(body);
    expect(encodeMentions(decodeMentions(body, names), members)).toBe(body);
  });

  it("round-trips through encode", () => {
    const body = `<@${ANN}> <@${ANNA}> <!channel> done`;
    expect(encodeMentions(decodeMentions(body, names), members)).toBe(body);
  });
});

describe("mentionTrigger", () => {
  it("finds @ at the start, after a space or a bracket, with up to three words", () => {
    expect(mentionTrigger("@an", 3)).toEqual({ start: 0, query: "an" });
    expect(mentionTrigger("hi (@Bob Sm", 11)).toEqual({ start: 4, query: "Bob Sm" });
    expect(mentionTrigger("hi @", 4)).toEqual({ start: 3, query: "" });
  });

  it("ignores e-mail addresses and text after the caret", () => {
    expect(mentionTrigger("mail me@example.com", 19)).toBeNull();
    expect(mentionTrigger("@ann and more", 4)).toEqual({ start: 0, query: "ann" });
    expect(mentionTrigger("@ one", 5)).toBeNull();
  });
});

describe("mentionOptions", () => {
  it("lists matching members except me, then matching broadcasts", () => {
    expect(mentionOptions("an", members, BOB).map((o) => o.name)).toEqual(["Ann", "Anna B"]);
    expect(mentionOptions("sm", members, ANN).map((o) => o.name)).toEqual(["Bob Smith"]);
    expect(mentionOptions("h", members, ANN).map((o) => o.name)).toEqual(["here"]);
    expect(mentionOptions("", members, ANN).map((o) => o.name)).toEqual([
      "Anna B",
      "Bob Smith",
      "channel",
      "here",
      "everyone",
    ]);
  });

  it("does not suggest deactivated members", () => {
    const list = [...members, { userId: GONE, name: "Annie", isDeactivated: true }];
    expect(mentionOptions("ann", list, BOB).map((o) => o.name)).toEqual(["Ann", "Anna B"]);
  });

  it("offers user groups by handle or name, after members and before broadcasts", () => {
    const groups = [{ groupId: GROUP, handle: "design", name: "Design team" }];
    expect(mentionOptions("de", members, ANN, 8, groups)).toEqual([
      { kind: "group", groupId: GROUP, name: "design", description: "Design team" },
    ]);
    expect(mentionOptions("team", members, ANN, 8, groups).map((o) => o.kind)).toEqual(["group"]);
    expect(mentionOptions("h", members, ANN, 8, groups).map((o) => o.name)).toEqual(["here"]);
  });
});

describe("user group mentions", () => {
  const groups = [{ groupId: GROUP, handle: "design", name: "Design team" }];

  it("encodes @handle as the group's token and decodes it back", () => {
    const body = encodeMentions(
      "@design and @Design, not @designers or `@design`",
      members,
      undefined,
      groups,
    );
    expect(body).toBe(
      `${groupMentionToken(GROUP)} and ${groupMentionToken(GROUP)}, not @designers or \`@design\``,
    );
    expect(decodeMentions(body, new Map(), groups)).toBe("@design and @design, not @designers or `@design`");
    // An unknown group stays a token, so saving an edit keeps it.
    expect(decodeMentions(groupMentionToken(GONE), new Map(), groups)).toBe(groupMentionToken(GONE));
  });
});
