/**
 * `npm run compose:check`: Compose's own validation of docker/compose.yaml (`config -q`), with
 * Debian's docker-compose (or the `docker compose` plugin) — no Docker engine needed. Checks:
 *   - the default stack and the `separate-gateway` profile (proxy + gateway replicas) are valid
 *     with docker/.env.example and the three required secrets set;
 *   - without a required secret Compose refuses (the `${VAR:?…}` guards the README promises).
 * packages/config/src/compose.test.ts checks the file's content (services, healthchecks, settings
 * passed through); this checks that Compose itself accepts it. Without docker-compose it says so
 * and exits 0, except on CI (CI=true), where every check runs (.ci/run installs it).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = path.join(root, "docker", "compose.yaml");
const envFile = path.join(root, "docker", ".env.example");

/** The compose command here: `docker-compose`, else `docker compose`, else null. */
function composeCommand() {
  if (spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0) return ["docker-compose"];
  if (spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0)
    return ["docker", "compose"];
  return null;
}

const command = composeCommand();
if (!command) {
  const message = "compose:check: no docker-compose here (apt-get install docker-compose)";
  if (process.env.CI === "true") {
    console.error(`${message}; CI runs every check.`);
    process.exit(1);
  }
  console.warn(`${message}: SKIPPED`);
  process.exit(0);
}

const secrets = {
  AUTH_SECRET: "compose-check-secret-compose-check-secret",
  POSTGRES_PASSWORD: "composecheck",
  MINIO_ROOT_PASSWORD: "composecheck",
};

/** Runs `config -q` with extra environment; resolves to { status, output }. */
function config(extraArgs, extraEnv) {
  const args = [...command.slice(1), "-f", file, "--env-file", envFile, ...extraArgs, "config", "-q"];
  const env = { ...process.env, ...extraEnv };
  for (const name of Object.keys(secrets)) if (!(name in extraEnv)) delete env[name];
  const run = spawnSync(command[0], args, { cwd: root, env, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

let failed = false;
for (const [label, args] of [
  ["default stack", []],
  ["separate-gateway profile", ["--profile", "separate-gateway"]],
]) {
  const { status, output } = config(args, secrets);
  if (status === 0) console.log(`compose:check: ${label}: valid`);
  else {
    failed = true;
    console.error(`compose:check: ${label}: INVALID\n${output}`);
  }
}
// The guard: a missing required secret must stop Compose before anything starts.
const { POSTGRES_PASSWORD: _omitted, ...withoutPassword } = secrets;
const guard = config([], withoutPassword);
if (guard.status !== 0 && guard.output.includes("set POSTGRES_PASSWORD")) {
  console.log("compose:check: a missing POSTGRES_PASSWORD is refused");
} else {
  failed = true;
  console.error(
    `compose:check: a missing POSTGRES_PASSWORD was NOT refused (exit ${guard.status})\n${guard.output}`,
  );
}
process.exit(failed ? 1 : 0);
