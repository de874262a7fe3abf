import { describe, expect, it } from "vitest";
import {
  defaultNotifyPrefs,
  isDoNotDisturb,
  matchesKeyword,
  minuteOfDay,
  shouldNotify,
  type TConversationNotifyPrefs,
  type TNotificationMessage,
  type TNotificationPrefs,
} from "./should-notify.ts";

const ME = "0190a000-0000-7000-8000-00000000000a";
const OTHER = "0190a000-0000-7000-8000-00000000000b";
const NOW = new Date("2026-12-05T12:00:00Z");

const prefs = (over: Partial<TNotificationPrefs> = {}): TNotificationPrefs => ({
  ...defaultNotifyPrefs(ME),
  ...over,
});
const channel = (over: Partial<TConversationNotifyPrefs> = {}): TConversationNotifyPrefs => ({
  kind: "public_channel",
  level: "default",
  muted: false,
  ignoreBroadcasts: false,
  ...over,
});
const dm = (over: Partial<TConversationNotifyPrefs> = {}) => channel({ kind: "dm", ...over });
const msg = (over: Partial<TNotificationMessage> = {}): TNotificationMessage => ({
  senderId: OTHER,
  body: "hello there",
  mentionedUserIds: [],
  mentionsAll: false,
  attachmentCount: 0,
  ...over,
});
const mentionMe = msg({ body: `<@${ME}> look`, mentionedUserIds: [ME] });
const broadcast = msg({ body: "<!here> lunch", mentionsAll: true });

describe("shouldNotify with the defaults (DMs and mentions)", () => {
  it("notifies every DM and group DM message", () => {
    expect(shouldNotify(prefs(), dm(), msg(), NOW)).toBe("dm");
    expect(shouldNotify(prefs(), channel({ kind: "group_dm" }), msg(), NOW)).toBe("dm");
  });

  it("notifies a mention of me, a broadcast and a keyword in a channel, but not a plain message", () => {
    expect(shouldNotify(prefs(), channel(), mentionMe, NOW)).toBe("mention");
    expect(shouldNotify(prefs(), channel(), broadcast, NOW)).toBe("broadcast");
    expect(
      shouldNotify(prefs({ keywords: ["deploy"] }), channel(), msg({ body: "Deploy is done" }), NOW),
    ).toBe("keyword");
    expect(shouldNotify(prefs(), channel(), msg(), NOW)).toBeNull();
    expect(
      shouldNotify(prefs({ keywords: ["deploy"] }), channel(), msg({ body: "redeployed" }), NOW),
    ).toBeNull();
  });

  it("never notifies my own message, an empty one, or a mention of someone else", () => {
    expect(shouldNotify(prefs(), dm(), msg({ senderId: ME }), NOW)).toBeNull();
    expect(shouldNotify(prefs(), dm(), msg({ senderId: ME.toUpperCase() }), NOW)).toBeNull();
    expect(shouldNotify(prefs(), dm(), msg({ body: "  " }), NOW)).toBeNull();
    expect(shouldNotify(prefs(), dm(), msg({ body: "", attachmentCount: 1 }), NOW)).toBe("dm");
    expect(shouldNotify(prefs(), channel(), msg({ mentionedUserIds: [OTHER] }), NOW)).toBeNull();
  });
});

describe("shouldNotify: levels", () => {
  it("mentions only: a DM notifies only when it mentions me, broadcasts or has a keyword", () => {
    const p = prefs({ level: "mentions", keywords: ["urgent"] });
    expect(shouldNotify(p, dm(), msg(), NOW)).toBeNull();
    expect(shouldNotify(p, dm(), mentionMe, NOW)).toBe("mention");
    expect(shouldNotify(p, dm(), msg({ body: "URGENT: call me" }), NOW)).toBe("keyword");
    expect(shouldNotify(p, channel(), mentionMe, NOW)).toBe("mention");
    expect(shouldNotify(p, channel(), msg(), NOW)).toBeNull();
  });

  it("nothing: silent, unless a conversation says otherwise", () => {
    const p = prefs({ level: "nothing" });
    expect(shouldNotify(p, dm(), msg(), NOW)).toBeNull();
    expect(shouldNotify(p, channel(), mentionMe, NOW)).toBeNull();
    expect(shouldNotify(p, channel({ level: "mentions" }), mentionMe, NOW)).toBe("mention");
    expect(shouldNotify(p, channel({ level: "all" }), msg(), NOW)).toBe("message");
  });

  it("a conversation at all notifies every message; at mentions, a DM only for a mention", () => {
    expect(shouldNotify(prefs(), channel({ level: "all" }), msg(), NOW)).toBe("message");
    expect(shouldNotify(prefs({ level: "mentions" }), channel({ level: "all" }), msg(), NOW)).toBe("message");
    expect(shouldNotify(prefs(), dm({ level: "mentions" }), msg(), NOW)).toBeNull();
    expect(shouldNotify(prefs(), dm({ level: "mentions" }), mentionMe, NOW)).toBe("mention");
  });

  it("mute beats every level and every mention", () => {
    for (const level of ["default", "all", "mentions"] as const) {
      expect(shouldNotify(prefs(), channel({ level, muted: true }), mentionMe, NOW)).toBeNull();
      expect(shouldNotify(prefs(), dm({ level, muted: true }), msg(), NOW)).toBeNull();
    }
  });

  it("ignoring broadcasts silences @channel/@here/@everyone in that channel, not mentions of me", () => {
    expect(shouldNotify(prefs(), channel({ ignoreBroadcasts: true }), broadcast, NOW)).toBeNull();
    expect(shouldNotify(prefs(), channel({ ignoreBroadcasts: true }), mentionMe, NOW)).toBe("mention");
    expect(
      shouldNotify(
        prefs(),
        channel({ ignoreBroadcasts: true }),
        msg({ ...broadcast, mentionedUserIds: [ME] }),
        NOW,
      ),
    ).toBe("mention");
    expect(shouldNotify(prefs(), channel({ ignoreBroadcasts: true, level: "all" }), broadcast, NOW)).toBe(
      "message",
    );
  });
});

describe("do not disturb", () => {
  it("for N hours: silent until then, back after", () => {
    const p = prefs({ dndUntil: new Date(NOW.getTime() + 60_000) });
    expect(shouldNotify(p, dm(), mentionMe, NOW)).toBeNull();
    expect(shouldNotify(p, dm(), mentionMe, new Date(NOW.getTime() + 60_000))).toBe("dm");
  });

  it("a daily window in the user's time zone, also across midnight", () => {
    // 22:00–08:00 in Berlin; NOW is 13:00 there (UTC+1 in December).
    const night = prefs({ dndStartMinute: 22 * 60, dndEndMinute: 8 * 60, timeZone: "Europe/Berlin" });
    expect(isDoNotDisturb(night, NOW)).toBe(false);
    expect(isDoNotDisturb(night, new Date("2026-12-05T21:30:00Z"))).toBe(true); // 22:30 local
    expect(isDoNotDisturb(night, new Date("2026-12-06T06:59:00Z"))).toBe(true); // 07:59 local
    expect(isDoNotDisturb(night, new Date("2026-12-06T07:00:00Z"))).toBe(false); // 08:00 local
    // 12:00–14:00 in New York (UTC-5): NOW (07:00 there) is outside, 17:30 UTC inside.
    const lunch = prefs({ dndStartMinute: 12 * 60, dndEndMinute: 14 * 60, timeZone: "America/New_York" });
    expect(shouldNotify(lunch, dm(), msg(), NOW)).toBe("dm");
    expect(shouldNotify(lunch, dm(), msg(), new Date("2026-12-05T17:30:00Z"))).toBeNull();
    // Same start and end is no window at all.
    expect(isDoNotDisturb(prefs({ dndStartMinute: 60, dndEndMinute: 60 }), NOW)).toBe(false);
  });

  it("reads local time per zone and falls back to UTC for an unknown one", () => {
    expect(minuteOfDay(NOW, "Asia/Kolkata")).toBe(17 * 60 + 30);
    expect(minuteOfDay(NOW, "Not/AZone")).toBe(12 * 60);
    expect(minuteOfDay(new Date("2026-12-05T00:05:00Z"), "UTC")).toBe(5);
  });
});

describe("matchesKeyword", () => {
  it("matches whole words in any case, never inside words or mention tokens", () => {
    expect(matchesKeyword("the Release is out", ["release"])).toBe(true);
    expect(matchesKeyword("release-notes", ["release"])).toBe(true);
    expect(matchesKeyword("releases", ["release"])).toBe(false);
    expect(matchesKeyword("prerelease and release", ["release"])).toBe(true);
    expect(matchesKeyword(`<@${ME}>`, [ME.slice(0, 8)])).toBe(false);
    expect(matchesKeyword("Grüße an Ärzte", ["ärzte"])).toBe(true);
    expect(matchesKeyword("anything", [])).toBe(false);
    expect(matchesKeyword("anything", ["  "])).toBe(false);
  });
});
