import { describe, expect, it } from "vitest";
import {
  broadcastRestrictedText,
  isBroadcastRestricted,
  type TBroadcastContext,
} from "../src/messages/broadcast-rule.ts";

const channel = (memberCount: number, role: TBroadcastContext["role"] = "member"): TBroadcastContext => ({
  kind: "public_channel",
  memberCount,
  role,
});

describe("the broadcast rule composers share with the server", () => {
  it("restricts members above the threshold only under the admins policy", () => {
    expect(isBroadcastRestricted({ policy: "everyone", threshold: 0 }, channel(50))).toBe(false);
    expect(isBroadcastRestricted({ policy: "admins", threshold: 5 }, channel(5))).toBe(false);
    expect(isBroadcastRestricted({ policy: "admins", threshold: 5 }, channel(6))).toBe(true);
    expect(isBroadcastRestricted({ policy: "admins", threshold: 0 }, channel(1))).toBe(true);
    expect(
      isBroadcastRestricted({ policy: "admins", threshold: 5 }, { ...channel(6), kind: "private_channel" }),
    ).toBe(true);
  });

  it("never restricts admins, owners, DMs or group DMs", () => {
    const strict = { policy: "admins", threshold: 0 } as const;
    expect(isBroadcastRestricted(strict, channel(100, "admin"))).toBe(false);
    expect(isBroadcastRestricted(strict, channel(100, "owner"))).toBe(false);
    expect(isBroadcastRestricted(strict, { ...channel(2), kind: "dm" })).toBe(false);
    expect(isBroadcastRestricted(strict, { ...channel(9), kind: "group_dm" })).toBe(false);
  });

  it("says which channels the restriction covers", () => {
    expect(broadcastRestrictedText(5)).toBe(
      "Only workspace admins can use @channel, @here or @everyone in channels with more than 5 members",
    );
    expect(broadcastRestrictedText(1)).toMatch(/more than 1 member$/);
    expect(broadcastRestrictedText(0)).toBe(
      "Only workspace admins can use @channel, @here or @everyone in channels",
    );
  });
});
