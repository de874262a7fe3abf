/**
 * The parent side of `channel --generators W`: W children of channel-worker.ts, child k binding
 * source address 127.0.0.(k+2) and holding a contiguous slice of the receiving members. Their
 * progress reports are merged into the run's `TLoad` as they arrive (so the drain sees every
 * delivery), their latency buckets and loop/CPU figures when the run stops.
 */
import { mergeProgress, recordBuckets, type TProgress } from "./channel-summary.ts";
import { request } from "./generator-pool.ts";
import { spawnTracked } from "./harness.ts";
import type { TLoad } from "./load.ts";
import { onCleanup } from "./run.ts";

/** One receiving process's figures over a run (channel-worker.ts `stop`). */
export type TReceiverStats = {
  cpuPct: number;
  lagP99: number;
  lagMax: number;
  latency: [number, number][];
  received: number;
  duplicates: number;
  outOfOrder: number;
  closes: number;
  /** Payload bytes of the latest message frame received. */
  frameBytes: number;
};

export type TChannelPool = {
  /** Opens worker k's sockets (`conns(k)`); resolves with opened/failed per worker. */
  open(
    conns: (k: number) => { url: string; token: string }[],
  ): Promise<{ opened: number; failed: number; seconds: number }[]>;
  /** Starts a run: progress from now on is merged into `load`. */
  start(load: TLoad): Promise<void>;
  /** Ends the run: last progress, latency buckets into `load.deliveryLatency`, counters added. */
  stop(load: TLoad): Promise<TReceiverStats[]>;
};

/** The [from, to) member indexes of W receiving processes over members [first, n). */
export function receiverSlices(first: number, n: number, count: number): [number, number][] {
  const span = Math.max(0, n - first);
  return Array.from({ length: count }, (_, k) => [
    first + Math.floor((span * k) / count),
    first + Math.floor((span * (k + 1)) / count),
  ]);
}

export function channelPool(count: number): TChannelPool {
  const workers = Array.from({ length: count }, (_, k) =>
    spawnTracked(process.execPath, ["--import", "tsx", "bench/src/channel-worker.ts"], {
      ipc: true,
      label: `channel-gen${k}`,
      showOutput: true,
    }),
  );
  onCleanup(async () => {
    await Promise.race([
      Promise.all(workers.map((w) => (w.connected ? request(w, { op: "close" }, 5000) : null))),
      new Promise((r) => setTimeout(r, 5000)),
    ]).catch(() => {});
    for (const w of workers) if (w.exitCode === null) w.kill("SIGKILL");
  });
  let target: TLoad | undefined;
  for (const w of workers) {
    w.on("message", (message) => {
      const m = message as { type?: string } & TProgress;
      if (m.type === "progress" && target) mergeProgress(target, m);
    });
  }
  const all = <T>(make: (k: number) => Record<string, unknown>, timeoutMs?: number) =>
    Promise.all(workers.map((w, k) => request<T>(w, make(k), timeoutMs ?? REQUEST_TIMEOUT_MS)));
  return {
    open: (conns) =>
      all((k) => ({ op: "open", inFlight: 100, localAddress: `127.0.0.${k + 2}`, conns: conns(k) })),
    async start(load) {
      target = load;
      await all((_) => ({ op: "start", total: load.total }));
    },
    async stop(load) {
      const stats = await all<TReceiverStats>(() => ({ op: "stop" }));
      target = undefined;
      for (const s of stats) {
        recordBuckets(load.deliveryLatency, s.latency);
        load.counters.duplicates += s.duplicates;
        load.counters.outOfOrder += s.outOfOrder;
        load.counters.unexpectedCloses += s.closes;
      }
      return stats;
    },
  };
}

/** Requests wait at most 10 minutes (a 10,000-member open is the longest). */
const REQUEST_TIMEOUT_MS = 600_000;
