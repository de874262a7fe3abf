import { describe, expect, it } from "vitest";
import { ZSend } from "./commands.ts";
import { ZSendFields } from "./send.ts";
import { INVALID_SENDS, invalidSendFields, issuePaths, SOME_ID } from "./testing.ts";

const CONVERSATION = "00000000-0000-4000-8000-0000000000c1";
const CLIENT_MSG_ID = "00000000-0000-4000-8000-0000000000f1";

describe("ZSendFields, the one send schema", () => {
  it.each(INVALID_SENDS)("refuses $name, naming $paths", (c) => {
    const fields = { clientMsgId: CLIENT_MSG_ID, ...invalidSendFields(c, CONVERSATION) };
    const bare = ZSendFields.safeParse(fields);
    expect(bare.success).toBe(false);
    expect(issuePaths(bare.error?.issues ?? [])).toEqual(c.paths);
    // The wire command is the same fields plus type and id: the same refusal.
    const wire = ZSend.safeParse({ type: "send", id: "s1", ...fields });
    expect(issuePaths(wire.error?.issues ?? [])).toEqual(c.paths);
  });

  it.each([
    ["a plain message", { body: "hi" }],
    ["a message of only files", { body: "", attachmentIds: [SOME_ID] }],
    ["whitespace around files", { body: "  ", attachmentIds: [SOME_ID] }],
    ["a thread reply also in the channel", { body: "re", threadRootId: SOME_ID, alsoInChannel: true }],
    ["alsoInChannel false without a root", { body: "hi", alsoInChannel: false }],
    ["tab, line breaks and emoji", { body: "a\tb\r\nc 😀 👨‍👩‍👧" }],
  ])("accepts %s, unchanged", (_, extra) => {
    const fields = { conversationId: CONVERSATION, clientMsgId: CLIENT_MSG_ID, ...extra };
    expect(ZSendFields.parse(fields)).toEqual(fields);
  });

  it("refuses unknown fields (a typo never posts silently to the wrong place)", () => {
    const typo = {
      conversationId: CONVERSATION,
      clientMsgId: CLIENT_MSG_ID,
      body: "re",
      threadRootID: SOME_ID,
    };
    const result = ZSendFields.safeParse(typo);
    expect(result.error?.issues).toMatchObject([{ code: "unrecognized_keys", keys: ["threadRootID"] }]);
  });

  it("does not run the cross-field rules on something that is not an object", () => {
    for (const value of [null, "send", 42, []]) {
      expect(issuePaths(ZSendFields.safeParse(value).error?.issues ?? [])).toEqual([""]);
    }
  });
});
