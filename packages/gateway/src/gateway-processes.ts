/**
 * Test helper: apps/realtime gateways as real child processes on one Redis (the kill and rolling
 * restart tests), each on a port of its own, started and stopped by port.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import type { ParleyClient } from "@parley/client";
import { freePort } from "@parley/db/local-postgres";
import { EventKind } from "@parley/protocol";
import { TEST_SECRET } from "./test-helpers.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { freePort };

/** The bodies of the messages `client` receives, in arrival order (the array fills as they come). */
export function receivedBodies(client: ParleyClient): string[] {
  const bodies: string[] = [];
  client.on("event", (event) => {
    if (event.kind === EventKind.MessageCreated) {
      bodies.push((event.payload as { message: { body: string } }).message.body);
    }
  });
  return bodies;
}

/** Gateway processes sharing one database and one Redis key prefix. */
export class GatewayProcesses {
  private readonly children = new Map<number, ChildProcess>();

  constructor(private readonly env: { databaseUrl: string; redisUrl: string; keyPrefix: string }) {}

  /** Starts apps/realtime on `port` and waits until it answers /healthz. */
  async start(port: number, extraEnv: Record<string, string> = {}): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", "apps/realtime/src/main.ts"], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: this.env.databaseUrl,
        REDIS_URL: this.env.redisUrl,
        REDIS_KEY_PREFIX: this.env.keyPrefix,
        AUTH_SECRET: TEST_SECRET,
        REALTIME_PORT: String(port),
        LOG_LEVEL: "warn",
        ...extraEnv,
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    this.children.set(port, child);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`gateway on ${port} exited with ${child.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
      } catch {}
      await sleep(50);
    }
    throw new Error(`gateway on ${port} did not come up`);
  }

  /**
   * Sends `signal` and resolves with how the process ended. SIGKILL: no goodbye frames, no Redis
   * cleanup — as when the machine dies; SIGTERM: the graceful drain.
   */
  async stop(
    port: number,
    signal: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.children.get(port);
    // A process ended by a signal keeps exitCode null: check both, or we would wait for an exit that already happened.
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return { code: child?.exitCode ?? null, signal: child?.signalCode ?? null };
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, sig) => resolve({ code, signal: sig })),
    );
    child.kill(signal);
    return exited;
  }

  /**
   * A rolling restart of one gateway: SIGTERM, and as soon as the old process stops listening
   * (the first thing its drain does) a new one starts on the same port while the old one finishes
   * draining. Resolves with how the old one ended, once it has and the new one is up.
   */
  async restart(port: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exited = this.stop(port, "SIGTERM");
    let isGone = false;
    void exited.then(() => {
      isGone = true;
    });
    for (const deadline = Date.now() + 10_000; !isGone && Date.now() < deadline; await sleep(20)) {
      try {
        await fetch(`http://127.0.0.1:${port}/healthz`);
      } catch {
        break; // refused: the old process no longer listens
      }
    }
    const [exit] = await Promise.all([exited, this.start(port)]);
    return exit;
  }

  /** The OS pid of the gateway on `port` while it runs, else undefined. */
  pid(port: number): number | undefined {
    const child = this.children.get(port);
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /** SIGKILLs every gateway still running. */
  async killAll(): Promise<void> {
    for (const port of this.children.keys()) await this.stop(port, "SIGKILL");
  }
}
