#!/usr/bin/env node
/**
 * `npm test`: every tier, in order of cost — unit, integration (real Postgres/Redis), then the
 * browser tests (built app in Debian's Chromium). Stops at the first failing tier.
 * Uses DATABASE_URL / REDIS_URL when given; otherwise this machine's local services.
 * Flags: --skip-e2e.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  TURBO_TELEMETRY_DISABLED: "1",
  DATABASE_URL: process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres",
  REDIS_URL: process.env.REDIS_URL || "redis://127.0.0.1:6379",
};
const skipE2e = process.argv.includes("--skip-e2e");
// S3 test server (scripts/s3-server.sh): when it answers and no S3_ENDPOINT is given, use its settings.
if (!env.S3_ENDPOINT) {
  const s3 = spawnSync("bash", [path.join(root, "scripts/s3-server.sh"), "env"], { encoding: "utf8" });
  if (s3.status === 0) {
    for (const [, name, value] of s3.stdout.matchAll(/^export (S3_\w+)=(.*)$/gm)) env[name] = value;
  }
}

const tiers = [
  ["unit", ["npx", "vitest", "run", "--project", "unit"]],
  ["integration", ["node", "scripts/with-test-db.mjs", "npx", "vitest", "run", "--project", "integration"]],
  ...(skipE2e
    ? []
    : [
        ["build", ["npx", "turbo", "run", "build", "--filter=@parley/web"]],
        [
          "e2e",
          ["node", "scripts/with-test-db.mjs", "npx", "playwright", "test", "-c", "e2e/playwright.config.ts"],
        ],
      ]),
];

for (const [name, [cmd, ...args]] of tiers) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(" ")}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", env, cwd: root });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`=== ${name} FAILED after ${secs}s (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  console.log(`=== ${name} passed in ${secs}s`);
}
