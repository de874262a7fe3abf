#!/usr/bin/env node
/**
 * `npm run backup [-- FILE]` and `npm run restore -- FILE [--force]` (run with tsx:
 * `node --import tsx scripts/backup.mjs backup|restore …`; in the Docker image `parley backup` /
 * `parley restore`). The work is @parley/backup's; this finds the same database and storage the
 * server uses, with the same rules as scripts/start.mjs:
 *   DATABASE_URL set   → that database;
 *   unset              → the embedded PostgreSQL in $PARLEY_DATA_DIR/postgres: the running one of an
 *                        `npm start` in progress, else started here for the duration;
 *   S3_ENDPOINT set    → that bucket (S3_*); unset → local files in STORAGE_DIR ($PARLEY_DATA_DIR/files).
 * Without FILE, backup writes parley-backup-<time>.tar.gz in $BACKUP_DIR (default: the directory
 * the command was run from). Exit code 0 on success, 1 with one line saying why otherwise.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BackupError, createBackup, restoreBackup } from "@parley/backup";
import { parseEnv } from "@parley/config";
import { createStorage } from "@parley/storage";
import { config as loadDotenv } from "dotenv";
import { runningEmbeddedUrl, startEmbeddedPostgres } from "./embedded-postgres.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
loadDotenv({ path: path.join(root, ".env"), quiet: true });
const log = (line) => console.error(`[parley] ${line}`);
// npm runs scripts from the repository root; a relative FILE means where the command was typed.
const callerDir = process.env.INIT_CWD ?? process.cwd();
const USAGE = "usage: npm run backup [-- FILE]  |  npm run restore -- FILE [--force]";

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const force = rest.includes("--force");
  const files = rest.filter((a) => a !== "--force");
  const unknown = files.filter((a) => a.startsWith("-"));
  if (!["backup", "restore"].includes(command) || unknown.length > 0 || files.length > 1) {
    throw new BackupError(unknown.length ? `unknown option ${unknown[0]}; ${USAGE}` : USAGE);
  }
  if (command === "restore" && files.length === 0)
    throw new BackupError(`restore needs the archive; ${USAGE}`);
  if (command === "backup" && force) throw new BackupError(`--force is for restore only; ${USAGE}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").replace("T", "_").slice(0, 19);
  // No FILE: a new name in $BACKUP_DIR (the Docker image: /data/backups) or the current directory.
  const file = files[0]
    ? path.resolve(callerDir, files[0])
    : path.resolve(callerDir, process.env.BACKUP_DIR ?? ".", `parley-backup-${stamp}.tar.gz`);
  return { command, force, file };
}

async function main() {
  const { command, force, file } = parseArgs(process.argv.slice(2));
  const env = { ...process.env };
  const dataDir = path.resolve(env.PARLEY_DATA_DIR ?? path.join(root, "data"));
  env.STORAGE_DIR ||= path.join(dataDir, "files");
  // Local storage wants a URL-signing secret; backup and restore sign nothing, so any will do.
  const secretFile = path.join(dataDir, "auth-secret");
  env.AUTH_SECRET ||= existsSync(secretFile)
    ? readFileSync(secretFile, "utf8").trim()
    : "backup-and-restore-sign-no-urls-0000000000";
  let embedded;
  if (!env.DATABASE_URL) {
    env.DATABASE_URL = runningEmbeddedUrl(dataDir) ?? undefined;
    if (env.DATABASE_URL) log("using the embedded PostgreSQL of the running server");
    else {
      if (command === "backup" && !existsSync(path.join(dataDir, "postgres", "PG_VERSION"))) {
        throw new BackupError(
          `No DATABASE_URL and no embedded database in ${dataDir}/postgres: nothing to back up`,
        );
      }
      mkdirSync(dataDir, { recursive: true });
      embedded = await startEmbeddedPostgres({
        dataDir,
        preferredPort: Number(env.EMBEDDED_POSTGRES_PORT ?? 54329),
        log,
      });
      env.DATABASE_URL = embedded.url;
    }
  }
  try {
    const settings = parseEnv(env);
    const storage = createStorage(settings);
    log(`storage: ${storage.kind === "s3" ? `S3 bucket ${settings.S3_BUCKET}` : settings.STORAGE_DIR}`);
    if (command === "backup") {
      mkdirSync(path.dirname(file), { recursive: true });
      await createBackup({ databaseUrl: settings.DATABASE_URL, storage, file, log });
      log(`backup written to ${file}`);
    } else {
      await restoreBackup({ databaseUrl: settings.DATABASE_URL, storage, file, force, log });
      log(`restored from ${file}`);
    }
  } finally {
    await embedded?.stop().catch(() => {});
  }
}

try {
  await main();
} catch (err) {
  // Our own refusals are one line; anything else keeps its stack for a bug report.
  console.error(
    `[parley] ${err instanceof BackupError ? err.message : err instanceof Error ? err.stack : err}`,
  );
  process.exitCode = 1;
}
