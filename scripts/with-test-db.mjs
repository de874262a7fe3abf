#!/usr/bin/env node
// Usage: node scripts/with-test-db.mjs <command> [args…]
// Runs <command> against throwaway databases on the server in DATABASE_URL (default: local
// postgres): a migrated template `parley_tpl_<id>` exported as PARLEY_TEST_TEMPLATE_URL (test files
// clone it with createTestDb() from @parley/db/testing) and one clone of it as DATABASE_URL (for
// processes that need a single database, e.g. the e2e web server). Everything named
// `parley_tpl_<id>…` is dropped afterwards, also on failure and Ctrl-C; the exit code is the command's.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { migrateDeploy } from "./migrate.mjs";
import { runChild } from "./run-child.mjs";

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

/** Runs the command (see run-child.mjs); resolves with its exit code. */
function run(command, args, env) {
  return runChild(command, args, { env, label: "with-test-db: " });
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
