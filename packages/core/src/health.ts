/**
 * Readiness: is this process able to serve right now? One module for every process that answers
 * `/readyz` — the web server (apps/web/server.ts) and each gateway (@parley/gateway) — each with
 * the checks of what it depends on: Postgres and the engine everywhere, the attachment storage
 * where files are served (the web server; a gateway never touches storage).
 *
 * Every check runs with its own short timeout and all run at once, so one hung dependency costs
 * the probe `timeoutMs`, not the sum. Concurrent probes share one run (a load balancer on many
 * nodes asking at once costs one round of checks). The report names each check and its state;
 * why a check failed is passed to `onFailure` (logged), never put in the body, which a load
 * balancer on the public port may show anyone.
 *
 * Adding a check: a `TReadinessCheck` whose `run` resolves when the dependency answered and
 * rejects otherwise; keep it to one cheap round trip.
 */
import type { TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import type { TEngine } from "./engine/types.ts";

/** One dependency to check: `run` resolves when it answered. */
export type TReadinessCheck = { name: string; run: () => Promise<unknown> };

/** One check's outcome: its state and how long it took (ms). */
export type TCheckResult = { status: "ok" | "failed" | "timeout"; ms: number };

/** A readiness report: `ready` when every check is ok. */
export type TReadinessReport = { status: "ready" | "unavailable"; checks: Record<string, TCheckResult> };

/** Options of createReadiness. */
export type TReadinessOptions = {
  /** Per check (default 2 s): a dependency slower than this counts as down. */
  timeoutMs?: number;
  /** Told why a check failed (the report only says that it did). */
  onFailure?: (name: string, err: unknown) => void;
};

/** Default time a check may take before its dependency counts as down. */
export const DEFAULT_READINESS_TIMEOUT_MS = 2_000;

/** Builds the probe: runs every check (concurrently, each bounded) and reports. */
export function createReadiness(
  checks: readonly TReadinessCheck[],
  options: TReadinessOptions = {},
): () => Promise<TReadinessReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  let running: Promise<TReadinessReport> | null = null;

  async function runOne(check: TReadinessCheck): Promise<TCheckResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const ran = Promise.resolve()
      .then(check.run)
      .then(
        () => "ok" as const,
        (err: unknown) => {
          options.onFailure?.(check.name, err);
          return "failed" as const;
        },
      );
    const status = await Promise.race([ran, timedOut]);
    clearTimeout(timer);
    if (status === "timeout") options.onFailure?.(check.name, new Error(`no answer within ${timeoutMs} ms`));
    return { status, ms: Math.round(performance.now() - started) };
  }

  async function runAll(): Promise<TReadinessReport> {
    const results = await Promise.all(checks.map(runOne));
    const report: TReadinessReport = { status: "ready", checks: {} };
    checks.forEach((check, i) => {
      report.checks[check.name] = results[i]!;
      if (results[i]!.status !== "ok") report.status = "unavailable";
    });
    return report;
  }

  return () => {
    running ??= runAll().finally(() => {
      running = null;
    });
    return running;
  };
}

/** Postgres answers a query (through the client's pool). */
export function databaseCheck(db: TDb): TReadinessCheck {
  return { name: "postgres", run: () => db.$queryRaw`SELECT 1` };
}

/** The engine answers: Redis's connections are up and a PING comes back; memory is always up. */
export function engineCheck(engine: TEngine): TReadinessCheck {
  return { name: engine.kind === "redis" ? "redis" : "engine", run: () => engine.ping() };
}

/** Key the storage check asks about; it never exists (a miss is an answer). */
const STORAGE_PROBE_KEY = "readiness/probe";

/** The attachment storage answers a metadata request (S3: a HEAD; local disk: a stat). */
export function storageCheck(storage: () => Promise<TStorage>): TReadinessCheck {
  return { name: "storage", run: async () => (await storage()).statObject(STORAGE_PROBE_KEY) };
}
