/** Ref-counted engine topic subscriptions, shared by large-channel topics and watched presence. */
import type { TBusMessage, TEngine, TUnsubscribe } from "@parley/core";
import type { Logger } from "pino";

/** Ref-counted topic subscriptions; subscribe/unsubscribe of one topic run one after another. */
export class TopicRefs {
  private readonly topics = new Map<
    string,
    {
      refs: number;
      unsubscribe: TUnsubscribe | null;
      chain: Promise<void>;
      handler: (message: TBusMessage) => void;
    }
  >();

  constructor(
    private readonly engine: TEngine,
    private readonly log: Logger,
  ) {}

  /** Takes a reference; resolves once the subscription is live. */
  acquire(topic: string, handler: (message: TBusMessage) => void): Promise<void> {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { refs: 0, unsubscribe: null, chain: Promise.resolve(), handler };
      this.topics.set(topic, entry);
    }
    entry.refs += 1;
    return this.reconcile(topic);
  }

  /** Drops a reference; the last one unsubscribes. */
  release(topic: string): void {
    const entry = this.topics.get(topic);
    if (!entry || entry.refs === 0) return;
    entry.refs -= 1;
    if (entry.refs === 0) void this.reconcile(topic);
  }

  private reconcile(topic: string): Promise<void> {
    const entry = this.topics.get(topic)!;
    entry.chain = entry.chain.then(async () => {
      try {
        if (entry.refs > 0 && !entry.unsubscribe) {
          entry.unsubscribe = await this.engine.subscribeTopic(topic, (m) => entry.handler(m));
        } else if (entry.refs === 0 && entry.unsubscribe) {
          const unsubscribe = entry.unsubscribe;
          entry.unsubscribe = null;
          await unsubscribe();
        }
      } catch (err) {
        this.log.error({ err, topic }, "topic subscription failed");
      }
      if (entry.refs === 0 && !entry.unsubscribe && this.topics.get(topic) === entry)
        this.topics.delete(topic);
    });
    return entry.chain;
  }

  /** Unsubscribes everything (shutdown). */
  async closeAll(): Promise<void> {
    for (const entry of this.topics.values()) entry.refs = 0;
    await Promise.all([...this.topics.keys()].map((topic) => this.reconcile(topic)));
  }
}
