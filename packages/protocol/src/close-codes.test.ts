import { describe, expect, it } from "vitest";
import { CloseCode, isTerminalCloseCode } from "./close-codes.ts";

describe("isTerminalCloseCode", () => {
  it("tells the client to stop after auth, forbidden, bad frames, oversize and version errors", () => {
    for (const code of [
      CloseCode.BadFrames,
      CloseCode.Unauthorized,
      CloseCode.Forbidden,
      CloseCode.FrameTooLarge,
      CloseCode.UnsupportedVersion,
      4499,
    ]) {
      expect(isTerminalCloseCode(code), String(code)).toBe(true);
    }
  });

  it("lets the client reconnect after heartbeat timeouts and rate limiting", () => {
    expect(isTerminalCloseCode(CloseCode.HeartbeatTimeout)).toBe(false);
    expect(isTerminalCloseCode(CloseCode.RateLimited)).toBe(false);
  });

  it("lets the client reconnect after going-away, resync, slow consumer and network closes", () => {
    for (const code of [
      CloseCode.GoingAway,
      CloseCode.Resync,
      CloseCode.SlowConsumer,
      1000,
      1001,
      1006,
      4500,
    ]) {
      expect(isTerminalCloseCode(code), String(code)).toBe(false);
    }
  });

  it("keeps every documented code unique", () => {
    const codes = Object.values(CloseCode);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
