/**
 * The README's start command on a machine with nothing configured: `npm start` must run an
 * embedded PostgreSQL, migrate it, start the one server (web + the realtime gateway on /ws of the
 * same port) and serve the first-run page.
 * (The app is already built by `npm test`'s build tier, so this runs `start.mjs --no-build`.)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
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

/** Status of a WebSocket upgrade request without credentials (101 would mean it was accepted). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on("error", reject);
    req.end();
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
  const [port, pgPort] = await Promise.all([freePort(), freePort()]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PARLEY_DATA_DIR: dataDir,
    PORT: String(port),
    EMBEDDED_POSTGRES_PORT: String(pgPort),
    PUBLIC_URL: `http://localhost:${port}`,
  };
  for (const key of [
    "DATABASE_URL",
    "REDIS_URL",
    "AUTH_SECRET",
    "S3_ENDPOINT",
    "NEXTAUTH_URL",
    "REALTIME_PUBLIC_URL",
    "REALTIME_EMBEDDED",
    "REALTIME_PORT",
  ])
    delete env[key];

  const child = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], { cwd: root, env });
  try {
    const [, url] = await waitForLine(child, /Parley is running: open (\S+)/, 150_000);
    expect(url).toBe(`http://localhost:${port}`);
    await page.goto(url!);
    await expect(page.getByRole("heading", { name: "Set up your workspace" })).toBeVisible();
    expect((await fetch(`${url}/api/healthz`)).status).toBe(200);
    // The realtime gateway is embedded on the same port: an upgrade on /ws without a ticket is
    // answered by the gateway's authentication (401), not by Next.
    expect(await upgradeStatus(`http://127.0.0.1:${port}/ws`)).toBe(401);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
