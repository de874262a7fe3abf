#!/usr/bin/env node
// Runs the Prisma CLI with our offline schema engine (packages/db/bin/schema-engine.mjs) instead of
// the native binary the CLI would otherwise try to download. Usage: node scripts/prisma.mjs <args…>
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "package.json"));

/** Environment for any Prisma CLI run in this repo. */
export function prismaEnv(extra = {}) {
  return {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, "packages/db/bin/schema-engine.mjs"),
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
    ...extra,
  };
}

/** Runs `prisma <args>` from the repo root; resolves with the exit code. */
export function runPrisma(args, { env = {}, stdio = "inherit" } = {}) {
  const cli = require.resolve("prisma/build/index.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: prismaEnv(env), stdio });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runPrisma(process.argv.slice(2));
}
