/**
 * Sockets of a revoked credential are closed at once (as Slack and Mattermost do), not left open
 * until they happen to reconnect: the gateway calls `closeRevokedSockets` from core's revocation
 * registry, which hears revokes of this process directly and those of other processes over the
 * Engine (bridgeRevocations). Close codes are the protocol's "do not reconnect" ones, so the SDK
 * stops instead of retrying with a dead credential:
 *   4401 Unauthorized — a token, a session or the user's other sessions were revoked (sign in again)
 *   4403 Forbidden    — the user was deactivated
 */
import { revocationMatches, type TRevocation } from "@parley/core";
import { CloseCode } from "@parley/protocol";
import type { TConnectionActor } from "./gateway-options.ts";

/** The close code and reason for sockets a revocation covers. */
export function revokedCloseFrame(revocation: TRevocation): { code: number; reason: string } {
  return revocation.kind === "user"
    ? { code: CloseCode.Forbidden, reason: "user deactivated" }
    : { code: CloseCode.Unauthorized, reason: "credential revoked" };
}

/**
 * Closes every socket whose credential `revocation` covers; returns how many. Revocations that
 * name a user look at that user's sockets only; a token or session id, at every socket (revokes
 * are rare next to sends, and a socket's token is not indexed).
 */
export function closeRevokedSockets<C extends { actor: TConnectionActor }>(
  revocation: TRevocation,
  connections: Iterable<C>,
  byUser: ReadonlyMap<string, Iterable<C>>,
  close: (conn: C, code: number, reason: string) => void,
): number {
  const candidates =
    revocation.kind === "user" || revocation.kind === "sessions"
      ? (byUser.get(revocation.userId) ?? [])
      : connections;
  const { code, reason } = revokedCloseFrame(revocation);
  // Copied first: closing may change the sets being walked.
  const matching = [...candidates].filter((conn) => revocationMatches(revocation, conn.actor));
  for (const conn of matching) close(conn, code, reason);
  return matching.length;
}
