import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Two tiers, one config: `unit` is pure logic (no I/O); `integration` talks to real Postgres,
// Redis and S3 and runs under scripts/with-test-db.mjs, which provides a migrated template database.
const exclude = ["**/node_modules/**", "**/.next/**", "**/dist/**", "e2e/**"];
/**
 * Integration files that configure the process itself, each run in a fresh worker
 * (`integration-isolated`): the web's settings and `getDb()` read process.env once; the gateway's
 * files install the process-wide event sink, receipt relay and engines on globalThis (sharing a
 * worker, delivery-redis once saw every event three times).
 */
const PROCESS_STATE_FILES = [
  "apps/web/src/server/*.integration.test.ts",
  "packages/gateway/src/*.integration.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          // apps/web's "~/…" import alias (its tsconfig paths), for web components' unit tests.
          alias: { "~": fileURLToPath(new URL("./apps/web/src", import.meta.url)) },
          include: ["{apps,packages,bench}/**/*.test.ts", "scripts/*.test.ts"],
          exclude: [...exclude, "**/*.integration.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          alias: { "~": fileURLToPath(new URL("./apps/web/src", import.meta.url)) },
          include: ["{apps,packages,scripts}/**/*.integration.test.ts"],
          exclude: [...exclude, ...PROCESS_STATE_FILES],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Files share each worker's loaded modules (no re-import of Prisma, core, the gateway per
          // file): the tier took 300 s isolated and 140 s shared on this box. A file may keep no
          // state in modules that outlives it: each makes its own database (createTestDb), passes
          // its clients explicitly and undoes in afterAll what it installed (sinks, options).
          isolate: false,
        },
      },
      {
        test: {
          name: "integration-isolated",
          alias: { "~": fileURLToPath(new URL("./apps/web/src", import.meta.url)) },
          include: PROCESS_STATE_FILES,
          exclude,
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
