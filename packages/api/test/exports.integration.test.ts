/**
 * Data exports over the router (the authorization matrix's rows for exports.*): the workspace
 * export is the owner's alone; someone else's export answers exactly as an unknown id does, over
 * real HTTP; signed-out callers are refused; the request is audit-logged with the caller's
 * address. What the archives hold is core/test/export.integration.test.ts's.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createContext } from "../src/trpc.ts";
import { expectCode, postTrpc, signedInCaller, TEST_ENV, trpcOverHttp, useApiTestDb } from "./helpers.ts";

const t = useApiTestDb("Exports");

describe("exports procedures", () => {
  it("let the owner alone export the workspace, each user their own, and answer others as for an unknown id", async () => {
    const owner = await signedInCaller(t.db(), "owner", "203.0.113.7");
    const admin = await signedInCaller(t.db(), "admin");
    const member = await signedInCaller(t.db(), "member");

    await expectCode(admin.caller.exports.request({ scope: "workspace" }), "FORBIDDEN");
    await expectCode(member.caller.exports.request({ scope: "workspace" }), "FORBIDDEN");
    await expectCode(member.caller.exports.request({ scope: "all" as "user" }), "BAD_REQUEST");
    expect(await t.db().dataExport.count()).toBe(0);

    const workspace = await owner.caller.exports.request({ scope: "workspace" });
    const mine = await member.caller.exports.request({ scope: "user" });
    expect(workspace).toMatchObject({ scope: "workspace", status: "queued" });
    const audit = await t
      .db()
      .auditEntry.findFirstOrThrow({ where: { action: "export.requested", actorId: owner.actor.userId } });
    expect(audit).toMatchObject({
      ip: "203.0.113.7",
      details: { exportId: workspace.id, scope: "workspace" },
    });

    expect((await owner.caller.exports.list()).map((e) => e.id)).toEqual([workspace.id]);
    expect((await admin.caller.exports.list()).map((e) => e.id)).toEqual([]);
    expect((await member.caller.exports.list()).map((e) => e.id)).toEqual([mine.id]);

    // Someone else's export, over HTTP: byte for byte the answer for an id that does not exist.
    for (const [caller, id] of [
      [admin, workspace.id],
      [member, workspace.id],
      [owner, mine.id],
    ] as const) {
      const get = async (exportId: string) => {
        const res = await trpcOverHttp(
          "exports.get",
          { id: exportId },
          {
            isQuery: true,
            context: () => createContext({ db: t.db(), sessionId: caller.sessionId, env: TEST_ENV }),
          },
        );
        const body = (await res.json()) as { error?: { json?: { data?: { stack?: string } } } };
        // Outside production tRPC adds the server's stack trace; production answers never carry it.
        delete body.error?.json?.data?.stack;
        return { status: res.status, body };
      };
      const unknown = await get(randomUUID());
      expect(unknown.status).toBe(404);
      expect(await get(id)).toEqual(unknown);
      const download = async (exportId: string) => {
        const { status, error } = await postTrpc(
          t.db(),
          "exports.downloadUrl",
          { id: exportId },
          caller.sessionId,
        );
        return { status, code: error?.data.code, message: error?.message };
      };
      expect(await download(id)).toEqual(await download(randomUUID()));
      expect(await download(id)).toMatchObject({ status: 404, code: "NOT_FOUND" });
    }
    // The owner's own, not built yet: not downloadable.
    await expectCode(owner.caller.exports.downloadUrl({ id: workspace.id }), "CONFLICT", /not ready/);
    expect(await t.db().auditEntry.count({ where: { action: "export.downloaded" } })).toBe(0);

    // Signed out: refused before anything is read.
    const anonymous = await trpcOverHttp(
      "exports.request",
      { scope: "user" },
      {
        isQuery: false,
        context: () => createContext({ db: t.db(), env: TEST_ENV }),
      },
    );
    expect(anonymous.status).toBe(401);
  });
});
