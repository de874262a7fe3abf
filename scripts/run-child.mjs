// Runs a command as a child with the project's node_modules/.bin first on PATH (like npx, which
// does not pass signals on), forwarding SIGINT/SIGTERM to it; used by test.mjs and with-test-db.mjs.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };

/** Resolves with the child's exit code (128 + the signal's number when a signal ended it). */
export function runChild(command, args, { env = process.env, cwd = process.cwd(), label = "" } = {}) {
  const binDirs = [path.join(cwd, "node_modules/.bin"), path.join(root, "node_modules/.bin")];
  const PATH = [...new Set(binDirs), env.PATH ?? ""].join(path.delimiter);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit", env: { ...env, PATH }, cwd });
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
      console.error(`${label}cannot run ${command}: ${error.message}`);
      done(127);
    });
    child.on("exit", (code, signal) => done(code ?? 128 + (SIGNAL_NUMBERS[signal] ?? 1)));
  });
}
