import { CloseCode } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import type { TConnectionActor } from "./gateway-options.ts";
import { closeRevokedSockets } from "./revoked-sockets.ts";

type TConn = { name: string; actor: TConnectionActor };
const conn = (name: string, actor: Omit<TConnectionActor, "role">): TConn => ({
  name,
  actor: { role: "member", ...actor },
});
const conns = [
  conn("ana-token", { userId: "ana", tokenId: "t1" }),
  conn("ana-current", { userId: "ana", sessionId: "s1" }),
  conn("ana-laptop", { userId: "ana", sessionId: "s2" }),
  conn("ben-session", { userId: "ben", sessionId: "s3" }),
];
const byUser = new Map<string, TConn[]>([
  ["ana", conns.slice(0, 3)],
  ["ben", conns.slice(3)],
]);

function closedBy(revocation: Parameters<typeof closeRevokedSockets>[0]): string[] {
  const closed: string[] = [];
  const count = closeRevokedSockets(revocation, conns, byUser, (c, code, reason) =>
    closed.push(`${c.name} ${code} ${reason}`),
  );
  expect(count).toBe(closed.length);
  return closed;
}

describe("closeRevokedSockets", () => {
  it("closes exactly the sockets of a revoked token or session with 4401", () => {
    expect(closedBy({ kind: "token", tokenId: "t1" })).toEqual([
      `ana-token ${CloseCode.Unauthorized} credential revoked`,
    ]);
    expect(closedBy({ kind: "session", sessionId: "s3" })).toEqual([
      `ben-session ${CloseCode.Unauthorized} credential revoked`,
    ]);
    expect(closedBy({ kind: "token", tokenId: "unknown" })).toEqual([]);
  });

  it("signing out other devices closes the user's other sessions, not the current one or tokens", () => {
    expect(closedBy({ kind: "sessions", userId: "ana", exceptSessionId: "s1" })).toEqual([
      `ana-laptop ${CloseCode.Unauthorized} credential revoked`,
    ]);
    expect(closedBy({ kind: "sessions", userId: "ana" })).toHaveLength(2);
  });

  it("closes every socket of a deactivated user with 4403", () => {
    expect(closedBy({ kind: "user", userId: "ana" })).toEqual([
      `ana-token ${CloseCode.Forbidden} user deactivated`,
      `ana-current ${CloseCode.Forbidden} user deactivated`,
      `ana-laptop ${CloseCode.Forbidden} user deactivated`,
    ]);
  });
});
