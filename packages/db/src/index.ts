// @parley/db: the Prisma client for Parley's one Postgres database.
// `createDb(url)` for explicit wiring (tests, scripts, benchmarks); `getDb()` for app code that reads
// DATABASE_URL. The client is generated into ./generated (gitignored) by `npm run db:generate`,
// which also runs on `npm install`.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { Prisma, PrismaClient } from "./generated/prisma/client.ts";

export * from "./generated/prisma/client.ts";

/** The database client type used across packages. */
export type TDb = PrismaClient;

/** Options for `createDb`. */
export type TCreateDbOptions = {
  /** Pool size: connections this client may hold open (default 10). */
  max?: number;
  /** Close idle connections after this many ms (default 30 s). */
  idleTimeoutMillis?: number;
  /** Give up acquiring a connection after this many ms (default 10 s). */
  connectionTimeoutMillis?: number;
  /** Prisma log levels, e.g. ["query"] while debugging. */
  log?: Prisma.LogLevel[];
  /**
   * Connections of the hot-path pool (`sqlPool`), besides `max` (default 8: two group-commit
   * batches, four coalesced connect lookups, replays and the fan-out's member reads).
   */
  hotMax?: number;
};

/** A node-postgres pool (the hot-path one beside a `createDb` client). */
export type TSqlPool = pg.Pool;

/**
 * Type parsers of the hot-path pool: Parley stores instants in `timestamp(3)` columns as UTC (what
 * Prisma writes and reads back), while pg would read a `timestamp` in the Node process's time zone.
 * Parsed as UTC here, a row reads the same on both roads whatever TZ the process or session has.
 */
const HOT_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.TIMESTAMP && format !== "binary"
      ? (value: string) => new Date(`${value.replace(" ", "T")}Z`)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** The hot-path pool of each `createDb` client. */
const pools = new WeakMap<object, pg.Pool>();
/** The pool under Prisma of each `createDb` client (metrics read its waiting count). */
const mainPools = new WeakMap<object, pg.Pool>();

/**
 * Builds a Prisma client on a pg pool for `url`; call `$disconnect()` to close it. Beside it, a
 * small second pool serves `sqlPool(db)`: hot paths (group-committed sends, the fan-out's member
 * reads) run named statements there, which Postgres parses once per connection. Its sessions run
 * with `plan_cache_mode = force_generic_plan`, so those statements are planned once too: left to
 * choose, Postgres kept re-planning the send statements for small batches (a custom plan looks
 * cheaper for one row), ≈ 1.8 ms of planning per batch, most of an idle server's send latency.
 * Prisma's own queries keep the default on the main pool.
 */
export function createDb(url: string, options: TCreateDbOptions = {}): TDb {
  if (!url) throw new Error("createDb: a postgresql:// URL is required.");
  const common = {
    connectionString: url,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
  };
  const pool = new pg.Pool({ ...common, max: options.max ?? 10 });
  const hot = new pg.Pool({
    ...common,
    max: options.hotMax ?? 8,
    options: "-c plan_cache_mode=force_generic_plan",
    types: HOT_TYPES,
  });
  // An idle client's error (the server restarted) must not crash the process; the pool drops it.
  pool.on("error", () => {});
  hot.on("error", () => {});
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PrismaClient({ adapter, log: options.log }) as TDb;
  const disconnect = db.$disconnect.bind(db);
  db.$disconnect = async () => {
    await Promise.all([disconnect(), hot.ended ? undefined : hot.end()]);
  };
  pools.set(db, hot);
  mainPools.set(db, pool);
  return db;
}

/**
 * The hot-path pool beside a client made by `createDb`, or undefined for anything else (a
 * transaction client, a client built elsewhere): callers then take their Prisma path.
 */
export function sqlPool(db: object): TSqlPool | undefined {
  return pools.get(db);
}

/** The pool under Prisma of a client made by `createDb` (for its metrics), or undefined. */
export function mainPool(db: object): TSqlPool | undefined {
  return mainPools.get(db);
}

/** True when `err` is Postgres's unique violation (SQLSTATE 23505) as node-postgres reports it. */
export function isPgUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "23505";
}

// Next dev re-evaluates modules on every hot reload; keeping the client on globalThis stops each
// reload from opening another pool.
const globalForDb = globalThis as typeof globalThis & { __parleyDb?: TDb };

/** The process-wide client for DATABASE_URL, created on first use. */
export function getDb(): TDb {
  if (globalForDb.__parleyDb) return globalForDb.__parleyDb;
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      "DATABASE_URL is not set: @parley/db needs a postgresql:// URL (e.g. postgresql://parley@127.0.0.1:5432/parley).",
    );
  }
  globalForDb.__parleyDb = createDb(url);
  return globalForDb.__parleyDb;
}

/** Closes the `getDb()` client, if one was created (for graceful shutdown). */
export async function closeDb(): Promise<void> {
  const db = globalForDb.__parleyDb;
  globalForDb.__parleyDb = undefined;
  await db?.$disconnect();
}

/**
 * True when `err` is a unique-constraint violation (P2002, or P2010 from raw SQL), optionally only on exactly these
 * fields (order-insensitive), e.g. `isUniqueViolation(err, ["senderId", "clientMsgId"])`.
 */
export function isUniqueViolation(err: unknown, fields?: readonly string[]): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false;
  // The ORM reports P2002; `$queryRaw` reports P2010 carrying the adapter's UniqueConstraintViolation.
  const cause = (err.meta?.driverAdapterError as { cause?: { kind?: string; originalCode?: string } })?.cause;
  const isRawUnique =
    err.code === "P2010" && (cause?.kind === "UniqueConstraintViolation" || cause?.originalCode === "23505");
  if (err.code !== "P2002" && !isRawUnique) return false;
  if (!fields) return true;
  const target = uniqueViolationFields(err);
  if (!target) return false;
  return target.length === fields.length && fields.every((field) => target.includes(field));
}

/**
 * The fields a P2002 error names. adapter-pg reports only the constraint's index name, so fall back
 * to Prisma's naming convention for unique indexes: `<Model>_<field>_<field>_key`.
 */
function uniqueViolationFields(err: Prisma.PrismaClientKnownRequestError): string[] | null {
  const meta = err.meta as Record<string, unknown> | undefined;
  if (Array.isArray(meta?.target)) return meta.target.map(String);
  const cause = (
    meta?.driverAdapterError as { cause?: { constraint?: { fields?: unknown; index?: unknown } } }
  )?.cause;
  const constraint = cause?.constraint;
  if (Array.isArray(constraint?.fields)) return constraint.fields.map((f) => String(f).replaceAll('"', ""));
  const index = typeof constraint?.index === "string" ? constraint.index : null;
  const model = typeof meta?.modelName === "string" ? meta.modelName : null;
  if (index && model && index.startsWith(`${model}_`) && index.endsWith("_key")) {
    return index.slice(model.length + 1, -"_key".length).split("_");
  }
  return null;
}

/** Conversation.dmKey for a DM or group DM: the distinct member ids, sorted, joined by ",". */
export function dmKeyFor(userIds: readonly string[]): string {
  return [...new Set(userIds)].sort().join(",");
}
