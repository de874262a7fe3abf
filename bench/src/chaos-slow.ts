/**
 * Slow consumers for the chaos run: the slow receivers' connections go through proxies of their
 * own, which, for an episode, read from the gateway at THROTTLE bytes/s while the flood senders
 * of their channel send large messages; the gateway finds the sockets over its buffer limit and
 * closes them (4002, "slow consumer: closing" in its log); then the throttle lifts, the clients
 * read the close, reconnect and catch up through their cursors like any other receiver. (A reader
 * that stops outright would not do: Linux autotunes a loopback receive buffer that kept up so far
 * to megabytes, which the gateway fills before its own buffer grows.) The flood's bodies are
 * FLOOD_BODY characters and are checked like every other message.
 */
import type { TProxy } from "./chaos-proxy.ts";
import { sleep } from "./harness.ts";
import { sendTracked, type TSdkSender, type TSdkTraffic } from "./sdk-clients.ts";

export const FLOOD_SENDERS = 8;
export const SLOW_RECEIVERS = 2;
const FLOOD_BODY = 38_000;
/** Per flood sender, below the gateway's 20 commands/s per connection and 30 sends/s per user. */
const FLOOD_RATE = 12;
/** Bytes per second the slow receivers read during an episode. */
const THROTTLE = 8 * 1024;
/**
 * Give up on one episode after this long without a 4002 (the box may be too slow to fill the
 * buffers). The long run of 2026-12-06 17:40 took 2.4–24.1 s for its first eight episodes and
 * passed 30 s in its last two, as the gateways had more backlog to push first.
 */
const MAX_PAUSE_MS = 60_000;

export type TSlowReceiver = { label: string; closed4002: number };

export function slowConsumerEpisode(options: {
  receivers: TSlowReceiver[];
  proxies: TProxy[];
  flooders: TSdkSender[];
  books: Pick<TSdkTraffic, "sentIds" | "acked" | "refused">;
  /** How many times the gateways logged "slow consumer: closing" so far. */
  gatewayCloses: () => number;
  log: (line: string) => void;
}): Promise<boolean> {
  const { receivers, proxies, flooders, books, log } = options;
  const padding = ` ${"x".repeat(FLOOD_BODY)}`;
  let sent = 0;
  const flood = () => {
    for (const f of flooders) {
      // One send in flight per conversation (the outbox): do not pile up more than a few.
      if (f.client.getOutbox().filter((e) => e.status !== "sent" && e.status !== "failed").length > 3)
        continue;
      sendTracked(books, f, padding);
      sent += 1;
    }
  };
  const seen4002 = () => receivers.reduce((a, r) => a + r.closed4002, 0);
  return (async () => {
    const started = Date.now();
    const before = options.gatewayCloses();
    const closesBefore = seen4002();
    for (const p of proxies) p.throttle(THROTTLE);
    log(
      `slow consumer: ${receivers.length} receivers read at ${THROTTLE / 1024} KB/s; flooding their channel`,
    );
    const timer = setInterval(flood, 1000 / FLOOD_RATE);
    while (options.gatewayCloses() === before && Date.now() - started < MAX_PAUSE_MS) await sleep(100);
    clearInterval(timer);
    const isClosed = options.gatewayCloses() > before;
    const closedAfter = (Date.now() - started) / 1000;
    // Read at full speed again: the clients get the backlog, then the close frame.
    for (const p of proxies) p.throttle(0);
    const until = Date.now() + 15_000;
    while (isClosed && seen4002() === closesBefore && Date.now() < until) await sleep(100);
    log(
      `slow consumer: ${isClosed ? `closed by a gateway (4002) after ${closedAfter.toFixed(1)}s, the client saw it: ${seen4002() > closesBefore}` : `NOT closed by a gateway in ${closedAfter.toFixed(1)}s`}; ${sent} flood messages`,
    );
    return isClosed;
  })();
}
