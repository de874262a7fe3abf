/**
 * Notices that a credential stopped being valid (a token or session revoked, a user deactivated),
 * for whatever holds verified credentials: the gateway's auth cache and its open sockets.
 *
 * The registry (listeners, forwarders, recent history) is plain data on globalThis under a
 * Symbol.for key, like the event sink (events.ts): in single-process mode Next's bundle carries
 * its own copy of this module, and a revoke committed by tRPC inside Next must still reach the
 * gateway's listeners. The functions below only read and write that shared data, so it does not
 * matter which copy's functions run.
 *
 * Across processes: `bridgeRevocations` (revocation-bus.ts) adds a forwarder that publishes every
 * notice on the Engine, and delivers what other processes publish to this registry's listeners
 * (deliverRevocation: listeners only, never forwarded again). A process without a bridge only
 * hears its own revokes; other caches then expire by TTL.
 *
 * Listeners must be idempotent (a notice may arrive more than once) and must not throw; a throwing
 * one is reported on the next tick and the others still run. To add a kind: add it to
 * TRevocation and ZRevocation, and say in revocationMatches which credentials it covers.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";

/** What stopped being valid. */
export type TRevocation =
  | { kind: "token"; tokenId: string }
  | { kind: "session"; sessionId: string }
  /** The user's browser sessions ("sign out everywhere"/"sign out other devices"), but one. */
  | { kind: "sessions"; userId: string; exceptSessionId?: string }
  /** Every credential of this user: they were deactivated. */
  | { kind: "user"; userId: string };

const ZId = z.string().min(1).max(100);
/** A revocation as it travels between processes (validated on arrival). */
export const ZRevocation = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("token"), tokenId: ZId }),
  z.object({ kind: z.literal("session"), sessionId: ZId }),
  z.object({ kind: z.literal("sessions"), userId: ZId, exceptSessionId: ZId.optional() }),
  z.object({ kind: z.literal("user"), userId: ZId }),
]);

/** The credential a socket or cache entry was verified with. */
export type TRevocableCredential = { userId: string; sessionId?: string; tokenId?: string };

/** True when `revocation` makes `credential` invalid. Pure. */
export function revocationMatches(revocation: TRevocation, credential: TRevocableCredential): boolean {
  switch (revocation.kind) {
    case "token":
      return credential.tokenId === revocation.tokenId;
    case "session":
      return credential.sessionId === revocation.sessionId;
    case "sessions":
      return (
        credential.userId === revocation.userId &&
        credential.sessionId !== undefined &&
        credential.sessionId !== revocation.exceptSessionId
      );
    case "user":
      return credential.userId === revocation.userId;
  }
}

type Listener = (revocation: TRevocation) => void;

/** How many recent revocations a registry remembers for isRevokedSince. */
const HISTORY = 1024;

/** Listeners, forwarders and recent history of one process (or of a simulated one, in tests). */
export type TRevocationRegistry = {
  /** Names this registry on the bus, so a bridge skips its own notices coming back. */
  readonly id: string;
  readonly listeners: Set<Listener>;
  /** Bridges to other processes: called with every notice of this process (not with delivered ones). */
  readonly forwarders: Set<Listener>;
  /** The last HISTORY revocations heard; revocation number n is at `n % HISTORY`. */
  readonly recent: TRevocation[];
  /** Revocations heard so far. */
  count: number;
};

/** A registry of its own (tests use one per simulated process); processes use processRevocations(). */
export function createRevocationRegistry(): TRevocationRegistry {
  return { id: randomUUID(), listeners: new Set(), forwarders: new Set(), recent: [], count: 0 };
}

const REGISTRY_KEY = Symbol.for("parley.credentialRevocations");
const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: TRevocationRegistry };

/** This process's registry (shared by every copy of @parley/core in the process). */
export function processRevocations(): TRevocationRegistry {
  holder[REGISTRY_KEY] ??= createRevocationRegistry();
  return holder[REGISTRY_KEY];
}

/** Subscribes to revocations; returns the unsubscribe function. */
export function onCredentialRevoked(
  listener: Listener,
  registry: TRevocationRegistry = processRevocations(),
): () => void {
  registry.listeners.add(listener);
  return () => registry.listeners.delete(listener);
}

/**
 * Tells this process's listeners, then every other process (through the bridges), that a
 * credential was revoked. Call after the write committed.
 */
export function notifyCredentialRevoked(
  revocation: TRevocation,
  registry: TRevocationRegistry = processRevocations(),
): void {
  deliverRevocation(revocation, registry);
  callEach(registry.forwarders, revocation);
}

/** Tells the registry's listeners only: for notices that came from another process. */
export function deliverRevocation(
  revocation: TRevocation,
  registry: TRevocationRegistry = processRevocations(),
): void {
  registry.recent[registry.count % HISTORY] = revocation;
  registry.count += 1;
  callEach(registry.listeners, revocation);
}

/** A mark to pass to isRevokedSince later (take it before reading a credential from the database). */
export function revocationMark(registry: TRevocationRegistry = processRevocations()): number {
  return registry.count;
}

/**
 * Whether a revocation heard since `mark` covers `credential`: a credential read from the
 * database before that notice arrived may be stale. "unknown" when too many revocations came in
 * between to tell (the caller should check again).
 */
export function isRevokedSince(
  mark: number,
  credential: TRevocableCredential,
  registry: TRevocationRegistry = processRevocations(),
): boolean | "unknown" {
  if (registry.count - mark > HISTORY) return "unknown";
  for (let n = mark; n < registry.count; n += 1) {
    const revocation = registry.recent[n % HISTORY];
    if (revocation && revocationMatches(revocation, credential)) return true;
  }
  return false;
}

function callEach(listeners: Set<Listener>, revocation: TRevocation): void {
  for (const listener of listeners) {
    try {
      listener(revocation);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
