/**
 * Issue 14, authorization matrix: every procedure of `appRouter` × every actor kind (world.ts),
 * called through a server-side caller with the HTTP handler's context against real Postgres,
 * must answer what the table (authz/matrix.ts) says, and a refused call must write nothing. A
 * procedure without a row fails the test; a wrong row is reported (the negative control).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TEnv } from "@parley/config";
import { getStorage } from "@parley/core/files";
import { tableDigests } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_PROCEDURES, judge, rowKey, runRow, type TRowObservations } from "./authz/check.ts";
import { MATRIX, type TMatrixRow } from "./authz/matrix.ts";
import { seedWorld, type TWorld } from "./authz/world.ts";
import { testEnv, useApiTestDb } from "./helpers.ts";

const { db } = useApiTestDb("Authz", 6);
let world: TWorld;
let storageDir: string;
let env: TEnv;

beforeAll(async () => {
  // Uploads need storage: a local directory (TEST_ENV leaves S3 unset).
  storageDir = await mkdtemp(path.join(tmpdir(), "parley-authz-"));
  env = testEnv({ STORAGE_DIR: storageDir });
  world = await seedWorld(db(), await getStorage(env));
});
afterAll(async () => {
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
});

describe("authorization matrix (issue 14)", () => {
  it("lists the router's procedures (so a new one without a row fails below)", () => {
    expect(APP_PROCEDURES.length).toBeGreaterThan(80);
    expect(APP_PROCEDURES).toContain("messages.send");
  });

  it("answers every procedure × actor as the table says, and refused calls write nothing", {
    timeout: 120_000,
  }, async () => {
    const observed = new Map<string, TRowObservations>();
    for (const row of MATRIX) observed.set(rowKey(row), await runRow(world, env, row));
    expect(judge(APP_PROCEDURES, MATRIX, observed)).toEqual([]);
  });

  it("reports a wrong expectation, a missing row and a refused call that wrote (negative control)", async () => {
    // A real run of one row, checked against a deliberately wrong copy of it.
    const real = MATRIX.find((r) => r.procedure === "conversations.get" && !r.case) as TMatrixRow;
    const wrong: TMatrixRow = { ...real, expect: { ...real.expect, nonMember: "allowed" } };
    const observed = new Map([[rowKey(real), await runRow(world, env, real)]]);
    expect(judge([real.procedure], [wrong], observed)).toEqual([
      `conversations.get as nonMember: expected allowed, got NOT_FOUND (Conversation not found)`,
    ]);
    expect(judge([real.procedure], [real], observed)).toEqual([]);
    // A procedure the table does not name.
    expect(judge([real.procedure, "brandNew.procedure"], [real], observed)).toEqual([
      "brandNew.procedure: no row in the matrix (add one to packages/api/test/authz/matrix.ts)",
    ]);
    // A refusal that wrote, and a NOT_FOUND that is not the unknown-id answer.
    const tampered = new Map(observed);
    const seen = observed.get(rowKey(real)) as TRowObservations;
    tampered.set(rowKey(real), {
      ...seen,
      removed: { ...seen.removed, wrote: ["Message"] },
      admin: { ...seen.admin, message: "You are not in this private channel" },
      member: { ...seen.member, revealed: true },
    });
    expect(judge([real.procedure], [real], tampered)).toEqual([
      "conversations.get as admin: NOT_FOUND with a text unknown ids never get: You are not in this private channel",
      "conversations.get as member: allowed, but the answer shows what it must not",
      "conversations.get as removed: refused (NOT_FOUND) but wrote to Message",
    ]);
    // The write check sees an update that changes no row count.
    const before = await tableDigests(db());
    await db().user.update({ where: { id: world.spareId }, data: { statusText: "changed" } });
    const after = await tableDigests(db());
    expect(Object.keys(after).filter((t) => after[t] !== before[t])).toEqual(["User"]);
  });
});
