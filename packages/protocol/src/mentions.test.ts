import { describe, expect, it } from "vitest";
import {
  broadcastMentionToken,
  groupMentionToken,
  MENTION_TOKEN_RE,
  parseMentions,
  userMentionToken,
} from "./mentions.ts";

const A = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const B = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c";

describe("mentions", () => {
  it("finds user tokens once each, lower-cased, in order", () => {
    const body = `hi ${userMentionToken(B)} and <@${A.toUpperCase()}>, again ${userMentionToken(B)}`;
    expect(parseMentions(body)).toEqual({ userIds: [B, A], groupIds: [], all: false });
  });

  it("treats @channel, @here and @everyone as mentioning everyone", () => {
    for (const name of ["channel", "here", "everyone"] as const) {
      expect(parseMentions(`ping ${broadcastMentionToken(name)}`)).toEqual({
        userIds: [],
        groupIds: [],
        all: true,
      });
    }
  });

  it("ignores look-alikes: plain @names, malformed ids, unknown broadcasts", () => {
    expect(parseMentions("@Ada <@not-a-uuid> <!all> <@ 0193a1b2> <!channel")).toEqual({
      userIds: [],
      groupIds: [],
      all: false,
    });
    expect(parseMentions("<!subteam^nope> <!subteam> <!subteam^>").groupIds).toEqual([]);
  });

  it("finds user group tokens once each, lower-cased, apart from users", () => {
    const body = `${groupMentionToken(A)} and ${userMentionToken(B)}, <!subteam^${A.toUpperCase()}> again`;
    expect(parseMentions(body)).toEqual({ userIds: [B], groupIds: [A], all: false });
  });

  it("the shared regex can be reused (global flag) without leaking state between calls", () => {
    const body = `${userMentionToken(A)} ${userMentionToken(B)}`;
    expect([...body.matchAll(MENTION_TOKEN_RE)]).toHaveLength(2);
    expect(parseMentions(body).userIds).toEqual([A, B]);
    expect(parseMentions(body).userIds).toEqual([A, B]);
  });
});
