/**
 * A loopback TCP proxy (node:net) between the chaos clients and one gateway, which injects
 * network faults:
 * - `setLatency(ms)`: every chunk, both ways, is held `ms` before it is passed on (order kept);
 * - `cut(fraction)`: that share of the live connections is reset (RST) on both sides at once;
 * - `freeze(windowMs)`: half-open connections — every live connection stops forwarding both ways
 *   without closing (no FIN, no RST), and connections accepted during the window are frozen at
 *   once (the upgrade never answers). Only the client's heartbeat (open sockets) or its connect
 *   timeout (new ones) can tell; the gateway's side is left to its own heartbeat sweep. A frozen
 *   connection is destroyed quietly `holdMs` later (or when the proxy closes);
 * - `throttle(bytesPerSecond)`: the gateway → client direction is read at most that fast (0: no
 *   limit), a slow consumer: reading slowly keeps the kernel's receive buffer from growing (Linux
 *   autotunes it up to megabytes for a reader that keeps up), so the gateway's own buffer grows.
 * Backpressure is kept: a side that cannot write pauses the other, so a client that stops reading
 * backs the gateway's buffer up as it would without the proxy.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

type TPipe = { client: Socket; upstream: Socket | null; frozen: boolean; done: boolean };

export type TProxy = {
  port: number;
  setLatency(ms: number): void;
  /** Resets `fraction` (0…1) of the live, unfrozen connections; returns how many. */
  cut(fraction: number): number;
  /** Freezes every live connection and those accepted in the next `windowMs`; returns how many now. */
  freeze(windowMs: number): number;
  /** Reads gateway → client at most `bytesPerSecond` (0: unlimited). */
  throttle(bytesPerSecond: number): void;
  /** Live connections that still forward (frozen ones are not counted). */
  connections(): number;
  close(): Promise<void>;
};

/** Queued bytes per direction above which the source is paused. */
const QUEUE_CAP = 1 << 20;

export function startProxy(
  targetPort: number,
  options: { holdMs?: number; random?: () => number } = {},
): Promise<TProxy> {
  const holdMs = options.holdMs ?? 60_000;
  const random = options.random ?? Math.random;
  const pipes = new Set<TPipe>();
  let latencyMs = 0;
  let frozenUntil = 0;
  let throttleBps = 0;

  const destroy = (pipe: TPipe, reset: boolean) => {
    if (pipe.done) return;
    pipe.done = true;
    pipes.delete(pipe);
    for (const s of [pipe.client, pipe.upstream]) {
      if (!s || s.destroyed) continue;
      if (reset && typeof s.resetAndDestroy === "function" && s.readyState === "open") s.resetAndDestroy();
      else s.destroy();
    }
  };

  const freezePipe = (pipe: TPipe) => {
    if (pipe.frozen || pipe.done) return;
    pipe.frozen = true;
    pipe.client.pause();
    pipe.upstream?.pause();
    setTimeout(() => destroy(pipe, false), holdMs).unref();
  };

  /** Passes `from`'s bytes to `to` after the current latency, in order, with backpressure. */
  const forward = (pipe: TPipe, from: Socket, to: Socket, isDown: boolean) => {
    const queue: { at: number; data: Buffer }[] = [];
    /** When the throttle lets this direction read again. */
    let readAgainAt = 0;
    let queued = 0;
    let isFlushDue = false;
    let ended = false;
    const maybeResume = () => {
      if (pipe.frozen || pipe.done || to.writableNeedDrain || queued >= QUEUE_CAP) return;
      // Not yet (a drain came before the throttle's time): look again then.
      if (Date.now() < readAgainAt) setTimeout(maybeResume, readAgainAt - Date.now()).unref();
      else from.resume();
    };
    const flushIn = (ms: number) => {
      isFlushDue = true;
      setTimeout(flush, Math.max(0, ms));
    };
    const flush = () => {
      isFlushDue = false;
      if (pipe.frozen || pipe.done) return;
      const now = Date.now();
      while (queue.length > 0 && queue[0]!.at <= now) {
        const { data } = queue.shift()!;
        queued -= data.length;
        to.write(data);
      }
      if (queue.length > 0) flushIn(queue[0]!.at - now);
      else if (ended) to.end();
      maybeResume();
    };
    from.on("data", (data: Buffer) => {
      if (pipe.frozen || pipe.done) return;
      if (isDown && throttleBps > 0) {
        // Pay for this chunk by not reading for its share of a second.
        readAgainAt = Math.max(Date.now(), readAgainAt) + (data.length / throttleBps) * 1000;
        from.pause();
        setTimeout(maybeResume, readAgainAt - Date.now()).unref();
      }
      if (latencyMs === 0 && queue.length === 0) {
        if (!to.write(data)) from.pause();
        return;
      }
      const last = queue.length > 0 ? queue[queue.length - 1]!.at : 0;
      queue.push({ at: Math.max(Date.now() + latencyMs, last), data });
      queued += data.length;
      if (queued >= QUEUE_CAP) from.pause();
      if (!isFlushDue) flushIn(queue[0]!.at - Date.now());
    });
    to.on("drain", maybeResume);
    from.on("end", () => {
      if (pipe.frozen || pipe.done) return;
      ended = true;
      if (queue.length === 0) to.end();
    });
  };

  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const pipe: TPipe = { client, upstream: null, frozen: false, done: false };
    pipes.add(pipe);
    const onGone = () => {
      if (!pipe.frozen) destroy(pipe, false);
    };
    client.on("error", onGone);
    client.on("close", onGone);
    if (Date.now() < frozenUntil) {
      freezePipe(pipe);
      return;
    }
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    pipe.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on("error", onGone);
    upstream.on("close", onGone);
    forward(pipe, client, upstream, false);
    forward(pipe, upstream, client, true);
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        port,
        setLatency(ms) {
          latencyMs = Math.max(0, ms);
        },
        cut(fraction) {
          let n = 0;
          for (const pipe of [...pipes]) {
            if (pipe.frozen || random() >= fraction) continue;
            destroy(pipe, true);
            n += 1;
          }
          return n;
        },
        freeze(windowMs) {
          frozenUntil = Date.now() + windowMs;
          let n = 0;
          for (const pipe of pipes) {
            if (pipe.frozen) continue;
            freezePipe(pipe);
            n += 1;
          }
          return n;
        },
        throttle(bytesPerSecond) {
          throttleBps = Math.max(0, bytesPerSecond);
        },
        connections: () => [...pipes].filter((p) => !p.frozen).length,
        close() {
          for (const pipe of [...pipes]) destroy(pipe, false);
          return new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}
