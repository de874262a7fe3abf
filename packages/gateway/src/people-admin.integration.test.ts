/**
 * What Settings → People does to open sockets (issue 13), with startRealtime in its production
 * shape: deactivation closes every socket of the person within 5 s; a role change reaches their
 * sockets at once as `user.role_changed`; a guest removed from a channel stops receiving it.
 */
import { randomUUID } from "node:crypto";
import {
  changeRole,
  createAccessToken,
  createChannel,
  deactivateUser,
  removeMember,
  sendMessage,
  type TActor,
} from "@parley/core";
import { seedUser } from "@parley/db/seed";
import { CloseCode, EventKind, UserEventKind } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { sessionTicket, settle, startTestRealtime, TestClient } from "./test-helpers.ts";

let env: Awaited<ReturnType<typeof startTestRealtime>>;
beforeAll(async () => {
  env = await startTestRealtime();
});
afterAll(async () => {
  await env?.stop();
});

async function person(role: TActor["role"] = "member"): Promise<TActor> {
  const user = await seedUser(env.db, { role });
  return { userId: user.id, role: user.role };
}

/** Resolves with the close, or rejects when it has not come within `ms`. */
function closedWithin(client: TestClient, ms: number): Promise<{ code: number }> {
  return Promise.race([
    client.closed,
    new Promise<never>((_resolve, reject) =>
      setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms),
    ),
  ]);
}

describe("people admin and open sockets", () => {
  it("deactivating someone closes every socket of theirs (sessions and tokens) within 5 s; others stay", async () => {
    const admin = await person("admin");
    const carl = await person();
    const bystander = await person();
    const { token } = await createAccessToken(env.db, carl, { name: "bot" });
    const viaSession = await TestClient.connect(env.port, await sessionTicket(env.db, carl.userId));
    const viaToken = await TestClient.connectWithToken(env.port, token);
    const other = await TestClient.connect(env.port, await sessionTicket(env.db, bystander.userId));

    await deactivateUser(env.db, admin, { userId: carl.userId });

    const [a, b] = await Promise.all([closedWithin(viaSession, 5_000), closedWithin(viaToken, 5_000)]);
    expect([a.code, b.code]).toEqual([CloseCode.Forbidden, CloseCode.Forbidden]);
    // Nor can they come back with what they held.
    const again = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${env.port}/ws?token=${encodeURIComponent(token)}`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => {});
    });
    expect(again).toBe(401);
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    await other.close();
  });

  it("a role change reaches the person's open socket at once", async () => {
    const owner = await person("owner");
    const admin = await person("admin");
    const socket = await TestClient.connect(env.port, await sessionTicket(env.db, admin.userId));
    await changeRole(env.db, owner, { userId: admin.userId, role: "member" });
    const [frame] = await socket.waitFor(
      (f) => f.type === "user.event" && f.kind === UserEventKind.RoleChanged,
    );
    expect(frame).toMatchObject({ payload: { role: "member", previousRole: "admin" } });
    await socket.close();
  });

  it("a guest removed from a channel stops receiving it", async () => {
    const admin = await person("admin");
    const guest = await person("guest");
    const channel = await createChannel(env.db, admin, {
      name: `guests-${randomUUID().slice(0, 8)}`,
      memberIds: [guest.userId],
    });
    const socket = await TestClient.connect(env.port, await sessionTicket(env.db, guest.userId));
    const say = (body: string) =>
      sendMessage(env.db, admin, { conversationId: channel.id, clientMsgId: randomUUID(), body });
    const created = (f: { type: string; kind?: string; conversationId?: string }) =>
      f.type === "event" && f.kind === EventKind.MessageCreated && f.conversationId === channel.id;

    await say("before");
    await socket.waitFor(created);
    await removeMember(env.db, admin, { conversationId: channel.id, userId: guest.userId });
    await socket.waitFor((f) => f.type === "user.event" && f.kind === UserEventKind.ConversationRemoved);
    await say("after");
    await settle();
    expect(socket.frames.filter(created)).toHaveLength(1);
    await socket.close();
  });
});
