/**
 * Issue 9 over the socket. Defect 5: every command taking an id answers an id the caller cannot
 * read exactly like an unknown one. Defect 6: a resend of an old clientMsgId re-checks membership
 * and acks with the message's identity only. Defect 10: `sync` takes at most MAX_SYNC_CURSORS
 * cursors, and answers unknown and unreadable ones in one `notFound` list no larger than the question.
 */
import { randomUUID } from "node:crypto";
import { addReaction, createChannel, openDm, removeMember, sendMessage } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedUser } from "@parley/db/seed";
import { ErrorCode, MAX_SYNC_CURSORS, type TServerEvent } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionTicket, settle, startTestRealtime, TestClient } from "./test-helpers.ts";

let db: TDb;
let port: number;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ db, port, stop } = await startTestRealtime());
});

afterAll(async () => {
  await stop?.();
});

const actorOf = (u: { id: string; role: "owner" | "admin" | "member" | "guest" }) => ({
  userId: u.id,
  role: u.role,
});

/** Sends one command and returns the next frame answering it (by id, or the next error for typing). */
async function answer(socket: TestClient, command: Record<string, unknown>): Promise<TServerEvent> {
  const before = socket.frames.length;
  socket.send(command);
  const id = command.id;
  const [frame] = await socket.waitFor(
    (f) =>
      socket.frames.indexOf(f) >= before &&
      (id === undefined ? f.type === "error" : "id" in f && f.id === id),
  );
  return frame as TServerEvent;
}

describe("socket commands: unreadable ids answer like unknown ones (issue 9, defect 5)", () => {
  it("answers send, markRead, typing, sync and delivered alike for unreadable and unknown conversations", async () => {
    const [ada, carol, dave, eve, bob] = await Promise.all(
      ["Ada", "Carol", "Dave", "Eve", "Bob"].map((name) => seedUser(db, { name })),
    );
    const asAda = actorOf(ada!);
    const priv = await createChannel(db, asAda, {
      name: `secret-${randomUUID().slice(0, 8)}`,
      isPrivate: true,
      memberIds: [carol!.id, bob!.id],
    });
    const dm = await openDm(db, asAda, { userIds: [carol!.id] });
    const group = await openDm(db, asAda, { userIds: [carol!.id, dave!.id] });
    const open = await createChannel(db, asAda, {
      name: `open-${randomUUID().slice(0, 8)}`,
      memberIds: [eve!.id, bob!.id],
    });
    const roots: Record<string, string> = {};
    for (const c of [priv, dm, group]) {
      const sent = await sendMessage(db, asAda, {
        conversationId: c.id,
        clientMsgId: randomUUID(),
        body: "root",
      });
      roots[c.id] = sent.message.id;
    }
    await removeMember(db, asAda, { conversationId: priv.id, userId: bob!.id });

    const commands: ((conversationId: string, rootId: string, n: number) => Record<string, unknown>)[] = [
      (c, _r, n) => ({ type: "send", id: `s${n}`, conversationId: c, clientMsgId: randomUUID(), body: "hi" }),
      (_c, r, n) => ({
        type: "send",
        id: `r${n}`,
        conversationId: open.id,
        clientMsgId: randomUUID(),
        body: "re",
        threadRootId: r,
      }),
      (c, _r, n) => ({ type: "markRead", id: `m${n}`, conversationId: c, seq: 1 }),
      (c) => ({ type: "typing", conversationId: c }),
      (c, _r, n) => ({ type: "sync", id: `y${n}`, cursors: { [c]: 0 } }),
      (c, _r, n) => ({ type: "delivered", id: `d${n}`, cursors: { [c]: 1 } }),
    ];
    let n = 0;
    for (const who of [eve!, bob!]) {
      const socket = await TestClient.connect(port, await sessionTicket(db, who.id));
      for (const target of [priv, dm, group]) {
        for (const make of commands) {
          n += 1;
          const unknownId = randomUUID();
          const unreadable = await answer(socket, make(target.id, roots[target.id]!, n));
          const unknown = await answer(socket, make(unknownId, randomUUID(), n));
          // Identical once the ids the caller itself sent are blanked out.
          const blank = (f: TServerEvent, id: string) => JSON.stringify(f).replaceAll(id, "<id>");
          expect
            .soft(blank(unreadable, target.id), `${JSON.stringify(make(target.id, "r", n))} by ${who.name}`)
            .toBe(blank(unknown, unknownId));
          if (unknown.type === "error") expect.soft(unknown.code).toBe(ErrorCode.NotFound);
          else if (unknown.type === "ack") expect.soft(unknown).toEqual({ type: "ack", id: `d${n}` });
          else
            expect.soft(unknown).toMatchObject({ type: "synced", conversations: [], notFound: [unknownId] });
        }
      }
      await socket.close();
    }
  });
});

describe("resending an old clientMsgId over the socket (issue 9, defect 6)", () => {
  it("acks with the identity only while a member, and answers like an unknown conversation once removed", async () => {
    const [ada, bob] = await Promise.all(["Ada", "Bob"].map((name) => seedUser(db, { name })));
    const priv = await createChannel(db, actorOf(ada!), {
      name: `p-${randomUUID().slice(0, 8)}`,
      isPrivate: true,
      memberIds: [bob!.id],
    });
    const socket = await TestClient.connect(port, await sessionTicket(db, bob!.id));
    const clientMsgId = randomUUID();
    const send = (id: string) => ({ type: "send", id, conversationId: priv.id, clientMsgId, body: "mine" });
    const first = await answer(socket, send("a1"));
    expect(first).toMatchObject({ type: "ack", clientMsgId });
    await addReaction(db, actorOf(ada!), {
      messageId: (first as { messageId: string }).messageId,
      emoji: "👍",
    });
    const again = await answer(socket, send("a2"));
    expect(again).toEqual({ ...first, id: "a2" });
    expect(Object.keys(again).sort()).toEqual(["clientMsgId", "id", "messageId", "seq", "type"]);

    await removeMember(db, actorOf(ada!), { conversationId: priv.id, userId: bob!.id });
    const removed = await answer(socket, send("a3"));
    const unknown = await answer(socket, {
      type: "send",
      id: "a3",
      conversationId: randomUUID(),
      clientMsgId: randomUUID(),
      body: "mine",
    });
    expect(removed).toEqual(unknown);
    expect(removed).toMatchObject({ type: "error", code: ErrorCode.NotFound });
    await socket.close();
  });
});

describe("sync amplification (issue 9, defect 10)", () => {
  it("answers MAX_SYNC_CURSORS unknown cursors with one list no larger than the request", async () => {
    const user = await seedUser(db);
    const socket = await TestClient.connect(port, await sessionTicket(db, user.id));
    const cursors: Record<string, number> = {};
    for (let i = 0; i < MAX_SYNC_CURSORS; i++) cursors[randomUUID()] = 0;
    const request = JSON.stringify({ type: "sync", id: "big", cursors });
    const synced = await answer(socket, JSON.parse(request) as Record<string, unknown>);
    expect(synced).toMatchObject({ type: "synced", id: "big", conversations: [] });
    expect((synced as { notFound?: string[] }).notFound).toEqual(Object.keys(cursors));
    expect(JSON.stringify(synced).length).toBeLessThanOrEqual(request.length);
    await socket.close();
  });

  it("refuses more than MAX_SYNC_CURSORS cursors with one INVALID_FIELDS naming cursors, replaying nothing", async () => {
    const user = await seedUser(db);
    const socket = await TestClient.connect(port, await sessionTicket(db, user.id));
    const cursors: Record<string, number> = {};
    for (let i = 0; i <= MAX_SYNC_CURSORS; i++) cursors[randomUUID()] = 0;
    const refused = await answer(socket, { type: "sync", id: "huge", cursors });
    expect(refused).toMatchObject({
      type: "error",
      id: "huge",
      code: ErrorCode.InvalidFields,
      issues: [{ path: "cursors", message: expect.stringMatching(/at most 5000 cursors/) }],
    });
    expect((refused as { issues: unknown[] }).issues).toHaveLength(1);
    // hello carries the same cursors and has the same cap.
    const hello = await answer(socket, { type: "hello", protocolVersion: 1, cursors });
    expect(hello).toMatchObject({
      type: "error",
      code: ErrorCode.InvalidFields,
      issues: [{ path: "cursors" }],
    });
    await settle(100);
    expect(socket.of("synced")).toHaveLength(0);
    await socket.close();
  });
});
