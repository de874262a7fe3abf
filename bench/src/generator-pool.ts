/**
 * The parent side of a multi-process load generator: W children of generator-worker.ts, child k
 * binding source addresses 127.0.(k+2).1…250 (generator-worker.ts says why), each holding a contiguous, even-sized slice of the
 * sockets (so DM pairs stay in one process). Requests go over IPC, one reply per request.
 */
import type { ChildProcess } from "node:child_process";
import { exited, sleep, spawnTracked } from "./harness.ts";
import { onCleanup } from "./run.ts";

export type TWorkerSpec = { url: string; token: string; userId: string; conversationId: string };

export type TPool = {
  workers: ChildProcess[];
  /**
   * Sends the same kind of request to every worker (with per-worker fields) and awaits all
   * replies; without `timeoutMs` it waits as long as the run's own time limit lets it.
   */
  all<T>(request: (k: number) => Record<string, unknown>, timeoutMs?: number): Promise<T[]>;
  /** The [from, to) socket indexes of worker k. */
  slices: [number, number][];
};

export function generatorPool(count: number, sockets: number): TPool {
  // BENCH_GENERATOR_NODE_ARGS: extra node flags for every generator (e.g. "--cpu-prof
  // --cpu-prof-dir=/tmp/prof"; the profile is written when the generator exits on `close`).
  const extraArgs = (process.env.BENCH_GENERATOR_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const workers = Array.from({ length: count }, (_, k) =>
    spawnTracked(process.execPath, [...extraArgs, "--import", "tsx", "bench/src/generator-worker.ts"], {
      ipc: true,
      label: `generator${k}`,
      showOutput: true,
    }),
  );
  onCleanup(async () => {
    // `close` answers, then the worker exits by itself (writing its --cpu-prof, if asked): give
    // that a few seconds before killing it.
    await Promise.race([
      Promise.all(
        workers.map(async (w) => {
          if (w.connected) await request(w, { op: "close" }, 5000).catch(() => {});
          await exited(w);
        }),
      ),
      sleep(10_000),
    ]);
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
  });
  const pairs = sockets / 2;
  const slices: [number, number][] = workers.map((_, k) => [
    2 * Math.floor((pairs * k) / count),
    2 * Math.floor((pairs * (k + 1)) / count),
  ]);
  return {
    workers,
    slices,
    all: <T>(make: (k: number) => Record<string, unknown>, timeoutMs?: number) =>
      Promise.all(workers.map((w, k) => request<T>(w, make(k), timeoutMs))),
  };
}

let nextId = 1;
/** One request to a bench child process over IPC ({id, op, …} → its reply with that id); also used by channel-pool.ts. */
export function request<T>(
  worker: ChildProcess,
  body: Record<string, unknown>,
  timeoutMs?: number,
): Promise<T> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            cleanupListeners();
            reject(new Error(`generator request ${String(body.op)} timed out after ${timeoutMs / 1000}s`));
          }, timeoutMs);
    const onExit = () => {
      cleanupListeners();
      reject(new Error(`generator process exited during ${String(body.op)}`));
    };
    const onMessage = (message: unknown) => {
      const m = message as { id?: number; error?: string };
      if (m.id !== id) return;
      cleanupListeners();
      if (m.error) reject(new Error(`generator: ${m.error}`));
      else resolve(m as T);
    };
    const cleanupListeners = () => {
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("exit", onExit);
    };
    worker.on("message", onMessage);
    worker.once("exit", onExit);
    worker.send({ id, ...body });
  });
}
