/**
 * operations.health (the admin Health page) through tRPC: admins and owners get the figures,
 * members and anonymous callers are refused (the figures themselves: gateway
 * ops-stats.integration.test.ts and rolling-restart.integration.test.ts).
 */
import { parseEnv } from "@parley/config";
import { MemoryEngine, setOpsStatsReader, startOpsStats } from "@parley/core";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode } from "./helpers.ts";

let t: TTestDb;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
});
const engine = new MemoryEngine();
const recorder = startOpsStats({ engine, role: "web + gateway", processId: "test-process" });

beforeAll(async () => {
  t = await createTestDb({ poolSize: 2 });
  await seedWorkspace(t.db);
  setOpsStatsReader(() => engine.listProcessStats());
  await recorder.flush();
});
afterAll(async () => {
  await recorder.stop();
  setOpsStatsReader(null);
  await engine.close();
  await t?.drop();
});

async function callerFor(role: "owner" | "admin" | "member" | null) {
  if (role === null) return createCaller(await createContext({ db: t.db, env }));
  const user = await seedUser(t.db, { role });
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  return createCaller(await createContext({ db: t.db, sessionId: session.id, env }));
}

describe("operations.health", () => {
  it("answers admins and owners with every live process's figures", async () => {
    for (const role of ["admin", "owner"] as const) {
      const health = await (await callerFor(role)).operations.health();
      expect(health.processes).toEqual([
        expect.objectContaining({ processId: "test-process", role: "web + gateway" }),
      ]);
      expect(health.lastHour).toMatchObject({ sent: expect.any(Number), internalErrors: expect.any(Number) });
    }
  });

  it("drops a process that stopped at once, not after the snapshot's TTL", async () => {
    const stopping = startOpsStats({ engine, role: "gateway", processId: "stopping-process" });
    await stopping.flush();
    const caller = await callerFor("admin");
    const listed = async () => (await caller.operations.health()).processes.map((p) => p.processId).sort();
    expect(await listed()).toEqual(["stopping-process", "test-process"]);
    await stopping.stop();
    await new Promise((resolve) => setTimeout(resolve, 5)); // its withdrawal lives 1 ms
    expect(await listed()).toEqual(["test-process"]);
  });

  it("refuses members and anonymous callers", async () => {
    await expectCode((await callerFor("member")).operations.health(), "FORBIDDEN");
    await expectCode((await callerFor(null)).operations.health(), "UNAUTHORIZED");
  });
});
