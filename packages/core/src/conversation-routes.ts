/**
 * Where a conversation's frames go, one rule for core's fan-out and the gateway's typing relay:
 * at most `threshold` members → the gateways holding them (one publish per gateway, naming the
 * users it holds); more → one publish on the conversation's topic, which gateways subscribe to
 * while a local user is a member (fan-out on read).
 */
import { DEFAULT_LARGE_CHANNEL_THRESHOLD } from "@parley/config";
import type { TBusMessage, TEngine } from "./engine/types.ts";

/** Member count above which a conversation is published once on its topic (@parley/config's default). */
export { DEFAULT_LARGE_CHANNEL_THRESHOLD };

/** The conversation topic large channels are published on. */
export function conversationTopic(conversationId: string): string {
  return `conv:${conversationId}`;
}

/** One publish, issued when called (callers order them). */
export type TPublish = () => Promise<void>;

/**
 * The publishes that carry `message` to a conversation with these `members` (see the file
 * header); `exceptUserId` is left out of the per-gateway lists (a typing user is not told).
 * Resolves the members' gateways now; nothing is published until a publish is called.
 */
export async function routeToConversation(
  engine: TEngine,
  conversationId: string,
  members: readonly string[],
  message: Omit<TBusMessage, "userIds">,
  options: { threshold: number; exceptUserId?: string },
): Promise<TPublish[]> {
  if (members.length > options.threshold) {
    return [() => engine.publishToTopic(conversationTopic(conversationId), message)];
  }
  const except = options.exceptUserId;
  const targets = except === undefined ? members : members.filter((id) => id !== except);
  if (targets.length === 0) return [];
  const byGateway = await engine.gatewaysOf(targets);
  const publishes: TPublish[] = [];
  for (const [gatewayId, userIds] of byGateway) {
    publishes.push(() => engine.publishToGateway(gatewayId, { userIds, ...message }));
  }
  return publishes;
}
