/**
 * The admin Health page's figures end to end in one process (the default topology: the web
 * server's embedded gateway on the memory engine): sockets, sends and deliveries move the
 * figures core's readOperationsHealth reads back from the engine; only admins may read them.
 * The many-gateway topology (snapshots in Redis) is checked by rolling-restart.integration.test.ts.
 */

import { randomUUID } from "node:crypto";
import { createAccessToken, ParleyError, readOperationsHealth, type TActor } from "@parley/core";
import { seedChannel, seedUser } from "@parley/db/seed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRealtime, TestClient } from "./test-helpers.ts";

let ctx: Awaited<ReturnType<typeof startTestRealtime>>;
beforeAll(async () => {
  ctx = await startTestRealtime();
});
afterAll(async () => {
  await ctx?.stop();
});

describe("health page figures", () => {
  it("counts sockets, messages and their delivery and ack times, and shows them to admins only", async () => {
    const { db, realtime, port } = ctx;
    const [admin, alice, bob] = await Promise.all([
      seedUser(db, { role: "admin" }),
      seedUser(db, { name: "Alice" }),
      seedUser(db, { name: "Bob" }),
    ]);
    const adminActor: TActor = { userId: admin.id, role: admin.role };
    const channel = await seedChannel(db, { createdById: alice.id, memberIds: [bob.id] });
    const token = async (userId: string) =>
      (await createAccessToken(db, { userId, role: "member" }, { name: "health" })).token;

    await realtime.opsStats.flush();
    const before = await readOperationsHealth(adminActor);
    const a = await TestClient.connectWithToken(port, await token(alice.id));
    const b = await TestClient.connectWithToken(port, await token(bob.id));
    for (let i = 0; i < 3; i++) {
      a.send({
        type: "send",
        id: `s${i}`,
        conversationId: channel.id,
        clientMsgId: randomUUID(),
        body: `m${i}`,
      });
    }
    await a.waitFor((f) => f.type === "ack", 3);
    await b.waitFor((f) => f.type === "event" && f.kind === "message.created", 3);
    await realtime.opsStats.flush();
    const during = await readOperationsHealth(adminActor);

    expect(during.connections - before.connections).toBe(2);
    expect(during.processes.map((p) => p.role)).toContain("web + gateway");
    expect(during.lastHour.sent - before.lastHour.sent).toBe(3);
    expect(during.ack.count - before.ack.count).toBe(3);
    // One bus message per event on this gateway (send→deliver is timed per event, not per socket).
    expect(during.deliver.count - before.deliver.count).toBeGreaterThanOrEqual(3);
    for (const figures of [during.ack, during.deliver]) {
      expect(figures.p50Ms).not.toBeNull();
      expect(figures.p99Ms!).toBeGreaterThanOrEqual(figures.p50Ms!);
    }
    // The minute-by-minute series adds up to the hour's total.
    expect(during.minutes.reduce((sum, m) => sum + m.messages, 0)).toBe(during.lastHour.sent);

    await Promise.all([a.close(), b.close()]);
    await realtime.opsStats.flush();
    expect((await readOperationsHealth(adminActor)).connections).toBe(before.connections);

    await expect(readOperationsHealth({ userId: alice.id, role: "member" })).rejects.toSatisfy(
      (err) => err instanceof ParleyError && err.code === "FORBIDDEN",
    );
  });
});
