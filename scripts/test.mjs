#!/usr/bin/env node
/**
 * `npm test`: every tier, in order of cost — unit, integration (real Postgres/Redis), then the
 * browser tests (built app in Debian's Chromium). Stops at the first failing tier.
 *
 * First (in about a second) it checks what the tiers need, and stops before running any of them
 * with what to install or start:
 *   Chromium    CHROMIUM_PATH, else /usr/bin/chromium (`apt-get install chromium`); not with --skip-e2e
 *   PostgreSQL  DATABASE_URL must answer when given; without it 127.0.0.1:5432 (user postgres), and
 *               when nothing answers there, a throwaway embedded PostgreSQL (scripts/throwaway-postgres.mjs:
 *               temp dir, started for this run, removed afterwards — also on failure and Ctrl-C)
 *   Redis       REDIS_URL must answer when given; without it 127.0.0.1:6379, and when nothing answers
 *               there, the Redis-engine tests are SKIPPED (said loudly, before and after; on CI
 *               (CI=true) it is an error instead)
 *   S3          optional: the running scripts/s3-server.sh, else the S3 storage tests are skipped
 * Lint, typecheck, the dependency audit (scripts/audit.mjs), the short chaos matrix
 * (`npm run chaos -- --short`) and the web app's production build run beside the integration tier
 * (their output is printed after it; the build's before the browser tests).
 * Flags: --skip-e2e (no build, no browser tests, no Chromium needed).
 */
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runChild } from "./run-child.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
const DEFAULT_CHROMIUM = "/usr/bin/chromium";
/** The integration test files that need a Redis server (see PARLEY_TEST_SKIP_REDIS in the others). */
const REDIS_TEST_FILES = [
  "packages/core/test/engine/redis.integration.test.ts",
  "packages/gateway/src/bot-stream-redis.integration.test.ts",
  "packages/gateway/src/delivery-redis.integration.test.ts",
  "packages/gateway/src/gateway-kill.integration.test.ts",
  "packages/gateway/src/proxy-topology.integration.test.ts",
];
const CHECK_TIMEOUT_MS = 2_000;

const skipE2e = process.argv.includes("--skip-e2e");
const isCi = process.env.CI === "true";
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" };

/** A URL for messages: no password. */
function shown(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

function checkChromium() {
  const file = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  const from = process.env.CHROMIUM_PATH ? "CHROMIUM_PATH" : "the default";
  try {
    if (!statSync(file).isFile()) throw new Error("not a file");
    accessSync(file, constants.X_OK);
    return { ok: true, note: `Chromium: ${file}` };
  } catch {
    return {
      ok: false,
      problem: [
        `Chromium: no executable at ${file} (${from}); the browser tests run in it.`,
        "  install Debian's:        sudo apt-get install chromium fonts-noto-color-emoji",
        "  or use another build:    CHROMIUM_PATH=/path/to/chromium npm test",
        "  or leave them out:       npm test -- --skip-e2e",
      ],
    };
  }
}

async function canReachPostgres(url) {
  const { default: pg } = await import("pg");
  const u = new URL(url);
  u.pathname = "/postgres"; // where scripts/with-test-db.mjs creates its databases from
  const client = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: CHECK_TIMEOUT_MS });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return error instanceof Error ? error.message || error.code || String(error) : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkPostgres() {
  if (process.env.DATABASE_URL) {
    const error = await canReachPostgres(process.env.DATABASE_URL);
    if (!error) return { ok: true, note: `PostgreSQL: ${shown(process.env.DATABASE_URL)} (DATABASE_URL)` };
    return {
      ok: false,
      problem: [
        `PostgreSQL: cannot connect to ${shown(process.env.DATABASE_URL)} (DATABASE_URL): ${error}`,
        "  start that server or fix DATABASE_URL (a role that may CREATE DATABASE),",
        "  or unset DATABASE_URL: the tests then use 127.0.0.1:5432 (sudo apt-get install postgresql)",
        "  or, when nothing answers there, a throwaway embedded PostgreSQL.",
      ],
    };
  }
  const error = await canReachPostgres(DEFAULT_DATABASE_URL);
  if (!error) return { ok: true, note: `PostgreSQL: ${DEFAULT_DATABASE_URL}`, url: DEFAULT_DATABASE_URL };
  return {
    ok: true,
    embedded: true,
    note: [
      `PostgreSQL: nothing usable at ${DEFAULT_DATABASE_URL} (${error}) and no DATABASE_URL:`,
      "  the tests run on a throwaway embedded PostgreSQL (started now, removed afterwards).",
      "  To use a server instead: sudo apt-get install postgresql, or DATABASE_URL=postgresql://user:pass@host:5432/postgres",
    ].join("\n"),
  };
}

async function canReachRedis(url) {
  const { default: Redis } = await import("ioredis");
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CHECK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let cause = "";
  redis.on("error", (error) => {
    cause ||= error.message;
  });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return cause || (error instanceof Error ? error.message : String(error));
  } finally {
    redis.disconnect();
  }
}

const REDIS_HINT = "sudo apt-get install redis-server (then: redis-server --daemonize yes --bind 127.0.0.1)";

async function checkRedis() {
  if (/^rediss?\+cluster:/i.test(process.env.REDIS_URL ?? "")) {
    return {
      ok: false,
      problem: [
        "Redis: REDIS_URL names a Redis Cluster (redis+cluster://); the tests need one server there.",
        "  The cluster tests start their own local cluster (packages/core/src/engine/redis-cluster-local.ts).",
        "  Unset REDIS_URL or point it at a single Redis (redis://host:6379).",
      ],
    };
  }
  if (process.env.REDIS_URL) {
    const error = await canReachRedis(process.env.REDIS_URL);
    if (!error) return { ok: true, note: `Redis: ${shown(process.env.REDIS_URL)} (REDIS_URL)` };
    return {
      ok: false,
      problem: [
        `Redis: cannot connect to ${shown(process.env.REDIS_URL)} (REDIS_URL): ${error}`,
        "  start that server or fix REDIS_URL, or unset REDIS_URL (127.0.0.1:6379 is tried then).",
        `  A local one: ${REDIS_HINT}`,
      ],
    };
  }
  const error = await canReachRedis(DEFAULT_REDIS_URL);
  if (!error) return { ok: true, note: `Redis: ${DEFAULT_REDIS_URL}`, url: DEFAULT_REDIS_URL };
  if (isCi) {
    return {
      ok: false,
      problem: [
        `Redis: nothing at ${DEFAULT_REDIS_URL} (${error}) and no REDIS_URL; CI runs every test.`,
        `  ${REDIS_HINT}, or set REDIS_URL.`,
      ],
    };
  }
  return { ok: true, skipRedis: true, error };
}

function checkS3() {
  if (env.S3_ENDPOINT) return `S3: ${env.S3_ENDPOINT}:${env.S3_PORT ?? ""} (S3_ENDPOINT)`;
  // The S3 test server (scripts/s3-server.sh): when it answers, use its settings.
  const s3 = spawnSync("bash", [path.join(root, "scripts/s3-server.sh"), "env"], { encoding: "utf8" });
  if (s3.status === 0) {
    for (const [, name, value] of s3.stdout.matchAll(/^export (S3_\w+)=(.*)$/gm)) env[name] = value;
    return `S3: the test server at ${env.S3_ENDPOINT}:${env.S3_PORT}`;
  }
  return "S3: none (optional): the S3 storage tests are skipped; start one with `bash scripts/s3-server.sh start`";
}

function redisSkipBanner(error) {
  const line = "!".repeat(78);
  return [
    line,
    `!! Redis: nothing at ${DEFAULT_REDIS_URL} (${error}) and no REDIS_URL.`,
    "!! SKIPPED: the Redis-engine integration tests (the memory engine is still tested):",
    ...REDIS_TEST_FILES.map((f) => `!!   ${f}`),
    "!!   packages/core/test/fanout.integration.test.ts (its redis engine half)",
    "!!   e2e/proxy-topology.spec.ts (nginx in front of the web server and two gateways on Redis)",
    "!!   the short chaos matrix (npm run chaos -- --short; it runs its own redis-server)",
    `!! To run them: ${REDIS_HINT}, or set REDIS_URL.`,
    line,
  ].join("\n");
}

/**
 * Lint, typecheck, the dependency audit and Compose's validation of docker/compose.yaml
 * (`npm run lint`, `npm run typecheck`, `npm run audit:deps`, `npm run compose:check`), run beside the integration tier — whose files mostly wait on Postgres,
 * Redis and child processes — with their output held back and
 * printed after it, so the two never interleave. Resolves with the exit code, output and seconds.
 */
function startStaticChecks({ withChaos }) {
  const started = Date.now();
  const steps = [
    "npm run -s lint",
    "npm run -s typecheck",
    "npm run -s audit:deps",
    "npm run -s compose:check",
  ];
  // The short chaos matrix (issue 14: bench/src/chaos.ts --short, ≈ 1 min): its own PostgreSQL
  // cluster and redis-server on spare ports, so it never touches the servers the tests use.
  if (withChaos) steps.push("npm run -s chaos -- --short");
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", steps.join(" && ")], {
      cwd: root,
      env,
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("exit", (code) =>
      resolve({ code: code ?? 1, output, secs: ((Date.now() - started) / 1000).toFixed(1) }),
    );
  });
}

/**
 * The production build of apps/web for the browser tests, also run beside the integration tier
 * (CPU the integration files leave idle while they wait; ≈ 40 s of the run's wall time saved),
 * output held back like the checks'. Resolves with the exit code, output and seconds.
 */
function startBuild() {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn("npx", ["turbo", "run", "build", "--filter=@parley/web"], { cwd: root, env });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("exit", (code) =>
      resolve({ code: code ?? 1, output, secs: ((Date.now() - started) / 1000).toFixed(1) }),
    );
  });
}

/** Runs one tier from the repo root; resolves with its exit code (see run-child.mjs). */
function runTier(cmd, args) {
  return runChild(cmd, args, { env, cwd: root });
}

async function main() {
  const started = Date.now();
  const [chromium, postgres, redis] = await Promise.all([
    skipE2e ? { ok: true, note: "Chromium: not needed (--skip-e2e)" } : checkChromium(),
    checkPostgres(),
    checkRedis(),
  ]);
  const failed = [chromium, postgres, redis].filter((c) => !c.ok);
  if (failed.length > 0) {
    console.error("npm test cannot run here yet; nothing was run:\n");
    for (const c of failed) console.error(`✗ ${c.problem.join("\n")}\n`);
    console.error("(Every tier needs PostgreSQL; the integration tests Redis; the browser tests Chromium.)");
    return 1;
  }
  const s3 = checkS3();
  console.log(`checked in ${Date.now() - started} ms:`);
  for (const c of [chromium, postgres, redis])
    if (c.note) console.log(`  ${c.note.replaceAll("\n", "\n  ")}`);
  console.log(`  ${s3}`);
  if (redis.skipRedis) console.log(`\n${redisSkipBanner(redis.error)}`);

  let embedded = null;
  try {
    if (postgres.embedded) {
      const { startThrowawayPostgres } = await import("./throwaway-postgres.mjs");
      embedded = await startThrowawayPostgres({ log: (m) => console.log(`  ${m}`) });
      env.DATABASE_URL = embedded.url;
    } else {
      env.DATABASE_URL = process.env.DATABASE_URL || postgres.url;
    }
    if (redis.skipRedis) {
      delete env.REDIS_URL; // the browser tests' server then uses the in-process memory engine
      env.PARLEY_TEST_SKIP_REDIS = "1";
    } else {
      env.REDIS_URL = process.env.REDIS_URL || redis.url;
    }

    // Two files at a time: they wait on Postgres, Redis and child processes more than on the CPU
    // (one worker on this 2-core box spent 330 s, two 180 s; gateway-kill alone is 96 s of waiting;
    // three gained nothing). Each file has its own database (createTestDb), so files never share
    // state; `integration` files share their worker's modules, `integration-isolated` ones do not
    // (vitest.config.ts).
    const integration = [
      "node",
      "scripts/with-test-db.mjs",
      "vitest",
      "run",
      "--project",
      "integration",
      "--project",
      "integration-isolated",
      "--maxWorkers=2",
    ];
    if (redis.skipRedis) for (const f of REDIS_TEST_FILES) integration.push("--exclude", f);
    const tiers = [
      // Two workers: Vitest's default is one fewer than the cores, i.e. one here, which left a core
      // idle (98 files: 31 s of imports, 13 s of tests, 70 s of wall time on one worker).
      ["unit", ["vitest", "run", "--project", "unit", "--maxWorkers=2"]],
      ["integration", integration],
      ...(skipE2e
        ? []
        : [
            [
              "e2e",
              ["node", "scripts/with-test-db.mjs", "playwright", "test", "-c", "e2e/playwright.config.ts"],
            ],
          ]),
    ];
    let staticChecks;
    let build;
    for (const [name, [cmd, ...args]] of tiers) {
      if (name === "integration") {
        console.log(
          `\n=== lint, typecheck, audit, compose check${redis.skipRedis ? "" : " and the short chaos matrix"}${skipE2e ? "" : ", and the web build"}: started beside the integration tier (output after it)`,
        );
        // Without Redis (its redis-server binary) the chaos run cannot start its own; said below.
        staticChecks = startStaticChecks({ withChaos: !redis.skipRedis });
        if (!skipE2e) build = startBuild();
      }
      if (name === "e2e") {
        const built = await build;
        process.stdout.write(built.output);
        if (built.code !== 0) {
          console.error(`=== build FAILED after ${built.secs}s (exit ${built.code})`);
          return built.code;
        }
        console.log(`=== build (beside the integration tier) passed in ${built.secs}s`);
      }
      console.log(`\n=== ${name}: ${cmd} ${args.join(" ")}`);
      const tierStarted = Date.now();
      const code = await runTier(cmd, args);
      const secs = ((Date.now() - tierStarted) / 1000).toFixed(1);
      if (code !== 0) {
        console.error(`=== ${name} FAILED after ${secs}s (exit ${code})`);
        await Promise.all([staticChecks, build]);
        return code || 1;
      }
      console.log(`=== ${name} passed in ${secs}s`);
      if (name === "integration") {
        const checks = await staticChecks;
        process.stdout.write(checks.output);
        if (checks.code !== 0) {
          console.error(
            `=== lint, typecheck, audit, compose check and chaos FAILED after ${checks.secs}s (exit ${checks.code})`,
          );
          return checks.code;
        }
        console.log(`=== lint, typecheck, audit, compose check and chaos passed in ${checks.secs}s`);
      }
    }
    if (redis.skipRedis) console.log(`\n${redisSkipBanner(redis.error)}`);
    return 0;
  } finally {
    await embedded?.stop();
  }
}

process.exitCode = await main();
