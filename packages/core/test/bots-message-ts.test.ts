/** Slack's ts for Parley messages: "<seconds>.<seq mod 1e6>", parsed back and compared as times. */
import { describe, expect, it } from "vitest";
import { messageTs, parseMessageTs, slackTimeToDate } from "../src/bots/message-ts.ts";

describe("message ts", () => {
  it("is the send time in whole seconds and the seq's last six digits", () => {
    const at = new Date("2026-12-10T08:00:00.731Z");
    expect(messageTs(at, 42)).toBe(`${Math.floor(at.getTime() / 1000)}.000042`);
    expect(messageTs(at, 1_000_042)).toBe(`${Math.floor(at.getTime() / 1000)}.000042`);
  });

  it("parses back, and refuses anything else", () => {
    expect(parseMessageTs("1796889600.000042")).toEqual({ seconds: 1796889600, seqLow: 42 });
    expect(parseMessageTs("1796889600.42")).toBeNull();
    expect(parseMessageTs("abc")).toBeNull();
    expect(parseMessageTs("-1.000001")).toBeNull();
  });

  it("reads Slack time bounds as dates", () => {
    expect(slackTimeToDate("1796889600.5")?.getTime()).toBe(1796889600500);
    expect(slackTimeToDate("now")).toBeNull();
  });
});
