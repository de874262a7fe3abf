#!/usr/bin/env node
// A stand-in for Prisma's native `schema-engine` binary, which the CLI tries to download on every
// command (and cannot, offline). It speaks the same CLI protocol and delegates to Prisma's own
// engine compiled to WebAssembly (@prisma/schema-engine-wasm), with @prisma/adapter-pg as the
// connection. scripts/prisma.mjs points PRISMA_SCHEMA_ENGINE_BINARY here.
//
// Protocol (as the prisma 7.10 CLI drives it):
//   --version                                   → "schema-engine-cli <engines hash>"
//   [--datamodels FILE]… [--datasource JSON]    → line-delimited JSON-RPC 2.0 on stdin/stdout,
//                                                 logs as JSON lines on stderr
//   --datasource JSON cli can-connect-to-database|create-database → one shot; errors as an
//                                                 ERROR line from schema_engine::logger on stderr
//
// To support a new RPC method: if the wasm engine has a method of the same name nothing is needed;
// otherwise add it to `handlers` below.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as wasmGlue from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";

const require = createRequire(import.meta.url);
const parsePgUrl = createRequire(require.resolve("pg"))("pg-connection-string").parse;

// ---------------------------------------------------------------------------------------------
// pg result types the adapter cannot map: pg_catalog's "char", name, int2vector, regproc, xid,
// cid, oidvector, pg_node_tree, … are read as text (25), name[] as text[] (1009).
const AS_TEXT = new Set([
  18, 19, 22, 24, 28, 29, 30, 194, 1033, 2202, 2203, 2204, 2205, 2206, 3734, 3769, 4089, 4096,
]);
const AS_TEXT_ARRAY = new Set([1003]);
const remapOid = (oid) => (AS_TEXT.has(oid) ? 25 : AS_TEXT_ARRAY.has(oid) ? 1009 : oid);

const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function patchedQuery(config, values, callback) {
  // Only plain query objects carry the adapter's type parsers; strings (scripts) pass through.
  if (config === null || typeof config !== "object" || typeof config.submit === "function") {
    return originalQuery.call(this, config, values, callback);
  }
  const types = config.types ?? pg.types;
  const patched = {
    ...config,
    types: { getTypeParser: (oid, format) => types.getTypeParser(remapOid(oid), format) },
  };
  const fixFields = (result) => {
    for (const field of result?.fields ?? []) field.dataTypeID = remapOid(field.dataTypeID);
    return result;
  };
  const cb = typeof values === "function" ? values : callback;
  const vals = typeof values === "function" ? undefined : values;
  if (typeof cb === "function") {
    return originalQuery.call(this, patched, vals, (error, result) => cb(error, fixFields(result)));
  }
  return originalQuery.call(this, patched, vals).then(fixFields);
};

// ---------------------------------------------------------------------------------------------
// Logging: JSON lines on stderr, shaped like the native engine's tracing output.
function logLine(level, message, extra = {}) {
  process.stderr.write(
    `${JSON.stringify({
      timestamp: new Date().toISOString(),
      level,
      fields: { message, ...extra },
      target: "schema_engine::logger",
    })}\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// Connections.

/** Separate host/user/database fields: pg lets a connectionString override `database`. */
function pgConfigFromUrl(url) {
  const { schema, connection_limit, pool_timeout, ...parsed } = parsePgUrl(url);
  const config = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value !== undefined && value !== null) config[key] = value;
  }
  if (config.port !== undefined) config.port = Number(config.port);
  config.max = 4;
  return { config, schema: new URL(url).searchParams.get("schema") ?? undefined };
}

const openPools = new Set();
function trackPool(pool) {
  openPools.add(pool);
  pool.on("error", () => {});
  const end = pool.end.bind(pool);
  pool.end = async () => {
    openPools.delete(pool);
    if (!pool.ended) await end();
  };
  return pool;
}

function quoteIdent(name) {
  return `"${String(name).replaceAll('"', '""')}"`;
}

/** Runs one statement on a short-lived connection to `database` of the server in `config`. */
async function adminQuery(config, sql, database = config.database) {
  const client = new pg.Client({ ...config, database });
  client.on("error", () => {});
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** PrismaPg whose adapters run scripts whole (simple query protocol, like the native engine). */
async function connectAdapter(config, schema) {
  const pool = trackPool(new pg.Pool(config));
  const adapter = await new PrismaPg(pool, { schema, disposeExternalPool: true }).connect();
  // adapter-pg splits scripts on ";", which breaks functions, DO blocks and string literals.
  adapter.executeScript = async (script) => {
    try {
      await pool.query(script);
    } catch (error) {
      adapter.onError(error);
    }
  };
  return adapter;
}

/** The migration-aware adapter factory the wasm engine uses, for the main and the shadow database. */
function createAdapterFactory(datasource) {
  const main = datasource?.url ? pgConfigFromUrl(datasource.url) : null;
  const shadow = datasource?.shadowDatabaseUrl ? pgConfigFromUrl(datasource.shadowDatabaseUrl) : null;
  const factory = {
    provider: "postgres",
    adapterName: "@prisma/adapter-pg",
    async connect() {
      if (!main) throw new Error("No datasource url: set DATABASE_URL (see prisma.config.ts).");
      return connectAdapter(main.config, main.schema);
    },
    async connectToShadowDb() {
      if (shadow) return connectAdapter(shadow.config, shadow.schema);
      if (!main) throw new Error("No datasource url: set DATABASE_URL (see prisma.config.ts).");
      const database = `prisma_migrate_shadow_db_${randomUUID()}`;
      await adminQuery(main.config, `CREATE DATABASE ${quoteIdent(database)}`);
      const adapter = await connectAdapter({ ...main.config, database }, main.schema);
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose(); // closes the pool first: DROP DATABASE refuses while we are connected
        await adminQuery(main.config, `DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
      };
      return adapter;
    },
  };
  return bindMigrationAwareSqlAdapterFactory(factory);
}

// ---------------------------------------------------------------------------------------------
// The wasm engine.
let wasmReady = null;
function loadWasm() {
  wasmReady ??= (async () => {
    const wasmPath = fileURLToPath(
      import.meta.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm"),
    );
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
      "./schema_engine_bg.js": wasmGlue,
    });
    wasmGlue.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
  })();
  return wasmReady;
}

function enginesHash() {
  const { version } = JSON.parse(
    readFileSync(
      fileURLToPath(
        import.meta
          .resolve("@prisma/schema-engine-wasm/schema_engine_bg")
          .replace(/schema_engine_bg\.js$/, "package.json"),
      ),
      "utf8",
    ),
  );
  return version.split(".").pop();
}

// ---------------------------------------------------------------------------------------------
// Errors, shaped as the CLI expects them (see SchemaEngine.runCommand in prisma's cli.js).
function toErrorData(error) {
  if (error && typeof error === "object" && !(error instanceof Error) && "message" in error) {
    return {
      is_panic: Boolean(error.is_panic),
      message: String(error.message),
      error_code: error.error_code ?? undefined,
      meta: error.meta ?? undefined,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  // Some wasm errors arrive as an Error whose message is the JSON error object.
  try {
    const parsed = JSON.parse(message);
    if (parsed && typeof parsed === "object" && "message" in parsed) return toErrorData(parsed);
  } catch {}
  const isPanic = error instanceof WebAssembly.RuntimeError || /panicked at/.test(message);
  return { is_panic: isPanic, message, error_code: error?.code?.startsWith?.("P") ? error.code : undefined };
}

/** Maps a pg connection error to Prisma's P1xxx codes for the one-shot commands. */
function connectionErrorData(error, config) {
  const where = `${config.host ?? "localhost"}:${config.port ?? 5432}`;
  switch (error?.code) {
    case "3D000":
      return {
        error_code: "P1003",
        message: `Database \`${config.database}\` does not exist on the database server at \`${where}\`.`,
      };
    case "28P01":
    case "28000":
      return {
        error_code: "P1000",
        message: `Authentication failed against database server at \`${where}\`, the provided database credentials for \`${config.user}\` are not valid.`,
      };
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return { error_code: "P1001", message: `Can't reach database server at \`${where}\`` };
    case "42P04":
      return {
        error_code: "P1009",
        message: `Database \`${config.database}\` already exists on the database server at \`${where}\``,
      };
    default:
      return { error_code: undefined, message: error?.message ?? String(error) };
  }
}

// ---------------------------------------------------------------------------------------------
// Argument parsing.
function parseArgs(argv) {
  const args = { datamodels: [], datasource: null, cli: null, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--version" || arg === "-V") args.version = true;
    else if (arg === "--datamodels" || arg === "-d") {
      while (argv[i + 1] !== undefined && !argv[i + 1].startsWith("-") && argv[i + 1] !== "cli") {
        args.datamodels.push(argv[++i]);
      }
    } else if (arg === "--datasource") args.datasource = JSON.parse(argv[++i]);
    else if (arg === "--enabled-preview-features" || arg === "--extension-types") i++;
    else if (arg === "cli") {
      args.cli = argv.slice(i + 1);
      break;
    }
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// One-shot `cli` subcommands.
async function runCli(args) {
  const url = args.datasource?.url;
  const [command] = args.cli;
  logLine("INFO", `Starting schema engine CLI (${command})`);
  if (!url) {
    logLine("ERROR", "No datasource url given.", { error_code: "P1012" });
    return 1;
  }
  const { config } = pgConfigFromUrl(url);
  try {
    if (command === "can-connect-to-database") {
      await adminQuery(config, "SELECT 1");
      process.stdout.write("Connection successful\n");
      return 0;
    }
    if (command === "create-database") {
      await adminQuery(config, `CREATE DATABASE ${quoteIdent(config.database)}`, "postgres");
      process.stdout.write(`Database '${config.database}' was successfully created.\n`);
      return 0;
    }
    if (command === "drop-database") {
      await adminQuery(
        config,
        `DROP DATABASE IF EXISTS ${quoteIdent(config.database)} WITH (FORCE)`,
        "postgres",
      );
      process.stdout.write(`The database '${config.database}' was successfully dropped.\n`);
      return 0;
    }
    logLine("ERROR", `Unknown cli command: ${command}`);
    return 1;
  } catch (error) {
    const { error_code, message } = connectionErrorData(error, config);
    logLine("ERROR", message, error_code ? { error_code } : {});
    return 1;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC server.
async function runRpc(args) {
  let enginePromise = null;
  const getEngine = () => {
    enginePromise ??= (async () => {
      await loadWasm();
      const datamodels = args.datamodels.map((path) => [path, readFileSync(path, "utf8")]);
      return wasmGlue.SchemaEngine.new(
        { datamodels: datamodels.length > 0 ? datamodels : undefined },
        (line) => process.stderr.write(`${typeof line === "string" ? line : JSON.stringify(line)}\n`),
        createAdapterFactory(args.datasource),
      );
    })();
    return enginePromise;
  };

  const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
  let nextOutgoingId = 1;
  const pendingOutgoing = new Map();
  /** A request from the engine to the CLI (only `print` exists). */
  const requestClient = (method, params) =>
    new Promise((resolve) => {
      const id = `shim-${nextOutgoingId++}`;
      pendingOutgoing.set(id, resolve);
      send({ jsonrpc: "2.0", id, method, params });
    });

  const handlers = {
    async getDatabaseVersion(params) {
      return (await getEngine()).version(params ?? undefined);
    },
    async createDatabase() {
      const url = args.datasource?.url;
      if (!url) throw new Error("No datasource url given.");
      const { config } = pgConfigFromUrl(url);
      try {
        await adminQuery(config, `CREATE DATABASE ${quoteIdent(config.database)}`, "postgres");
      } catch (error) {
        throw { is_panic: false, ...connectionErrorData(error, config) };
      }
      return { databaseName: config.database };
    },
    async diff(params) {
      const result = await (await getEngine()).diff(params);
      if (result?.stdout != null) await requestClient("print", { content: result.stdout });
      return { exitCode: result?.exitCode ?? 0 };
    },
  };

  const handle = async (request) => {
    const { id, method, params } = request;
    try {
      let result;
      if (handlers[method]) result = await handlers[method](params);
      else {
        const engine = await getEngine();
        if (typeof engine[method] !== "function") {
          send({ jsonrpc: "2.0", id, error: { code: -32601, message: `Method not found: ${method}` } });
          return;
        }
        result = await engine[method](params);
      }
      send({ jsonrpc: "2.0", id, result: result ?? {} });
    } catch (error) {
      const data = toErrorData(error);
      if (data.is_panic) logLine("ERROR", data.message, { is_panic: true });
      send({
        jsonrpc: "2.0",
        id,
        error: { code: 4466, message: "An error happened. Check the data field for details.", data },
      });
    }
  };

  // Requests run one at a time, in order, as the native engine does.
  let queue = Promise.resolve();
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      send({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
      return;
    }
    if (message.method === undefined && pendingOutgoing.has(message.id)) {
      pendingOutgoing.get(message.id)();
      pendingOutgoing.delete(message.id);
      return;
    }
    queue = queue.then(() => handle(message));
  });
  lines.on("close", async () => {
    await queue;
    await Promise.race([
      Promise.allSettled([...openPools].map((pool) => pool.end())),
      new Promise((resolve) => setTimeout(resolve, 2000)),
    ]);
    process.exit(0);
  });
}

// ---------------------------------------------------------------------------------------------
const args = parseArgs(process.argv.slice(2));
if (args.version) {
  process.stdout.write(`schema-engine-cli ${enginesHash()}\n`);
} else if (args.cli) {
  process.exitCode = await runCli(args);
} else {
  await runRpc(args);
}
