// Isolated, migrated databases for integration tests.
// scripts/with-test-db.mjs migrates a template database once per run and exports its URL as
// PARLEY_TEST_TEMPLATE_URL; each test file clones it (CREATE DATABASE … TEMPLATE, ~100 ms) so files
// run in parallel without truncating each other's tables. Clones are named after the template, so
// the runner drops any a crashed test left behind.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type TDb } from "./index.ts";

/** A fresh database cloned from the migrated template. */
export type TTestDb = {
  db: TDb;
  /** Its postgresql:// URL, for code under test that opens its own connections. */
  url: string;
  /** Disconnects `db` and drops the database. */
  drop(): Promise<void>;
};

/** Quotes a Postgres identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The database name in a postgresql:// URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Runs one statement on the server's maintenance database (`postgres`). */
export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Clones the template database into a new, uniquely named one; see with-test-db.mjs. */
export async function createTestDb(options: { poolSize?: number } = {}): Promise<TTestDb> {
  const templateUrl = process.env.PARLEY_TEST_TEMPLATE_URL;
  if (!templateUrl) {
    throw new Error(
      "PARLEY_TEST_TEMPLATE_URL is not set: run integration tests through `node scripts/with-test-db.mjs <command>` (e.g. npm run test:integration).",
    );
  }
  const template = databaseName(templateUrl);
  const name = `${template}_${randomBytes(5).toString("hex")}`;
  await adminQuery(templateUrl, `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
  const url = withDatabase(templateUrl, name);
  const db = createDb(url, { max: options.poolSize ?? 5 });
  let dropped: Promise<void> | undefined;
  return {
    db,
    url,
    drop() {
      dropped ??= (async () => {
        await db.$disconnect();
        await adminQuery(templateUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      })();
      return dropped;
    },
  };
}

/**
 * Tables a read may touch (a session's last-seen time) and that are not the caller's doing, left
 * out of the write check.
 */
const UNWATCHED = new Set(["_prisma_migrations", "AuthSession"]);

let digestSql: string | undefined;

/**
 * A fingerprint of every watched table: its row count and the newest row version's transaction id
 * (`xmin`, which every insert and update sets). Two equal fingerprints mean nothing was inserted,
 * updated or deleted in between (tests of refused calls compare them).
 */
export async function tableDigests(db: TDb): Promise<Record<string, string>> {
  if (!digestSql) {
    const tables = await db.$queryRaw<{ name: string }[]>`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`;
    digestSql = `SELECT ${tables
      .filter((t) => !UNWATCHED.has(t.name))
      .map(
        (t) =>
          `(SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM "${t.name}") AS "${t.name}"`,
      )
      .join(", ")}`;
  }
  const [row] = await db.$queryRawUnsafe<Record<string, string>[]>(digestSql);
  return row ?? {};
}
