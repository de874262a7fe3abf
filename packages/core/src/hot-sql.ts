/**
 * Statements on hot paths (every connect's sync, replays, the fan-out's member reads): named, on
 * the hot-path pool beside a `createDb` client (`sqlPool`), so each pooled connection parses and
 * plans them once (generic plans; see @parley/db) and no ORM work is done per row. For a client
 * without that pool (a transaction client, a client built elsewhere) the same text runs through
 * Prisma. Write the text with $1… placeholders and explicit casts; return `timestamp` columns as
 * they are (never timestamptz: Prisma's adapter drops its offset): both roads read them as UTC.
 */
import { sqlPool, type TDb } from "@parley/db";

/** A named statement: `name` must change whenever `text` does (connections keep the old plan). */
export type THotStatement = { name: string; text: string };

/** Runs `statement` with `values` and returns its rows. */
export async function hotQuery<T>(db: TDb, statement: THotStatement, values: unknown[]): Promise<T[]> {
  const pool = sqlPool(db);
  if (pool) {
    const result = await pool.query({ name: statement.name, text: statement.text, values });
    return result.rows as T[];
  }
  return db.$queryRawUnsafe<T[]>(statement.text, ...values);
}
