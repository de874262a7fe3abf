/**
 * Realtime tickets: short-lived HS256 JWTs that web mints for a signed-in user and the gateway
 * verifies on the WebSocket handshake. They prove identity only; the gateway must still check
 * the user is active (resolveSession / resolveAccessToken use the ids carried here).
 */
import { jwtVerify, SignJWT } from "jose";

const AUDIENCE = "parley-realtime";
const ISSUER = "parley-web";

/** Who a ticket was minted for, and through which credential. */
export type TTicketClaims = { userId: string; sessionId?: string; tokenId?: string };

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Mints a ticket valid for `ttlSec` seconds (default 60). */
export async function mintTicket(secret: string, claims: TTicketClaims, ttlSec = 60): Promise<string> {
  const jwt = new SignJWT({
    ...(claims.sessionId ? { sid: claims.sessionId } : {}),
    ...(claims.tokenId ? { tid: claims.tokenId } : {}),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.userId)
    .setAudience(AUDIENCE)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSec);
  return jwt.sign(key(secret));
}

/** The claims of a valid, unexpired ticket, or null for anything else. */
export async function verifyTicket(secret: string, ticket: string): Promise<TTicketClaims | null> {
  try {
    const { payload } = await jwtVerify(ticket, key(secret), {
      algorithms: ["HS256"],
      audience: AUDIENCE,
      issuer: ISSUER,
    });
    if (typeof payload.sub !== "string") return null;
    const claims: TTicketClaims = { userId: payload.sub };
    if (typeof payload.sid === "string") claims.sessionId = payload.sid;
    if (typeof payload.tid === "string") claims.tokenId = payload.tid;
    return claims;
  } catch {
    return null;
  }
}
