// `npm test` (scripts/test.mjs) checks what the tiers need before running any of them, and falls
// back to a throwaway embedded PostgreSQL (scripts/throwaway-postgres.mjs) when there is none.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, startThrowawayPostgres } from "./throwaway-postgres.mjs";

const root = path.resolve(import.meta.dirname, "..");

/** Runs a node script; kills it when it starts a tier (so a broken check can never run the suite). */
function runNode(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env } });
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("=== unit")) child.kill("SIGKILL");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

describe("npm test checks its prerequisites first", () => {
  it("stops before any tier when Chromium is missing, saying what to install", async () => {
    const r = await runNode(["scripts/test.mjs"], { CHROMIUM_PATH: "/nonexistent/parley/chromium" });
    expect(r.output).not.toContain("=== unit");
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("no executable at /nonexistent/parley/chromium");
    expect(r.output).toContain("apt-get install chromium");
    expect(r.output).toContain("CHROMIUM_PATH=");
    expect(r.ms).toBeLessThan(15_000);
  });

  it("names every missing service at once, and --skip-e2e needs no Chromium", async () => {
    const closed = await freePort();
    const r = await runNode(["scripts/test.mjs", "--skip-e2e"], {
      CHROMIUM_PATH: "/nonexistent/parley/chromium",
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${closed}/postgres`,
      REDIS_URL: `redis://127.0.0.1:${closed}`,
    });
    expect(r.output).not.toContain("=== unit");
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(
      `cannot connect to postgresql://postgres@127.0.0.1:${closed}/postgres (DATABASE_URL)`,
    );
    expect(r.output).toContain("apt-get install postgresql");
    expect(r.output).toContain(`cannot connect to redis://127.0.0.1:${closed} (REDIS_URL)`);
    expect(r.output).toContain("apt-get install redis-server");
    expect(r.output).not.toContain("no executable"); // --skip-e2e: Chromium is not checked
    expect(r.ms).toBeLessThan(15_000);
  });
});

describe("the throwaway embedded PostgreSQL", () => {
  it("runs scripts/with-test-db.mjs and is gone afterwards", async () => {
    const pg = await startThrowawayPostgres();
    try {
      // A tiny command that uses both databases with-test-db hands out.
      const query = `
        const pg = (await import("pg")).default;
        for (const url of [process.env.DATABASE_URL, process.env.PARLEY_TEST_TEMPLATE_URL]) {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          const { rows } = await c.query('SELECT current_database() AS db, count(*)::int AS n FROM "_prisma_migrations"');
          console.log("db", rows[0].db, "migrations", rows[0].n);
          await c.end();
        }`;
      const r = await runNode(
        ["scripts/with-test-db.mjs", "node", "--input-type=module", "-e", query],
        { DATABASE_URL: pg.url },
        80_000, // migrating the template takes seconds, more on a busy machine
      );
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/db parley_tpl_\w+_app migrations [1-9]/);
      expect(r.output).toMatch(/db parley_tpl_\w+ migrations [1-9]/);
    } finally {
      await pg.stop();
    }
    expect(existsSync(pg.dir)).toBe(false);
  }, 120_000);
});
