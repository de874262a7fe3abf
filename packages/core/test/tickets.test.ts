import { describe, expect, it } from "vitest";
import { uuidv7 } from "../src/ids.ts";
import { mintTicket, verifyTicket } from "../src/tickets.ts";

const secret = "s".repeat(32);

describe("realtime tickets", () => {
  it("round-trips the user and the credential it was minted from", async () => {
    const ticket = await mintTicket(secret, { userId: "u1", sessionId: "s1" });
    expect(await verifyTicket(secret, ticket)).toEqual({ userId: "u1", sessionId: "s1" });
    const viaToken = await mintTicket(secret, { userId: "u2", tokenId: "t2" });
    expect(await verifyTicket(secret, viaToken)).toEqual({ userId: "u2", tokenId: "t2" });
  });

  it("rejects a wrong secret, a tampered ticket and an expired one", async () => {
    const ticket = await mintTicket(secret, { userId: "u1" });
    expect(await verifyTicket("x".repeat(32), ticket)).toBeNull();
    const [header, payload] = ticket.split(".");
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: "admin" })).toString("base64url")}.${ticket.split(".")[2]}`;
    expect(payload).toBeTruthy();
    expect(await verifyTicket(secret, forged)).toBeNull();
    expect(await verifyTicket(secret, "garbage")).toBeNull();
    const expired = await mintTicket(secret, { userId: "u1" }, -10);
    expect(await verifyTicket(secret, expired)).toBeNull();
  });
});

describe("uuidv7", () => {
  it("is a version-7 RFC 9562 UUID ordered by time", () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13).replace("-", "")).toBe((1_700_000_000_000).toString(16).padStart(12, "0"));
  });
});
