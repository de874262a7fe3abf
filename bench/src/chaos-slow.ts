/**
 * Slow consumers for the chaos run: a receiver stops reading its socket (`ws.pause()`) while the
 * flood senders of its channel send large messages, until the gateway finds the socket over its
 * buffer limit and closes it (4002, "slow consumer: closing" in its log); then it reads again,
 * sees the close, reconnects and catches up through its cursor like any other receiver. The
 * loopback path holds megabytes in kernel buffers before the gateway's own buffer grows, hence
 * the flood (bodies of FLOOD_BODY characters, checked like every other message).
 */
import type WebSocket from "ws";
import { sleep } from "./harness.ts";
import { sendTracked, type TSdkSender, type TSdkTraffic } from "./sdk-clients.ts";

export const FLOOD_SENDERS = 4;
export const SLOW_RECEIVERS = 2;
const FLOOD_BODY = 38_000;
/** Per flood sender, below the gateway's 20 commands/s per connection and 30 sends/s per user. */
const FLOOD_RATE = 12;
/** Give up on one episode after this long without a 4002 (the box may be too slow to fill the buffers). */
const MAX_PAUSE_MS = 25_000;

export type TSlowReceiver = { label: string; socket: WebSocket | null; closed4002: number };

export function slowConsumerEpisode(options: {
  receiver: TSlowReceiver;
  flooders: TSdkSender[];
  books: Pick<TSdkTraffic, "sentIds" | "acked" | "refused">;
  /** How many times the gateways logged "slow consumer: closing" so far. */
  gatewayCloses: () => number;
  log: (line: string) => void;
}): Promise<boolean> {
  const { receiver, flooders, books, log } = options;
  const socket = receiver.socket;
  return (async () => {
    if (!socket || socket.readyState !== 1) {
      log(`slow consumer: ${receiver.label} has no open socket; episode skipped`);
      return false;
    }
    const before = options.gatewayCloses();
    const closesBefore = receiver.closed4002;
    const started = Date.now();
    socket.pause();
    log(`slow consumer: ${receiver.label} stops reading; flooding its channel`);
    const padding = ` ${"x".repeat(FLOOD_BODY)}`;
    let sent = 0;
    const timer = setInterval(() => {
      for (const f of flooders) {
        // One send in flight per conversation (the outbox): do not pile up more than a few.
        if (f.client.getOutbox().filter((e) => e.status !== "sent" && e.status !== "failed").length > 3) continue;
        sendTracked(books, f, padding);
        sent += 1;
      }
    }, 1000 / FLOOD_RATE);
    while (options.gatewayCloses() === before && Date.now() - started < MAX_PAUSE_MS) await sleep(100);
    clearInterval(timer);
    const isClosed = options.gatewayCloses() > before;
    socket.resume();
    // The client reads the backlog, then the close frame: wait for it to reconnect.
    const until = Date.now() + 15_000;
    while (isClosed && receiver.closed4002 === closesBefore && Date.now() < until) await sleep(100);
    log(
      `slow consumer: ${receiver.label} ${isClosed ? `closed by the gateway (4002 seen by the client: ${receiver.closed4002 > closesBefore})` : "NOT closed by the gateway"} after ${((Date.now() - started) / 1000).toFixed(1)}s, ${sent} flood messages`,
    );
    return isClosed;
  })();
}
