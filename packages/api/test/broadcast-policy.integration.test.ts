/**
 * The broadcast policy over the real router and HTTP adapter: only admins may change it (checked
 * on the server), its input is validated, any signed-in user may read it, and a refused
 * @channel send or edit answers FORBIDDEN with `data.reason` BROADCAST_RESTRICTED.
 */
import { randomUUID } from "node:crypto";
import { createChannel } from "@parley/core";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { ErrorReason } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode, postTrpc, sessionFor, testEnv } from "./helpers.ts";

let t: TTestDb;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "Broadcasts" });
});
afterAll(async () => {
  await t?.drop();
});

const session = (role: "admin" | "member" | "owner") => sessionFor(t.db, role);
const post = (procedure: string, input: unknown, sessionId: string) =>
  postTrpc(t.db, procedure, input, sessionId);

const stored = () =>
  t.db.workspace.findUniqueOrThrow({
    where: { id: 1 },
    select: { broadcastPolicy: true, broadcastThreshold: true },
  });

describe("workspace.broadcastPolicy / setBroadcastPolicy", () => {
  it("lets any signed-in user read the policy, and no one signed out", async () => {
    const member = await session("member");
    expect(await member.caller.workspace.broadcastPolicy()).toEqual({ policy: "everyone", threshold: 5 });
    const anonymous = createCaller(await createContext({ db: t.db, env: testEnv() }));
    await expectCode(anonymous.workspace.broadcastPolicy(), "UNAUTHORIZED");
  });

  it("refuses members (FORBIDDEN) and changes nothing; admins and owners may set it", async () => {
    const member = await session("member");
    await expectCode(
      member.caller.workspace.setBroadcastPolicy({ policy: "admins", threshold: 1 }),
      "FORBIDDEN",
    );
    // Over HTTP too, as the settings page would call it.
    const http = await post(
      "workspace.setBroadcastPolicy",
      { policy: "admins", threshold: 1 },
      member.sessionId,
    );
    expect(http.status).toBe(403);
    expect(await stored()).toEqual({ broadcastPolicy: "everyone", broadcastThreshold: 5 });

    const admin = await session("admin");
    expect(await admin.caller.workspace.setBroadcastPolicy({ policy: "admins", threshold: 20 })).toEqual({
      policy: "admins",
      threshold: 20,
    });
    expect(await stored()).toEqual({ broadcastPolicy: "admins", broadcastThreshold: 20 });
    const owner = await session("owner");
    await owner.caller.workspace.setBroadcastPolicy({ policy: "everyone", threshold: 5 });
    expect(await member.caller.workspace.broadcastPolicy()).toEqual({ policy: "everyone", threshold: 5 });
  });

  it("validates the threshold (a whole number 0…100,000) and the policy, naming the field", async () => {
    const admin = await session("admin");
    for (const [input, field] of [
      [{ policy: "admins", threshold: -1 }, "threshold"],
      [{ policy: "admins", threshold: 100_001 }, "threshold"],
      [{ policy: "admins", threshold: 1.5 }, "threshold"],
      [{ policy: "nobody", threshold: 5 }, "policy"],
    ] as const) {
      const res = await post("workspace.setBroadcastPolicy", input, admin.sessionId);
      expect(res.status, JSON.stringify(input)).toBe(400);
      expect(res.error?.data.fieldErrors).toHaveProperty(field);
    }
    expect(await stored()).toEqual({ broadcastPolicy: "everyone", broadcastThreshold: 5 });
  });
});

describe("a refused broadcast over tRPC", () => {
  it("answers FORBIDDEN with data.reason BROADCAST_RESTRICTED for sends and edits; writes nothing", async () => {
    const owner = await session("owner");
    const member = await session("member");
    const others = await Promise.all(Array.from({ length: 3 }, () => seedUser(t.db)));
    const ch = await createChannel(t.db, member.actor, {
      name: `bc-${randomUUID().slice(0, 8)}`,
      memberIds: others.map((o) => o.id),
    });
    await owner.caller.workspace.setBroadcastPolicy({ policy: "admins", threshold: 3 });
    const lastSeq = (await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } })).lastSeq;
    const sent = await post(
      "messages.send",
      { conversationId: ch.id, clientMsgId: randomUUID(), body: "<!channel> ship it" },
      member.sessionId,
    );
    expect(sent.status).toBe(403);
    expect(sent.error?.data.code).toBe("FORBIDDEN");
    expect(sent.error?.data.reason).toBe(ErrorReason.BroadcastRestricted);
    expect(sent.error?.message).toBe(
      "Only workspace admins can use @channel, @here or @everyone in channels with more than 3 members",
    );
    expect((await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } })).lastSeq).toBe(lastSeq);
    expect(await t.db.message.count({ where: { conversationId: ch.id } })).toBe(0);

    const plain = await member.caller.messages.send({
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "hi",
    });
    const edited = await post(
      "messages.edit",
      { messageId: plain.message.id, body: "hi <!here>" },
      member.sessionId,
    );
    expect(edited.status).toBe(403);
    expect(edited.error?.data.reason).toBe(ErrorReason.BroadcastRestricted);

    // Other refusals carry no reason.
    const outsider = await session("member");
    const other = await post(
      "messages.edit",
      { messageId: plain.message.id, body: "mine now" },
      outsider.sessionId,
    );
    expect(other.status).toBe(403);
    expect(other.error?.data.reason).toBeNull();
    await owner.caller.workspace.setBroadcastPolicy({ policy: "everyone", threshold: 5 });
  });
});
