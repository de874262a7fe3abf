/** Personal access tokens (`plt_…`) for the SDK, bots and benchmarks. Only SHA-256 is stored. */
import type { Db } from "@parley/db";
import type { Actor } from "./actor.ts";
import { TOUCH_INTERVAL_MS } from "./auth.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { randomSecret, sha256 } from "./ids.ts";
import { ZById, ZCreateAccessToken } from "./schemas.ts";

/** Every access token starts with this, so leaked tokens are recognisable (secret scanners). */
export const ACCESS_TOKEN_PREFIX = "plt_";
const PREFIX_LENGTH = 12;
const DAY_MS = 24 * 60 * 60 * 1000;

/** An actor resolved from an access token (remembers which token, for tickets and audit). */
export type TokenActor = Actor & { tokenId: string };

/** A token as listed to its owner (never the secret). */
export type AccessTokenDto = {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
};

const tokenSelect = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
} as const;

/** Creates a token for the actor; the returned `token` is shown once and cannot be recovered. */
export async function createAccessToken(
  db: Db,
  actor: Actor,
  input: unknown,
): Promise<AccessTokenDto & { token: string }> {
  const data = parseInput(ZCreateAccessToken, input);
  const token = `${ACCESS_TOKEN_PREFIX}${randomSecret(32)}`;
  const row = await db.personalAccessToken.create({
    data: {
      userId: actor.userId,
      name: data.name,
      tokenHash: sha256(token),
      prefix: token.slice(0, PREFIX_LENGTH),
      expiresAt: data.expiresInDays ? new Date(Date.now() + data.expiresInDays * DAY_MS) : null,
    },
    select: tokenSelect,
  });
  return { ...row, token };
}

/** The actor's tokens that are not revoked (expired ones included, so they can be cleaned up). */
export async function listAccessTokens(db: Db, actor: Actor): Promise<AccessTokenDto[]> {
  return db.personalAccessToken.findMany({
    where: { userId: actor.userId, revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: tokenSelect,
  });
}

/** Revokes one of the actor's own tokens; NOT_FOUND for anyone else's. */
export async function revokeAccessToken(db: Db, actor: Actor, input: unknown): Promise<void> {
  const { id } = parseInput(ZById, input);
  const { count } = await db.personalAccessToken.updateMany({
    where: { id, userId: actor.userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw new ParleyError("NOT_FOUND", "Token not found");
}

/**
 * The actor behind a bearer token, or null when it is unknown, revoked, expired or its user is
 * deactivated. Records lastUsedAt at most once a minute.
 */
export async function resolveAccessToken(db: Db, token: string): Promise<TokenActor | null> {
  if (!token.startsWith(ACCESS_TOKEN_PREFIX) || token.length > 200) return null;
  const row = await db.personalAccessToken.findUnique({
    where: { tokenHash: sha256(token) },
    select: {
      id: true,
      revokedAt: true,
      expiresAt: true,
      lastUsedAt: true,
      user: { select: { id: true, role: true, deactivatedAt: true } },
    },
  });
  const now = Date.now();
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now) || row.user.deactivatedAt) {
    return null;
  }
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
    const cutoff = new Date(now - TOUCH_INTERVAL_MS);
    await db.personalAccessToken.updateMany({
      where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: cutoff } }] },
      data: { lastUsedAt: new Date(now) },
    });
  }
  return { userId: row.user.id, role: row.user.role, tokenId: row.id };
}
