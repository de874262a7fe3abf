import { broadcastMentionToken, groupMentionToken, userMentionToken } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import {
  mentionsUser,
  notificationBody,
  notificationText,
  shouldNotify,
  type TNotifyConversation,
} from "./notifications.ts";

const ME = "0190a8c4-0000-7000-8000-000000000001";
const OTHER = "0190a8c4-0000-7000-8000-000000000002";
const channel: TNotifyConversation = { kind: "public_channel", muted: false, name: "general" };
const dm: TNotifyConversation = { kind: "dm", muted: false, name: "Bob" };

function decide(
  over: Partial<Parameters<typeof shouldNotify>[0]> & { body?: string; senderId?: string } = {},
) {
  const { body = "hello", senderId = OTHER, ...rest } = over;
  return shouldNotify({
    message: { senderId, body },
    meId: ME,
    conversation: channel,
    isTabHidden: true,
    ...rest,
  });
}

describe("shouldNotify", () => {
  it("notifies for a DM from someone else while the tab is hidden", () => {
    expect(decide({ conversation: dm })).toBe(true);
    expect(decide({ conversation: { ...dm, kind: "group_dm" } })).toBe(true);
  });

  it("notifies for a channel message that mentions me or everyone, not for plain channel traffic", () => {
    expect(decide({ body: `hey ${userMentionToken(ME)} look` })).toBe(true);
    expect(decide({ body: `${broadcastMentionToken("here")} standup` })).toBe(true);
    expect(decide({ body: `hey ${userMentionToken(OTHER)}` })).toBe(false);
    expect(decide({ body: "just chatting" })).toBe(false);
  });

  it("never notifies while the tab is visible", () => {
    expect(decide({ conversation: dm, isTabHidden: false })).toBe(false);
    expect(decide({ body: userMentionToken(ME), isTabHidden: false })).toBe(false);
  });

  it("never notifies for my own messages", () => {
    expect(decide({ conversation: dm, senderId: ME })).toBe(false);
    expect(decide({ body: userMentionToken(ME), senderId: ME })).toBe(false);
  });

  it("never notifies for a muted conversation, even a mention or a DM", () => {
    expect(decide({ conversation: { ...dm, muted: true } })).toBe(false);
    expect(decide({ conversation: { ...channel, muted: true }, body: userMentionToken(ME) })).toBe(false);
  });

  it("follows my preferences like the server does: levels, keywords, broadcasts ignored, do not disturb", () => {
    const prefs = {
      level: "mentions" as const,
      keywords: ["deploy"],
      dndUntil: null,
      dndStartMinute: null,
      dndEndMinute: null,
      timeZone: "UTC",
    };
    expect(decide({ conversation: dm, prefs })).toBe(false);
    expect(decide({ conversation: dm, prefs, body: `${userMentionToken(ME)} hi` })).toBe(true);
    expect(decide({ prefs, body: "Deploy done" })).toBe(true);
    expect(decide({ conversation: { ...channel, notifyLevel: "all" }, body: "just chatting" })).toBe(true);
    expect(
      decide({
        conversation: { ...channel, ignoreBroadcasts: true },
        body: `${broadcastMentionToken("here")} hi`,
      }),
    ).toBe(false);
    const now = new Date("2026-12-05T12:00:00Z");
    const paused = {
      ...prefs,
      level: "dms_and_mentions" as const,
      dndUntil: new Date("2026-12-05T13:00:00Z"),
    };
    expect(decide({ conversation: dm, prefs: paused, now })).toBe(false);
    expect(decide({ conversation: dm, prefs: paused, now: new Date("2026-12-05T13:00:00Z") })).toBe(true);
  });

  it("ignores empty bodies and treats an unknown conversation as an unmuted channel", () => {
    expect(decide({ conversation: dm, body: "  " })).toBe(false);
    expect(
      shouldNotify({
        message: { senderId: OTHER, body: "", attachmentTypes: ["audio/webm"] },
        meId: ME,
        conversation: dm,
        isTabHidden: true,
      }),
    ).toBe(true);
    expect(decide({ conversation: undefined, body: "hi" })).toBe(false);
    expect(decide({ conversation: undefined, body: userMentionToken(ME) })).toBe(true);
  });

  it("trusts the server's mention fields over the body when the event carries them", () => {
    const message = { senderId: OTHER, body: "no tokens here", mentionedUserIds: [ME], mentionsAll: false };
    expect(mentionsUser(message, ME)).toBe(true);
    expect(mentionsUser({ ...message, mentionedUserIds: [], mentionsAll: true }, ME)).toBe(true);
    expect(mentionsUser({ ...message, body: userMentionToken(ME), mentionedUserIds: [] }, ME)).toBe(false);
  });
});

describe("notificationBody", () => {
  it("says what a message without text carries", () => {
    const of = (attachmentTypes: string[], body = "") =>
      notificationBody({ senderId: OTHER, body, attachmentTypes });
    expect(of(["audio/webm"])).toBe("sent a voice message");
    expect(of(["image/png"])).toBe("sent an image");
    expect(of(["image/png", "image/jpeg"])).toBe("sent 2 images");
    expect(of(["application/pdf"])).toBe("sent a file");
    expect(of(["image/png", "application/pdf"])).toBe("sent 2 files");
    expect(of(["image/png"], "look")).toBe("look");
  });

  it("says it in the words it is given (the user's language)", () => {
    const say = (key: string, { count }: { count: number }) => `${key}:${count}`;
    const of = (attachmentTypes: string[]) =>
      notificationBody({ senderId: OTHER, body: "", attachmentTypes }, undefined, say);
    expect([of(["audio/webm"]), of(["image/png", "image/gif"]), of(["application/pdf"])]).toEqual([
      "voice:1",
      "images:2",
      "files:1",
    ]);
  });
});

describe("notificationText", () => {
  it("shows mentions as @names and strips markdown, on one short line", () => {
    const names = new Map([[ME, "Alice"]]);
    expect(
      notificationText(`**hi** ${userMentionToken(ME)}\n${broadcastMentionToken("channel")}`, names),
    ).toBe("hi @Alice @channel");
    expect(notificationText(userMentionToken(OTHER))).toBe("@someone");
    expect(notificationText("x".repeat(300))).toHaveLength(140);
  });

  it("shows a user group's token as its @handle (by group id in names), else @group", () => {
    expect(notificationText(`${groupMentionToken(OTHER)} standup`, new Map([[OTHER, "design"]]))).toBe(
      "@design standup",
    );
    expect(notificationText(groupMentionToken(OTHER))).toBe("@group");
  });
});
