/**
 * The broadcast policy on the socket (startRealtime, as in production; sends take the group
 * commit): a `send` frame with @channel that the policy refuses gets an `error` frame with its id,
 * FORBIDDEN and reason BROADCAST_RESTRICTED, stores nothing, and the connection keeps working; the
 * SDK fails such a message at once with the reason (no retries) and sends the next one.
 */
import { ParleyClient, ParleySendError, type TClientOptions } from "@parley/client";
import { sendBatchStats, setBroadcastPolicy } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, type TSeededUser } from "@parley/db/seed";
import { ErrorCode, ErrorReason, type TServerEvent } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { sessionTicket, startTestRealtime, TestClient, until } from "./test-helpers.ts";

let db: TDb;
let port: number;
let stop: () => Promise<void>;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  ({ db, port, stop } = await startTestRealtime());
  const admin = await seedUser(db, { role: "admin" });
  await setBroadcastPolicy(db, { userId: admin.id, role: admin.role }, { policy: "admins", threshold: 2 });
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await stop?.();
});

/** A channel of `member` and three others (above the threshold of 2). */
async function largeChannel(member: TSeededUser): Promise<string> {
  const others = await Promise.all(Array.from({ length: 3 }, () => seedUser(db)));
  const ch = await seedChannel(db, { createdById: member.id, memberIds: others.map((o) => o.id) });
  return ch.id;
}

let frameNo = 0;

async function answerTo(socket: TestClient, conversationId: string, body: string): Promise<TServerEvent> {
  const id = `b${++frameNo}`;
  socket.send({ type: "send", id, clientMsgId: crypto.randomUUID(), conversationId, body });
  const [answer] = await socket.waitFor((f) => (f.type === "error" || f.type === "ack") && f.id === id);
  if (!answer) throw new Error("unreachable");
  return answer;
}

describe("a restricted broadcast on the socket", () => {
  it("answers the send frame with FORBIDDEN / BROADCAST_RESTRICTED, stores nothing, and the socket keeps working", async () => {
    const member = await seedUser(db, { name: "Mia" });
    const channelId = await largeChannel(member);
    const socket = await TestClient.connect(port, await sessionTicket(db, member.id));
    try {
      const batchedBefore = sendBatchStats(db)?.sends ?? 0;
      const lastSeq = (await db.conversation.findUniqueOrThrow({ where: { id: channelId } })).lastSeq;
      const refused = await answerTo(socket, channelId, "<!channel> lunch?");
      expect(refused).toMatchObject({
        type: "error",
        code: ErrorCode.Forbidden,
        reason: ErrorReason.BroadcastRestricted,
        message:
          "Only workspace admins can use @channel, @here or @everyone in channels with more than 2 members",
      });
      expect(sendBatchStats(db)?.sends ?? 0).toBeGreaterThan(batchedBefore);
      expect((await db.conversation.findUniqueOrThrow({ where: { id: channelId } })).lastSeq).toBe(lastSeq);
      expect(await db.message.count({ where: { conversationId: channelId } })).toBe(0);

      // The same socket goes on: the text without the broadcast is stored.
      expect(await answerTo(socket, channelId, "lunch?")).toMatchObject({ type: "ack", seq: lastSeq + 1 });
      expect(socket.ws.readyState).toBe(WebSocket.OPEN);
      // An admin on their own socket may broadcast there (the control).
      const admin = await seedUser(db, { role: "admin" });
      await db.membership.create({ data: { conversationId: channelId, userId: admin.id } });
      const adminSocket = await TestClient.connect(port, await sessionTicket(db, admin.id));
      expect(await answerTo(adminSocket, channelId, "<!channel> lunch!")).toMatchObject({ type: "ack" });
      await adminSocket.close();
    } finally {
      await socket.close();
    }
  });

  it("the SDK fails the message at once with the reason, keeps its text, and sends the next", async () => {
    const member = await seedUser(db, { name: "Sam" });
    const channelId = await largeChannel(member);
    const client = new ParleyClient({
      url: async () => `ws://127.0.0.1:${port}/ws?ticket=${await sessionTicket(db, member.id)}`,
      WebSocket: WebSocket as unknown as TClientOptions["WebSocket"],
      backoff: { baseMs: 50, maxMs: 200 },
      maxSendRetries: 5,
      sendBackoff: { baseMs: 20, maxMs: 100 },
    });
    clients.push(client);
    client.connect();
    await until(() => client.state === "open");
    const refused = client.send(channelId, "<!here> standup");
    const next = client.send(channelId, "standup");
    const err = await refused.promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ParleySendError);
    expect(err).toMatchObject({ code: ErrorCode.Forbidden, reason: ErrorReason.BroadcastRestricted });
    const entry = client.getOutbox().find((e) => e.clientMsgId === refused.clientMsgId);
    expect(entry).toMatchObject({
      status: "failed",
      body: "<!here> standup",
      attempts: 1,
      error: { code: ErrorCode.Forbidden, reason: ErrorReason.BroadcastRestricted },
    });
    const { seq } = await next.promise;
    const stored = await db.message.findMany({
      where: { conversationId: channelId },
      select: { body: true, seq: true },
    });
    expect(stored).toEqual([{ body: "standup", seq }]);
  });
});
