#!/usr/bin/env node
// Usage: node scripts/with-test-db.mjs <command> [args…]
// Runs <command> against throwaway databases on the server in DATABASE_URL (default: local
// postgres): a migrated template `parley_tpl_<id>` exported as PARLEY_TEST_TEMPLATE_URL (test files
// clone it with createTestDb() from @parley/db/testing) and one clone of it as DATABASE_URL (for
// processes that need a single database, e.g. the e2e web server). Everything named
// `parley_tpl_<id>…` is dropped afterwards, also on failure and Ctrl-C; the exit code is the command's.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { migrateDeploy } from "./migrate.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;
const withDatabase = (url, database) => {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
};

async function admin(serverUrl, fn) {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops the template and every database cloned from it (their names start with its name). */
async function dropAll(serverUrl, template) {
  await admin(serverUrl, async (client) => {
    const { rows } = await client.query(
      "SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2) ORDER BY datname DESC",
      [template, `${template}_`],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    }
  });
}

/** Spawns the command with node_modules/.bin first on PATH (like npx); resolves with its exit code. */
function run(command, args, env) {
  const binDirs = [path.join(process.cwd(), "node_modules/.bin"), path.join(root, "node_modules/.bin")];
  const PATH = [...new Set(binDirs), env.PATH ?? ""].join(path.delimiter);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit", env: { ...env, PATH } });
    const forward = (signal) => () => child.kill(signal);
    const onInt = forward("SIGINT");
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    const done = (code) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(code);
    };
    child.on("error", (error) => {
      console.error(`with-test-db: cannot run ${command}: ${error.message}`);
      done(127);
    });
    child.on("exit", (code, signal) => {
      const signals = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };
      done(code ?? 128 + (signals[signal] ?? 1));
    });
  });
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error("usage: node scripts/with-test-db.mjs <command> [args…]");
    return 2;
  }
  const serverUrl = process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
  const template = `parley_tpl_${randomBytes(4).toString("hex")}`;
  const templateUrl = withDatabase(serverUrl, template);
  const appDb = `${template}_app`;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const started = Date.now();
    await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${quoteIdent(template)}`));
    await migrateDeploy(templateUrl, { quiet: true });
    await admin(serverUrl, (client) =>
      client.query(`CREATE DATABASE ${quoteIdent(appDb)} TEMPLATE ${quoteIdent(template)}`),
    );
    console.error(`with-test-db: migrated template ${template} in ${Date.now() - started} ms`);
    if (interrupted) return 130;
    return await run(command, args, {
      ...process.env,
      PARLEY_TEST_TEMPLATE_URL: templateUrl,
      DATABASE_URL: withDatabase(serverUrl, appDb),
    });
  } catch (error) {
    console.error(`with-test-db: ${error.message}`);
    return 1;
  } finally {
    try {
      await dropAll(serverUrl, template);
    } catch (error) {
      console.error(`with-test-db: could not drop ${template}*: ${error.message}`);
    }
  }
}

process.exitCode = await main();
