#!/usr/bin/env node
// `npm run db:migrate`: applies pending migrations (prisma migrate deploy) to DATABASE_URL.
// Importable: `await migrateDeploy(url)` is what with-test-db.mjs and the start script use.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPrisma } from "./prisma.mjs";

/** Applies every pending migration in prisma/migrations to `databaseUrl`; throws on failure. */
export async function migrateDeploy(databaseUrl, { quiet = false } = {}) {
  if (!databaseUrl) throw new Error("migrateDeploy: no database URL given (set DATABASE_URL).");
  const code = await runPrisma(["migrate", "deploy"], {
    env: { DATABASE_URL: databaseUrl },
    stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
  });
  if (code !== 0) throw new Error(`prisma migrate deploy failed (exit code ${code}).`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("db:migrate: DATABASE_URL is not set (e.g. postgresql://parley@127.0.0.1:5432/parley).");
    process.exit(1);
  }
  try {
    await migrateDeploy(url);
  } catch (error) {
    console.error(`db:migrate: ${error.message}`);
    process.exitCode = 1;
  }
}
