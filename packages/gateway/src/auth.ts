/**
 * Upgrade authentication. A browser first asks web for a ticket (a 60 s HS256 JWT carrying its
 * session id) and connects with `?ticket=`; SDKs and benchmarks connect with a personal access
 * token (`Authorization: Bearer plt_…` or `?token=`), bots with a bot token (`pbt_…`, the same
 * two ways; the actor then carries the token's scope, which the gateway holds the socket to).
 * Either way the credential is checked against the database (revoked session/token, deactivated
 * user or bot) before the socket exists.
 *
 * Cost per upgrade (the connect storm after a gateway dies is thousands of these a second):
 * tokens are stored as SHA-256 (a fast hash: they are 32 random bytes, nothing to brute-force), so
 * the check is one indexed read. Concurrent upgrades are batched (batch.ts: one query per turn of
 * the event loop for every token hash or session id asked for), and a verified credential is
 * cached for `cacheTtlMs` (default 5 s; never past the credential's own expiry). Negative answers
 * are never cached, so a new token works at once.
 *
 * Revocation and the cache: a revoke or deactivation committed in ANY process evicts at once: core's
 * revocation registry (onCredentialRevoked) hears this process's own revokes directly and other
 * processes' over the Engine (bridgeRevocations, wired by startRealtime). The TTL is only the
 * backstop for a notice lost on the bus (pub/sub is at most once: a gateway cut off from Redis
 * at that moment). Open sockets of a revoked credential are closed by the gateway itself
 * (revoked-sockets.ts), from the same notice.
 */
import type { IncomingMessage } from "node:http";
import {
  ACCESS_TOKEN_PREFIX,
  accessTokenHash,
  BOT_TOKEN_PREFIX,
  botTokenHash,
  isRevokedSince,
  isUuid,
  onCredentialRevoked,
  processRevocations,
  resolveAccessTokensByHash,
  resolveBotTokensByHash,
  resolveSessions,
  resolveTicketHolder,
  revocationMark,
  revocationMatches,
  type TBotActor,
  type TResolvedSession,
  type TResolvedToken,
  type TRevocation,
  type TRevocationRegistry,
  verifyTicket,
} from "@parley/core";
import type { TDb } from "@parley/db";
import { createBatchLoader } from "./batch.ts";
import type { TConnectionActor } from "./gateway-options.ts";

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

/** Default lifetime of a verified credential in the per-process cache. */
export const DEFAULT_AUTH_CACHE_TTL_MS = 5_000;
/** Most cached credentials; the oldest go first. */
const MAX_CACHE_ENTRIES = 50_000;

/** The gateway's `authenticate`, plus `close()` to stop listening for revocations. */
export type TAuthenticator = ((req: IncomingMessage) => Promise<TConnectionActor | null>) & {
  close(): void;
};

type TCacheEntry = { actor: TConnectionActor; until: number };

/** Builds `authenticate(req)` for the gateway from the database and AUTH_SECRET. */
export function createAuthenticator(deps: {
  db: TDb;
  secret: string;
  cacheTtlMs?: number;
  /** Where revocations are heard (default this process's registry; tests simulate processes). */
  revocations?: TRevocationRegistry;
}): TAuthenticator {
  const { db, secret } = deps;
  const registry = deps.revocations ?? processRevocations();
  const ttlMs = deps.cacheTtlMs ?? DEFAULT_AUTH_CACHE_TTL_MS;
  /** `t:<token hash>` / `b:<bot token hash>` / `s:<session id>` → the verified actor. */
  const cache = new Map<string, TCacheEntry>();

  const loadTokens = createBatchLoader<string, TResolvedToken>((hashes) =>
    resolveAccessTokensByHash(db, hashes),
  );
  const loadBotTokens = createBatchLoader<string, TBotActor>((hashes) => resolveBotTokensByHash(db, hashes));
  const loadSessions = createBatchLoader<string, TResolvedSession>((ids) => resolveSessions(db, ids));

  function evict(revocation: TRevocation): void {
    for (const [key, entry] of cache) {
      if (revocationMatches(revocation, entry.actor)) cache.delete(key);
    }
  }
  const unsubscribe = onCredentialRevoked(evict, registry);

  function cached(key: string): TConnectionActor | null {
    const entry = cache.get(key);
    if (!entry) return null;
    if (entry.until > Date.now()) return entry.actor;
    cache.delete(key);
    return null;
  }

  /** Caches a verified actor, unless a revocation heard since `startedAt` (a mark) may cover it. */
  function remember(key: string, actor: TConnectionActor, expiresAt: Date | null, startedAt: number): void {
    if (ttlMs <= 0 || isRevokedSince(startedAt, actor, registry) !== false) return;
    const until = Math.min(Date.now() + ttlMs, expiresAt?.getTime() ?? Number.POSITIVE_INFINITY);
    if (cache.size >= MAX_CACHE_ENTRIES) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, { actor, until });
  }

  async function byToken(token: string): Promise<TConnectionActor | null> {
    if (token.length > 200) return null;
    if (token.startsWith(BOT_TOKEN_PREFIX)) return byBotToken(token);
    if (!token.startsWith(ACCESS_TOKEN_PREFIX)) return null;
    const hash = accessTokenHash(token);
    const key = `t:${hash}`;
    const hit = cached(key);
    if (hit) return hit;
    const startedAt = revocationMark(registry);
    const resolved = await loadTokens(hash);
    if (!resolved) return null;
    const actor: TConnectionActor = {
      userId: resolved.userId,
      role: resolved.role,
      tokenId: resolved.tokenId,
    };
    remember(key, actor, resolved.expiresAt, startedAt);
    return actor;
  }

  /** A bot token: the bot user with the token's id and scope (bot tokens do not expire by themselves). */
  async function byBotToken(token: string): Promise<TConnectionActor | null> {
    const key = `b:${botTokenHash(token)}`;
    const hit = cached(key);
    if (hit) return hit;
    const startedAt = revocationMark(registry);
    const resolved = await loadBotTokens(key.slice(2));
    if (!resolved) return null;
    const actor: TConnectionActor = {
      userId: resolved.userId,
      role: resolved.role,
      tokenId: resolved.tokenId,
      scope: resolved.scope,
    };
    remember(key, actor, null, startedAt);
    return actor;
  }

  async function bySession(sessionId: string, userId: string): Promise<TConnectionActor | null> {
    const key = `s:${sessionId}`;
    let actor = cached(key);
    if (!actor) {
      const startedAt = revocationMark(registry);
      const resolved = await loadSessions(sessionId);
      if (!resolved) return null;
      actor = { userId: resolved.userId, role: resolved.role, sessionId };
      remember(key, actor, resolved.expiresAt, startedAt);
    }
    return actor.userId === userId ? actor : null;
  }

  const authenticate = async (req: IncomingMessage): Promise<TConnectionActor | null> => {
    const credential = extractCredential(req);
    if (!credential) return null;

    if (credential.kind === "token") return byToken(credential.token);

    const claims = await verifyTicket(secret, credential.ticket);
    if (!claims || !isUuid(claims.userId)) return null;
    if (claims.sessionId) return isUuid(claims.sessionId) ? bySession(claims.sessionId, claims.userId) : null;
    // A ticket minted from an access token (or without a credential id): the user must still be
    // active, and the token, if named, must still be live. Rare (the SDK sends the token itself):
    // not cached.
    if (claims.tokenId && !isUuid(claims.tokenId)) return null;
    return resolveTicketHolder(db, claims.userId, claims.tokenId);
  };
  return Object.assign(authenticate, { close: unsubscribe as () => void });
}
