/** Personal access tokens (`plt_…`) for the SDK, bots and benchmarks. Only SHA-256 is stored. */
import type { TDb } from "@parley/db";
import type { TActor } from "./actor.ts";
import { recordAudit, type TAuditOrigin } from "./audit/record.ts";
import { TOUCH_INTERVAL_MS } from "./auth.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { hotQuery, type THotStatement } from "./hot-sql.ts";
import { randomSecret, sha256 } from "./ids.ts";
import { notifyCredentialRevoked } from "./revocations.ts";
import { ZById, ZCreateAccessToken } from "./schemas.ts";

/** Every access token starts with this, so leaked tokens are recognisable (secret scanners). */
export const ACCESS_TOKEN_PREFIX = "plt_";
const PREFIX_LENGTH = 12;
const DAY_MS = 24 * 60 * 60 * 1000;

/** An actor resolved from an access token (remembers which token, for tickets and audit). */
export type TTokenActor = TActor & { tokenId: string };

/** A token as listed to its owner (never the secret). */
export type TAccessTokenDto = {
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
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TAccessTokenDto & { token: string }> {
  const data = parseInput(ZCreateAccessToken, input);
  const token = `${ACCESS_TOKEN_PREFIX}${randomSecret(32)}`;
  const row = await db.$transaction(async (tx) => {
    const created = await tx.personalAccessToken.create({
      data: {
        userId: actor.userId,
        name: data.name,
        tokenHash: sha256(token),
        prefix: token.slice(0, PREFIX_LENGTH),
        expiresAt: data.expiresInDays ? new Date(Date.now() + data.expiresInDays * DAY_MS) : null,
      },
      select: tokenSelect,
    });
    // The name and the public prefix identify it; never the secret.
    await recordAudit(tx, {
      action: "token.created",
      actorId: actor.userId,
      target: { type: "token", id: created.id, label: created.name },
      origin,
      details: { prefix: created.prefix, expiresAt: created.expiresAt?.toISOString() ?? null },
    });
    return created;
  });
  return { ...row, token };
}

/** The actor's tokens that are not revoked (expired ones included, so they can be cleaned up). */
export async function listAccessTokens(db: TDb, actor: TActor): Promise<TAccessTokenDto[]> {
  return db.personalAccessToken.findMany({
    where: { userId: actor.userId, revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: tokenSelect,
  });
}

/** Revokes one of the actor's own tokens; NOT_FOUND for anyone else's. */
export async function revokeAccessToken(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<void> {
  const { id } = parseInput(ZById, input);
  await db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ name: string; prefix: string }[]>`
      UPDATE "PersonalAccessToken" SET "revokedAt" = ${new Date()}
      WHERE id = ${id}::uuid AND "userId" = ${actor.userId}::uuid AND "revokedAt" IS NULL
      RETURNING name, prefix`;
    const token = rows[0];
    if (!token) throw new ParleyError("NOT_FOUND", "Token not found");
    await recordAudit(tx, {
      action: "token.revoked",
      actorId: actor.userId,
      target: { type: "token", id, label: token.name },
      origin,
      details: { prefix: token.prefix },
    });
  });
  notifyCredentialRevoked({ kind: "token", tokenId: id });
}

/**
 * The actor behind a bearer token, or null when it is unknown, revoked, expired or its user is
 * deactivated. Records lastUsedAt at most once a minute.
 */
export async function resolveAccessToken(db: TDb, token: string): Promise<TTokenActor | null> {
  if (!token.startsWith(ACCESS_TOKEN_PREFIX) || token.length > 200) return null;
  const hash = sha256(token);
  const resolved = (await resolveAccessTokensByHash(db, [hash])).get(hash);
  return resolved ? { userId: resolved.userId, role: resolved.role, tokenId: resolved.tokenId } : null;
}

/** The SHA-256 a token is stored (and looked up) by. */
export function accessTokenHash(token: string): string {
  return sha256(token);
}

/** A resolved token with the time it stops being valid by itself (its expiry), for caches. */
export type TResolvedToken = TTokenActor & { expiresAt: Date | null };

type TokenRow = {
  id: string;
  tokenHash: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  userId: string;
  role: TTokenActor["role"];
  deactivatedAt: Date | null;
};

const TOKENS_BY_HASH_SQL: THotStatement = {
  name: "parley_tokens_by_hash_v1",
  text: `SELECT t.id, t."tokenHash", t."revokedAt",
      t."expiresAt", t."lastUsedAt",
      u.id AS "userId", u.role::text AS role, u."deactivatedAt"
    FROM "PersonalAccessToken" t JOIN "User" u ON u.id = t."userId"
    WHERE t."tokenHash" = ANY($1::text[])`,
};

/**
 * resolveAccessToken for many tokens at once, by their hashes (accessTokenHash): one query for
 * all of them and one UPDATE for those whose lastUsedAt is due. Hashes that do not resolve to a
 * live token are absent from the map. The gateway batches concurrent upgrades through this.
 */
export async function resolveAccessTokensByHash(
  db: TDb,
  hashes: readonly string[],
): Promise<Map<string, TResolvedToken>> {
  const result = new Map<string, TResolvedToken>();
  if (hashes.length === 0) return result;
  const rows = await hotQuery<TokenRow>(db, TOKENS_BY_HASH_SQL, [[...new Set(hashes)]]);
  const now = Date.now();
  const due: string[] = [];
  for (const row of rows) {
    if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now) || row.deactivatedAt) continue;
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) due.push(row.id);
    result.set(row.tokenHash, {
      userId: row.userId,
      role: row.role,
      tokenId: row.id,
      expiresAt: row.expiresAt,
    });
  }
  if (due.length > 0) {
    // Conditional, so concurrent resolutions (other gateways) write once.
    await db.$executeRaw`
      UPDATE "PersonalAccessToken" SET "lastUsedAt" = ${new Date(now)}
      WHERE id = ANY(${due}::uuid[])
        AND ("lastUsedAt" IS NULL OR "lastUsedAt" < ${new Date(now - TOUCH_INTERVAL_MS)})`;
  }
  return result;
}

/**
 * The actor behind a realtime ticket that names no session (minted from an access token, or
 * without a credential id): its user must still be active, and `tokenId`, when given, must still
 * be a live token of that user. Two small reads, not cached (rare: the SDK sends the token itself).
 */
export async function resolveTicketHolder(
  db: TDb,
  userId: string,
  tokenId?: string,
): Promise<(TActor & { tokenId?: string }) | null> {
  if (tokenId) {
    const row = await db.personalAccessToken.findUnique({
      where: { id: tokenId },
      select: { userId: true, revokedAt: true, expiresAt: true },
    });
    if (!row || row.userId !== userId || row.revokedAt) return null;
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return null;
  }
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, role: true, deactivatedAt: true },
  });
  if (!user || user.deactivatedAt) return null;
  return { userId: user.id, role: user.role, ...(tokenId ? { tokenId } : {}) };
}
