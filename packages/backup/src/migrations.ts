/**
 * The schema of a restored database is the archive's own migrations, applied from this checkout: the archive names them with Prisma's checksums, and each must exist here, unchanged.
 * So an archive from this release or an older one restores (and is then migrated forward); one
 * from a newer release is refused before anything is touched.
 */
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { BackupError, type TManifest } from "./manifest.ts";

/** The repository root (this file is packages/backup/src/migrations.ts). */
export const repoRoot = path.resolve(import.meta.dirname, "../../..");
const migrationsDir = path.join(repoRoot, "prisma/migrations");

/** This checkout's migrations, in order, with Prisma's checksum (sha256 of migration.sql). */
export async function checkoutMigrations(dir = migrationsDir): Promise<TManifest["migrations"]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: createHash("sha256")
        .update(await readFile(path.join(dir, name, "migration.sql")))
        .digest("hex"),
    })),
  );
}

/**
 * Refuses an archive whose migrations this checkout does not have (a newer release's) or has
 * with other contents; returns how many of this checkout's migrations are newer than the archive.
 */
export async function checkCompatible(
  archived: TManifest["migrations"],
  parleyVersion: string,
): Promise<number> {
  const here = new Map((await checkoutMigrations()).map((m) => [m.name, m.checksum]));
  for (const m of archived) {
    const checksum = here.get(m.name);
    if (checksum === undefined) {
      throw new BackupError(
        `This backup was made by a newer Parley (${parleyVersion}): its migration ${m.name} is unknown here. Upgrade this installation first, then restore.`,
      );
    }
    if (checksum !== m.checksum) {
      throw new BackupError(
        `Migration ${m.name} differs between this checkout and the backup (checksum ${checksum.slice(0, 12)}… here, ${m.checksum.slice(0, 12)}… in the archive)`,
      );
    }
  }
  return here.size - archived.length;
}

/** Runs the Prisma CLI (through scripts/prisma.mjs, the offline schema engine). */
function runPrisma(args: string[], databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "scripts/prisma.mjs"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new BackupError(`prisma ${args.join(" ")} failed:\n${output.trim()}`)),
    );
  });
}

/**
 * Prisma's bookkeeping table, as `migrate deploy` creates it (Prisma 7); rows written below as it
 * writes them, so a later `migrate deploy` sees these migrations as applied and checks their sums.
 */
const MIGRATIONS_TABLE_DDL = `CREATE TABLE "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Applies exactly `migrations` (checked by `checkCompatible`) to an empty database the way
 * `prisma migrate deploy` does — each migration.sql as one script, then its row in
 * _prisma_migrations — without the CLI's ~10 s start (a restore applies them all at once).
 */
export async function applyMigrations(
  client: pg.ClientBase,
  migrations: TManifest["migrations"],
): Promise<void> {
  await client.query(MIGRATIONS_TABLE_DDL);
  for (const { name, checksum } of migrations) {
    // One simple-protocol query: Postgres runs the script as one implicit transaction, as Prisma does.
    await client.query(await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8"));
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, now(), 1)`,
      [randomUUID(), checksum, name],
    );
  }
}

/** Applies every pending migration of this checkout (`prisma migrate deploy`). */
export const migrateToCurrent = (databaseUrl: string) => runPrisma(["migrate", "deploy"], databaseUrl);
