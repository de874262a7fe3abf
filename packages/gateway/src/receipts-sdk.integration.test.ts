/**
 * The SDK's side of read receipts against the real gateway (startRealtime: relay installed): a
 * client that receives another member's DM message reports it by itself (`delivered`, batched),
 * the sender's client hears `receipts`, and a report held while offline goes out after reconnecting.
 */
import { ParleyClient, type TClientOptions } from "@parley/client";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, type TSeededUser } from "@parley/db/seed";
import type { TReceiptCursor } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { sessionTicket, startTestRealtime, until } from "./test-helpers.ts";

let db: TDb;
let port: number;
let stop: () => Promise<void>;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  ({ db, port, stop } = await startTestRealtime());
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await stop?.();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function clientFor(user: TSeededUser, options: Partial<TClientOptions> = {}): ParleyClient {
  const client = new ParleyClient({
    url: async () => `ws://127.0.0.1:${port}/ws?ticket=${await sessionTicket(db, user.id)}`,
    WebSocket: WebSocket as unknown as TClientOptions["WebSocket"],
    backoff: { baseMs: 50, maxMs: 200 },
    deliveryReportMs: 100,
    ...options,
  });
  clients.push(client);
  return client;
}

async function deliveredSeq(conversationId: string, userId: string): Promise<number> {
  const m = await db.membership.findFirstOrThrow({ where: { conversationId, userId } });
  return m.deliveredSeq;
}

describe("the SDK and read receipts", () => {
  it("reports a received DM message by itself; the sender's client hears delivered, then seen", async () => {
    const [alice, bob] = await Promise.all(["Alice", "Bob"].map((name) => seedUser(db, { name })));
    const dm = await seedChannel(db, { kind: "dm", createdById: alice!.id, memberIds: [bob!.id] });
    const a = clientFor(alice!);
    const b = clientFor(bob!);
    const heard: TReceiptCursor[] = [];
    a.on("receipts", (frame) => heard.push(...frame.cursors));
    a.track(dm.id, 0);
    b.track(dm.id, 0);
    a.connect();
    b.connect();
    await until(() => a.state === "open" && b.state === "open");
    const { promise } = a.send(dm.id, "hello");
    const { seq } = await promise;
    await until(() => heard.some((c) => c.userId === bob!.id && c.deliveredSeq === seq));
    expect(await deliveredSeq(dm.id, bob!.id)).toBe(seq);
    expect(heard.some((c) => c.readSeq !== undefined)).toBe(false);
    b.markRead(dm.id, seq);
    await until(() => heard.some((c) => c.userId === bob!.id && c.readSeq === seq));
  });

  it("holds a report while offline and sends it after reconnecting; reportDelivery: false sends none", async () => {
    const [alice, bob, cy] = await Promise.all(["Alice", "Bob", "Cy"].map((name) => seedUser(db, { name })));
    const dm = await seedChannel(db, {
      kind: "group_dm",
      createdById: alice!.id,
      memberIds: [bob!.id, cy!.id],
    });
    const b = clientFor(bob!, { deliveryReportMs: 300 });
    const c = clientFor(cy!, { reportDelivery: false });
    b.track(dm.id, 0);
    c.track(dm.id, 0);
    b.connect();
    c.connect();
    await until(() => b.state === "open" && c.state === "open");
    const a = clientFor(alice!);
    a.connect();
    await until(() => a.state === "open");
    const { seq } = await a.send(dm.id, "group hello").promise;
    await until(() => b.cursor(dm.id) === seq && c.cursor(dm.id) === seq);
    // Bob goes offline before his report leaves; it must go out once he is back.
    b.disconnect("test");
    await sleep(500);
    expect(await deliveredSeq(dm.id, bob!.id)).toBe(0);
    b.connect();
    await until(() => b.state === "open");
    const deadline = Date.now() + 5_000;
    while ((await deliveredSeq(dm.id, bob!.id)) !== seq && Date.now() < deadline) await sleep(50);
    expect(await deliveredSeq(dm.id, bob!.id)).toBe(seq);
    // Cy's client never reports.
    expect(await deliveredSeq(dm.id, cy!.id)).toBe(0);
  });
});
