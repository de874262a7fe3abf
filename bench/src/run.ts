/**
 * A bounded run: whatever happens (crash, Ctrl-C, hang), the bench ends by itself, runs its
 * cleanup steps in reverse order (sockets, gateways, database) and kills every child it started.
 */
import { killAllChildren } from "./harness.ts";

const cleanups: (() => Promise<void> | void)[] = [];
let isCleaning = false;
let cleaned: Promise<void> | undefined;

/** Registers a cleanup step; steps run last-registered first. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** True once cleanup has started (sockets closing then are not "unexpected"). */
export function cleaningUp(): boolean {
  return isCleaning;
}

let phase = "starting";

/**
 * What the run is doing now ("opening sockets: 41,200 of 100,000"), named by the time-limit
 * message so a run that hits its limit says where it was.
 */
export function setPhase(text: string): void {
  phase = text;
}

/** Runs the cleanup steps once; later calls (a second Ctrl-C, the hard limit) wait for that run. */
export function cleanup(): Promise<void> {
  cleaned ??= runCleanups();
  return cleaned;
}

async function runCleanups(): Promise<void> {
  isCleaning = true;
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(`bench: cleanup step failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  killAllChildren();
}

/**
 * Runs `main` under a hard time limit with cleanup on exit, crash and SIGINT/SIGTERM. `limitHint`
 * ends the time-limit message (how to set the limit).
 */
export function runBounded(main: () => Promise<number>, hardLimitMs: number, limitHint = ""): void {
  let isTimedOut = false;
  const hardTimer = setTimeout(() => {
    isTimedOut = true;
    console.error(
      `bench: time limit of ${Math.round(hardLimitMs / 1000)}s reached while ${phase}; stopping, no figures${limitHint}`,
    );
    void cleanup().finally(() => process.exit(2));
  }, hardLimitMs);
  // A crash must not orphan the gateways or leave the database behind.
  process.on("uncaughtException", (err) => {
    console.error(`bench: uncaught: ${err.stack ?? err.message}`);
    void cleanup().finally(() => process.exit(2));
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      console.error(`bench: ${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  let exitCode = 1;
  main()
    .then(
      (code) => {
        exitCode = code;
      },
      (err: unknown) => {
        // After the time limit, cleanup kills what main waits on: that failure is not news.
        exitCode = 2;
        if (isTimedOut) return;
        console.error(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      },
    )
    .finally(async () => {
      await cleanup();
      clearTimeout(hardTimer);
      process.exit(exitCode);
    });
}
