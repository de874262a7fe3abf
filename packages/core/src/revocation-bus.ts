/**
 * Credential revocations between processes, over the Engine: every process that holds an engine
 * calls `bridgeRevocations` once (startRealtime in @parley/gateway does, for apps/web and
 * apps/realtime alike). A revoke committed in any process then reaches every process's listeners
 * (the gateway drops its cached credentials and closes the matching sockets) within a pub/sub hop
 * instead of the auth cache's TTL.
 *
 * On the bus: topic REVOCATIONS_TOPIC, the frame being `{"origin": <registry id>, "revocation":
 * {...}}` (never sent to a socket). The committing process already told its own listeners, so its
 * bridge skips notices of its own origin coming back. Pub/sub is at most once: a notice lost while
 * a process is cut off from Redis is not replayed, and that process's cache falls back on its TTL.
 */
import type { TEngineLogger } from "./engine/logger.ts";
import type { TEngine, TUnsubscribe } from "./engine/types.ts";
import {
  deliverRevocation,
  processRevocations,
  type TRevocation,
  type TRevocationRegistry,
  ZRevocation,
} from "./revocations.ts";

/** The engine topic revocations travel on. */
export const REVOCATIONS_TOPIC = "revocations";

/** Options of bridgeRevocations. */
export type TBridgeRevocationsOptions = {
  /** Default: this process's registry (tests pass one per simulated process). */
  registry?: TRevocationRegistry;
  /** Where publish failures and malformed notices go (default console). */
  logger?: TEngineLogger;
};

/** Publishes one notice on the engine (what a bridge does with every notice of its registry). */
export async function publishRevocation(
  engine: TEngine,
  origin: string,
  revocation: TRevocation,
): Promise<void> {
  await engine.publishToTopic(REVOCATIONS_TOPIC, { frame: JSON.stringify({ origin, revocation }) });
}

/**
 * Carries the registry's notices to every other process on `engine`, and theirs to the registry's
 * listeners. Resolves once subscribed; the returned function undoes both.
 */
export async function bridgeRevocations(
  engine: TEngine,
  options: TBridgeRevocationsOptions = {},
): Promise<TUnsubscribe> {
  const registry = options.registry ?? processRevocations();
  const logger = options.logger ?? console;
  const unsubscribe = await engine.subscribeTopic(REVOCATIONS_TOPIC, (message) => {
    let notice: { origin?: unknown; revocation?: unknown };
    try {
      notice = JSON.parse(message.frame) as typeof notice;
    } catch {
      logger.warn("revocations: ignoring a notice that is not JSON");
      return;
    }
    if (notice.origin === registry.id) return;
    const parsed = ZRevocation.safeParse(notice.revocation);
    if (!parsed.success) {
      logger.warn("revocations: ignoring a malformed notice", parsed.error.message);
      return;
    }
    deliverRevocation(parsed.data, registry);
  });
  const forward = (revocation: TRevocation) => {
    publishRevocation(engine, registry.id, revocation).catch((err: unknown) => {
      logger.error("revocations: publishing failed; other processes' caches fall back on their TTL", err);
    });
  };
  registry.forwarders.add(forward);
  return async () => {
    registry.forwarders.delete(forward);
    await unsubscribe();
  };
}
