/**
 * The README's start command on a machine with nothing configured: `npm start` must run an
 * embedded PostgreSQL, migrate it, start web + realtime and serve the first-run page.
 * (The app is already built by `npm test`'s build tier, so this runs `start.mjs --no-build`.)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";

const root = path.resolve(import.meta.dirname, "..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited early (${code}):\n${output}`));
    });
  });
}

test("npm start with no database configured serves the first-run page", async ({ page }) => {
  test.setTimeout(180_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), "parley-start-"));
  const [port, realtimePort, pgPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PARLEY_DATA_DIR: dataDir,
    PORT: String(port),
    REALTIME_PORT: String(realtimePort),
    EMBEDDED_POSTGRES_PORT: String(pgPort),
    PUBLIC_URL: `http://localhost:${port}`,
  };
  for (const key of ["DATABASE_URL", "REDIS_URL", "AUTH_SECRET", "S3_ENDPOINT", "NEXTAUTH_URL"])
    delete env[key];

  const child = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], { cwd: root, env });
  try {
    const [, url] = await waitForLine(child, /Parley is running: open (\S+)/, 150_000);
    expect(url).toBe(`http://localhost:${port}`);
    await page.goto(url!);
    await expect(page.getByRole("heading", { name: "Set up your workspace" })).toBeVisible();
    expect((await fetch(`${url}/api/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${realtimePort}/healthz`)).status).toBe(200);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
