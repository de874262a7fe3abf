import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUniqueViolation } from "./index.ts";
import { seedChannel, seedMessages, seedUser, seedWorkspace } from "./seed.ts";
import { createTestDb, type TTestDb } from "./testing.ts";

let t: TTestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.drop();
});

describe("seeders", () => {
  it("appends messages with consecutive seqs and bumps lastSeq", async () => {
    await seedWorkspace(t.db, { name: "Test" });
    const alice = await seedUser(t.db);
    const bob = await seedUser(t.db);
    const channel = await seedChannel(t.db, { createdById: alice.id, memberIds: [bob.id] });

    const first = await seedMessages(t.db, { conversationId: channel.id, senderId: alice.id, count: 5 });
    const second = await seedMessages(t.db, {
      conversationId: channel.id,
      senderId: [alice.id, bob.id],
      count: 3,
    });
    expect(first.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(second.map((m) => m.seq)).toEqual([6, 7, 8]);
    expect(second.map((m) => m.senderId)).toEqual([alice.id, bob.id, alice.id]);

    const events = await t.db.event.findMany({
      where: { conversationId: channel.id },
      orderBy: { seq: "asc" },
    });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events.every((e) => e.kind === "message.created")).toBe(true);
    const conversation = await t.db.conversation.findUniqueOrThrow({ where: { id: channel.id } });
    expect(conversation.lastSeq).toBe(8);
  });

  it("keeps seqs gap-free when seeders run concurrently on one conversation", async () => {
    const user = await seedUser(t.db);
    const channel = await seedChannel(t.db, { createdById: user.id, memberIds: [] });
    await Promise.all(
      Array.from({ length: 4 }, () =>
        seedMessages(t.db, { conversationId: channel.id, senderId: user.id, count: 25 }),
      ),
    );
    const seqs = (
      await t.db.message.findMany({ where: { conversationId: channel.id }, orderBy: { seq: "asc" } })
    ).map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it("makes the creator a channel owner and gives DMs a dmKey instead of a name", async () => {
    const a = await seedUser(t.db);
    const b = await seedUser(t.db);
    const dm = await seedChannel(t.db, { kind: "dm", createdById: a.id, memberIds: [b.id] });
    expect(dm.name).toBeNull();
    expect(dm.dmKey).toBe([a.id, b.id].sort().join(","));
    const channel = await seedChannel(t.db, { createdById: a.id, memberIds: [b.id] });
    const owner = await t.db.membership.findUniqueOrThrow({
      where: { conversationId_userId: { conversationId: channel.id, userId: a.id } },
    });
    expect(owner.role).toBe("owner");
  });

  it("reports duplicate e-mails as a unique violation on email", async () => {
    const user = await seedUser(t.db);
    const error = await seedUser(t.db, { email: user.email }).catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(error, ["email"])).toBe(true);
    expect(isUniqueViolation(error, ["name"])).toBe(false);
    expect(isUniqueViolation(new Error("nope"))).toBe(false);
  });

  it("reports a repeated clientMsgId as a unique violation on (senderId, clientMsgId)", async () => {
    const user = await seedUser(t.db);
    const channel = await seedChannel(t.db, { createdById: user.id, memberIds: [] });
    const [message] = await seedMessages(t.db, { conversationId: channel.id, senderId: user.id, count: 1 });
    const error = await t.db.message
      .create({
        data: {
          conversationId: channel.id,
          seq: 999,
          senderId: user.id,
          clientMsgId: message!.clientMsgId,
          body: "again",
        },
      })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(error, ["clientMsgId", "senderId"])).toBe(true);
    expect(isUniqueViolation(error, ["conversationId", "seq"])).toBe(false);
  });
});
