import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Two tiers, one config: `unit` is pure logic (no I/O); `integration` talks to real Postgres,
// Redis and S3 and runs under scripts/with-test-db.mjs, which provides a migrated template database.
const exclude = ["**/node_modules/**", "**/.next/**", "**/dist/**", "e2e/**"];

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
          exclude,
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
