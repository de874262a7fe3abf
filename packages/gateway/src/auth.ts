/**
 * Upgrade authentication. A browser first asks web for a ticket (a 60 s HS256 JWT carrying its
 * session id) and connects with `?ticket=`; SDKs, bots and benchmarks connect with a personal
 * access token (`Authorization: Bearer plt_…` or `?token=`). Either way the credential is checked
 * against the database (revoked session/token, deactivated user) before the socket exists.
 */
import type { IncomingMessage } from "node:http";
import { ACCESS_TOKEN_PREFIX, isUuid, resolveAccessToken, resolveSession, verifyTicket } from "@parley/core";
import type { Db } from "@parley/db";
import type { TConnectionActor } from "./gateway.ts";

/** The credential an upgrade request carries, if any. */
export type TCredential = { kind: "ticket"; ticket: string } | { kind: "token"; token: string } | null;

/** Reads the credential from the upgrade request (header first, then query). Pure. */
export function extractCredential(req: Pick<IncomingMessage, "url" | "headers">): TCredential {
  const header = req.headers.authorization;
  if (typeof header === "string") {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1]) return { kind: "token", token: match[1] };
  }
  const query = new URL(req.url ?? "/", "http://gateway.invalid").searchParams;
  const ticket = query.get("ticket");
  if (ticket) return { kind: "ticket", ticket };
  const token = query.get("token");
  if (token) return { kind: "token", token };
  return null;
}

/** Builds `authenticate(req)` for the gateway from the database and AUTH_SECRET. */
export function createAuthenticator(deps: { db: Db; secret: string }) {
  const { db, secret } = deps;

  return async function authenticate(req: IncomingMessage): Promise<TConnectionActor | null> {
    const credential = extractCredential(req);
    if (!credential) return null;

    if (credential.kind === "token") {
      if (!credential.token.startsWith(ACCESS_TOKEN_PREFIX)) return null;
      const actor = await resolveAccessToken(db, credential.token);
      return actor ? { userId: actor.userId, role: actor.role, tokenId: actor.tokenId } : null;
    }

    const claims = await verifyTicket(secret, credential.ticket);
    if (!claims || !isUuid(claims.userId)) return null;
    if (claims.sessionId) {
      const actor = await resolveSession(db, claims.sessionId);
      if (!actor || actor.userId !== claims.userId) return null;
      return { userId: actor.userId, role: actor.role, sessionId: claims.sessionId };
    }
    // A ticket minted from an access token (or without a credential id): the user must still be
    // active, and the token, if named, must still be live.
    if (claims.tokenId) {
      if (!isUuid(claims.tokenId)) return null;
      const row = await db.personalAccessToken.findUnique({
        where: { id: claims.tokenId },
        select: { userId: true, revokedAt: true, expiresAt: true },
      });
      if (!row || row.userId !== claims.userId || row.revokedAt) return null;
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return null;
    }
    const user = await db.user.findUnique({
      where: { id: claims.userId },
      select: { id: true, role: true, deactivatedAt: true },
    });
    if (!user || user.deactivatedAt) return null;
    return { userId: user.id, role: user.role, ...(claims.tokenId ? { tokenId: claims.tokenId } : {}) };
  };
}
