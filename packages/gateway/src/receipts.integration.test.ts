/**
 * Read receipts over the real gateway (startRealtime: memory engine, event sink and receipt
 * relay installed as in production): `delivered` reports and `markRead` on one member's socket
 * become coalesced `receipts` frames on the other members' sockets — never on a non-member's, and
 * without read cursors for users who turned receipts off.
 */
import { sendMessage, setSendReadReceipts } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedChannel, seedUser, type TSeededUser } from "@parley/db/seed";
import type { TReceiptsFrame, TServerEvent } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionTicket, startTestRealtime, TestClient } from "./test-helpers.ts";

let db: TDb;
let port: number;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ db, port, stop } = await startTestRealtime());
});

afterAll(async () => {
  await stop?.();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const isReceipts = (f: TServerEvent): f is TReceiptsFrame => f.type === "receipts";
const actor = (u: TSeededUser) => ({ userId: u.id, role: u.role });

async function setUp() {
  const [alice, bob, eve] = await Promise.all(["Alice", "Bob", "Eve"].map((name) => seedUser(db, { name })));
  const dm = await seedChannel(db, { kind: "dm", createdById: alice!.id, memberIds: [bob!.id] });
  const socket = async (u: TSeededUser) => TestClient.connect(port, await sessionTicket(db, u.id));
  const [a, b, e] = await Promise.all([socket(alice!), socket(bob!), socket(eve!)]);
  const send = async (body: string) =>
    (
      await sendMessage(db, actor(alice!), {
        conversationId: dm.id,
        clientMsgId: crypto.randomUUID(),
        body,
      })
    ).message.seq;
  return { alice: alice!, bob: bob!, eve: eve!, dm, a, b, e, send };
}

describe("receipts over the gateway", () => {
  it("moves sent → delivered → seen on the sender's socket, and tells a non-member nothing", async () => {
    const { bob, eve, dm, a, b, e, send } = await setUp();
    const seq = await send("hi Bob");

    b.send({ type: "delivered", id: "d1", cursors: { [dm.id]: seq } });
    await b.waitFor((f) => f.type === "ack" && f.id === "d1");
    const [delivered] = (await a.waitFor(isReceipts)) as TReceiptsFrame[];
    expect(delivered).toEqual({
      type: "receipts",
      conversationId: dm.id,
      cursors: [{ userId: bob.id, deliveredSeq: seq }],
    });
    expect(
      (await db.membership.findFirstOrThrow({ where: { conversationId: dm.id, userId: bob.id } }))
        .deliveredSeq,
    ).toBe(seq);

    b.send({ type: "markRead", id: "r1", conversationId: dm.id, seq });
    const seen = (await a.waitFor(isReceipts, 2)) as TReceiptsFrame[];
    expect(seen[1]!.cursors).toEqual([{ userId: bob.id, deliveredSeq: seq, readSeq: seq }]);

    // Eve is not in the DM: her report is acked like any other and changes nothing.
    e.send({ type: "delivered", id: "d2", cursors: { [dm.id]: seq } });
    await e.waitFor((f) => f.type === "ack" && f.id === "d2");
    await sleep(800);
    expect(
      a
        .of("receipts")
        .flatMap((f) => f.cursors)
        .some((c) => c.userId === eve.id),
    ).toBe(false);
    expect(e.of("receipts")).toEqual([]);
    expect(await db.membership.count({ where: { conversationId: dm.id, userId: eve.id } })).toBe(0);
  });

  it("coalesces a burst of read marks into a few frames", async () => {
    const { dm, a, b, send } = await setUp();
    let seq = 0;
    for (let i = 0; i < 30; i++) seq = await send(`m${i}`);
    await a.waitFor((f) => f.type === "event" && f.seq === seq);
    const started = Date.now();
    for (let s = 1; s <= seq; s++) b.send({ type: "markRead", id: `r${s}`, conversationId: dm.id, seq: s });
    await b.waitFor((f) => f.type === "ack" && f.id === `r${seq}`);
    const elapsed = Date.now() - started;
    const frames = (await a.waitFor(
      (f) => isReceipts(f) && f.cursors[0]?.readSeq === seq,
    )) as TReceiptsFrame[];
    const all = a.of("receipts");
    // 500 ms windows: at most one frame per window that saw a move (plus the last), never one per mark.
    expect(all.length).toBeLessThanOrEqual(Math.ceil(elapsed / 500) + 2);
    expect(all.length).toBeLessThan(seq);
    expect(frames).toHaveLength(1);
  });

  it("sends no read cursor of a user who turned receipts off, and none to them", async () => {
    const { alice, bob, dm, a, b, send } = await setUp();
    await setSendReadReceipts(db, actor(bob), { enabled: false });
    const seq = await send("are you there?");
    b.send({ type: "markRead", id: "r1", conversationId: dm.id, seq });
    const [toAlice] = (await a.waitFor(isReceipts)) as TReceiptsFrame[];
    // Delivered still shows (reading implies it); the read cursor does not.
    expect(toAlice!.cursors).toEqual([{ userId: bob.id, deliveredSeq: seq }]);
    // Alice reads: Bob, opted out, is not told.
    await b.waitFor((f) => f.type === "event" && f.seq === seq);
    a.send({ type: "markRead", id: "r2", conversationId: dm.id, seq });
    await a.waitFor((f) => f.type === "ack" && f.id === "r2");
    await sleep(800);
    const toBob = b.of("receipts").flatMap((f) => f.cursors);
    expect(toBob.filter((c) => c.userId === alice.id && c.readSeq !== undefined)).toEqual([]);
  });
});
