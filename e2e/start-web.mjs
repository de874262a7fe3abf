// Starts the production build of apps/web for the e2e run — the same single-process server as
// `npm start` (apps/web/server.ts: Next + the realtime gateway on /ws) — building it first when
// there is no build yet (or when E2E_BUILD=1). DATABASE_URL, AUTH_SECRET, PUBLIC_URL and PORT come
// from the Playwright config / with-test-db.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(root, "apps", "web");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

if (process.env.E2E_BUILD === "1" || !existsSync(join(web, ".next", "BUILD_ID"))) {
  console.log("[e2e] building @parley/web …");
  const build = spawnSync("npm", ["run", "build", "-w", "@parley/web"], { cwd: root, env, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
  cwd: web,
  env: { ...env, PORT: process.env.PORT ?? "3100" },
  stdio: "inherit",
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
