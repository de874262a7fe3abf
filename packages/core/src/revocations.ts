/**
 * In-process notices that a credential stopped being valid (a token or session revoked, a user
 * deactivated), for caches of verified credentials in the same process (the gateway's auth
 * cache). Other processes do not hear them: their caches expire by TTL instead. Listeners must
 * not throw; a throwing one is reported on the next tick and the others still run.
 */

/** What stopped being valid. */
export type TRevocation =
  | { kind: "token"; tokenId: string }
  | { kind: "session"; sessionId: string }
  /** Every credential of this user (deactivation, "sign out everywhere"). */
  | { kind: "user"; userId: string };

type Listener = (revocation: TRevocation) => void;
const listeners = new Set<Listener>();

/** Subscribes to revocations in this process; returns the unsubscribe function. */
export function onCredentialRevoked(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells this process's listeners that a credential was revoked (call after the write committed). */
export function notifyCredentialRevoked(revocation: TRevocation): void {
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
