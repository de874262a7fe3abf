import { describe, expect, it } from "vitest";
import {
  CloseCode,
  goingAwayReason,
  isTerminalCloseCode,
  MAX_RECONNECT_WINDOW_MS,
  parseReconnectWindow,
} from "./close-codes.ts";

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

describe("reconnect window in a going-away reason", () => {
  it("round-trips, stays within a close frame's 123 bytes, and is clamped", () => {
    const reason = goingAwayReason(9_500);
    expect(reason).toBe("server shutting down; reconnect within 9500 ms");
    expect(new TextEncoder().encode(goingAwayReason(999_999_999)).byteLength).toBeLessThanOrEqual(123);
    expect(parseReconnectWindow(reason)).toBe(9_500);
    expect(parseReconnectWindow(goingAwayReason(10 * MAX_RECONNECT_WINDOW_MS))).toBe(MAX_RECONNECT_WINDOW_MS);
  });

  it("is absent from other reasons (older gateways)", () => {
    expect(parseReconnectWindow("server shutting down")).toBeNull();
    expect(parseReconnectWindow("")).toBeNull();
  });
});
