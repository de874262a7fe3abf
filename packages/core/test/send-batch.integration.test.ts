/**
 * Group commit (core/src/messages/send-batch.ts) against real Postgres: concurrent sends share
 * statements yet keep every single-send guarantee — gapless per-conversation seqs in submission
 * order, exactly one message per (sender, clientMsgId) even when two clients race, per-send
 * refusals that do not fail their neighbours, thread counters and mentions as for one send, and a
 * payload built in SQL that decodes with the protocol's schema to what the JS constructor builds.
 */
import { randomUUID } from "node:crypto";
import { SEND_BATCH_GATHER_AFTER } from "@parley/config";
import { createDb, sqlPool, type TSqlPool } from "@parley/db";
import { decodeEventPayload, EventKind } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import { archiveConversation, createChannel } from "../src/conversations.ts";
import { getEventSink, setEventSink, type TConversationEventRecord } from "../src/events.ts";
import { sendBatchStats, sendMessage } from "../src/messages/send.ts";
import { SendBatcher, type TSendBatchingOptions } from "../src/messages/send-batch.ts";
import { getThread } from "../src/messages.ts";
import { channelName, expectParley, newActor, stored, useTestDb } from "./helpers.ts";

const t = useTestDb();

/** A public channel with `n` members besides its creator (all returned as actors). */
async function channelWith(n: number) {
  const owner = await newActor(t.db);
  const members = await Promise.all(Array.from({ length: n }, () => newActor(t.db)));
  const ch = await createChannel(t.db, owner, {
    name: channelName("gc"),
    isPrivate: false,
    memberIds: members.map((m) => m.userId),
  });
  return { ch, owner, members };
}

/**
 * The file's pool wrapped: records when each statement starts (and its number of sends), and holds
 * the first statement (as if it waited on a lock) until `release()`.
 */
function holdingFirstStatement() {
  const pool = sqlPool(t.db) as TSqlPool;
  const started: { size: number; at: number }[] = [];
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const watched = {
    query: async (config: { name: string; text: string; values: unknown[] }) => {
      started.push({ size: (config.values[2] as string[]).length, at: performance.now() });
      if (started.length === 1) await held;
      return pool.query(config);
    },
  } as unknown as TSqlPool;
  return { watched, started, release: () => release() };
}

/** A batcher on `holdingFirstStatement`'s pool; `send(r, body)` sends into `rooms[r]` as its member. */
function heldBatcher(rooms: Awaited<ReturnType<typeof channelWith>>[], options: TSendBatchingOptions) {
  const { watched, started, release } = holdingFirstStatement();
  const batcher = new SendBatcher(t.db, watched, options);
  const send = (r: number, body: string) =>
    batcher.submit(rooms[r]!.members[0]!, {
      conversationId: rooms[r]!.ch.id,
      clientMsgId: randomUUID(),
      body,
    });
  return { send, started, release };
}

/**
 * Each pushed event's stored payload is what was pushed (JSON-wise, key order aside), and the
 * payload built in SQL is one the clients' schema reads, to the value core built in JS.
 */
async function expectStoredAsPushed(conversationId: string, pushed: readonly TConversationEventRecord[]) {
  for (const event of pushed) {
    const row = await t.db.event.findUniqueOrThrow({
      where: { conversationId_seq: { conversationId, seq: event.seq } },
      select: { payload: true },
    });
    expect(row.payload).toEqual(JSON.parse(JSON.stringify(event.payload)));
    expect(decodeEventPayload(EventKind.MessageCreated, row.payload)).toStrictEqual(event.payload);
  }
}

describe("group commit", () => {
  it("stores concurrent sends in shared statements with gapless seqs, in submission order per conversation", async () => {
    const rooms = await Promise.all(Array.from({ length: 4 }, () => channelWith(5)));
    const before = sendBatchStats(t.db)?.batches ?? 0;
    const startSeqs = await t.db.conversation.findMany({
      where: { id: { in: rooms.map((r) => r.ch.id) } },
      select: { id: true, lastSeq: true },
    });
    // 4 rooms × 5 senders × 5 rounds, all submitted in the same tick.
    const sends: { conversationId: string; body: string; promise: ReturnType<typeof sendMessage> }[] = [];
    for (let round = 0; round < 5; round++) {
      for (const [r, room] of rooms.entries()) {
        for (const [m, member] of room.members.entries()) {
          const body = `r${r} m${m} round${round}`;
          sends.push({
            conversationId: room.ch.id,
            body,
            promise: sendMessage(t.db, member, {
              conversationId: room.ch.id,
              clientMsgId: randomUUID(),
              body,
            }),
          });
        }
      }
    }
    const results = await Promise.all(sends.map((s) => s.promise));
    const stats = sendBatchStats(t.db);
    expect(stats).not.toBeNull();
    // 100 sends went out in far fewer statements than sends.
    expect((stats?.batches ?? 0) - before).toBeLessThan(20);

    for (const room of rooms) {
      const start = startSeqs.find((c) => c.id === room.ch.id)?.lastSeq ?? 0;
      const mine = sends
        .map((s, i) => ({ ...s, message: stored(results[i] as Awaited<ReturnType<typeof sendMessage>>) }))
        .filter((s) => s.conversationId === room.ch.id);
      // Seqs follow submission order and are exactly start+1 … start+25 (no gap, no repeat).
      expect(mine.map((s) => s.message.seq)).toEqual(Array.from({ length: 25 }, (_, i) => start + i + 1));
      const rows = await t.db.message.findMany({
        where: { conversationId: room.ch.id, seq: { gt: start } },
        orderBy: { seq: "asc" },
        select: { seq: true, body: true, id: true },
      });
      expect(rows.map((r) => r.body)).toEqual(mine.map((s) => s.body));
      expect(rows.map((r) => r.id)).toEqual(mine.map((s) => s.message.id));
      const events = await t.db.event.findMany({
        where: { conversationId: room.ch.id, seq: { gt: start } },
        orderBy: { seq: "asc" },
        select: { seq: true, kind: true, payload: true },
      });
      expect(events.map((e) => e.seq)).toEqual(rows.map((r) => r.seq));
      expect(events.every((e) => e.kind === "message.created")).toBe(true);
      const conv = await t.db.conversation.findUniqueOrThrow({ where: { id: room.ch.id } });
      expect(conv.lastSeq).toBe(start + 25);
    }
  });

  it("stores one message when the same clientMsgId is sent twice at once, and answers the other as a duplicate", async () => {
    const { ch, members } = await channelWith(1);
    const sender = members[0]!;
    const clientMsgId = randomUUID();
    const input = { conversationId: ch.id, clientMsgId, body: "once" };
    const [a, b] = await Promise.all([sendMessage(t.db, sender, input), sendMessage(t.db, sender, input)]);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(a.message.id).toBe(b.message.id);
    expect(a.message.seq).toBe(b.message.seq);
    expect(await t.db.message.count({ where: { senderId: sender.userId, clientMsgId } })).toBe(1);
  });

  it("stores exactly one message when two processes race the same sends (unique violation → each send alone)", async () => {
    const { ch, members } = await channelWith(3);
    // A second client on the same database has its own pool and batcher, like a second gateway.
    const other = createDb(t.url, { max: 4 });
    try {
      const inputs = members.flatMap((m) =>
        Array.from({ length: 10 }, (_, k) => ({
          actor: m,
          input: { conversationId: ch.id, clientMsgId: randomUUID(), body: `race ${k}` },
        })),
      );
      const results = await Promise.all(
        inputs.flatMap(({ actor, input }) => [
          sendMessage(t.db, actor, input),
          sendMessage(other, actor, input),
        ]),
      );
      for (let k = 0; k < inputs.length; k++) {
        const [x, y] = [results[2 * k]!, results[2 * k + 1]!];
        expect(x.message.id).toBe(y.message.id);
        expect([x.duplicate, y.duplicate].filter((d) => !d)).toHaveLength(1);
      }
      const rows = await t.db.message.findMany({ where: { conversationId: ch.id }, orderBy: { seq: "asc" } });
      expect(rows).toHaveLength(inputs.length);
      const events = await t.db.event.findMany({ where: { conversationId: ch.id }, orderBy: { seq: "asc" } });
      // The log stays dense: every seq from 1 to lastSeq exists once.
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    } finally {
      await other.$disconnect();
    }
  });

  it("refuses one send of a batch (archived, not a member, unknown root) without failing its neighbours", async () => {
    const open = await channelWith(2);
    const archived = await channelWith(1);
    await archiveConversation(t.db, archived.owner, { conversationId: archived.ch.id });
    const stranger = await newActor(t.db);
    const secret = await createChannel(t.db, stranger, { name: channelName("secret"), isPrivate: true });
    const [a, b] = open.members as [(typeof open.members)[0], (typeof open.members)[0]];
    const start = (await t.db.conversation.findUniqueOrThrow({ where: { id: open.ch.id } })).lastSeq;

    const settled = await Promise.allSettled([
      sendMessage(t.db, a, { conversationId: open.ch.id, clientMsgId: randomUUID(), body: "one" }),
      sendMessage(t.db, archived.members[0]!, {
        conversationId: archived.ch.id,
        clientMsgId: randomUUID(),
        body: "x",
      }),
      sendMessage(t.db, a, { conversationId: secret.id, clientMsgId: randomUUID(), body: "x" }),
      sendMessage(t.db, b, {
        conversationId: open.ch.id,
        clientMsgId: randomUUID(),
        body: "x",
        threadRootId: randomUUID(),
      }),
      sendMessage(t.db, b, { conversationId: open.ch.id, clientMsgId: randomUUID(), body: "two" }),
    ]);
    expect(settled.map((s) => s.status)).toEqual([
      "fulfilled",
      "rejected",
      "rejected",
      "rejected",
      "fulfilled",
    ]);
    await expectParley(Promise.reject((settled[1] as PromiseRejectedResult).reason), "FORBIDDEN", /archived/);
    await expectParley(Promise.reject((settled[2] as PromiseRejectedResult).reason), "NOT_FOUND");
    await expectParley(Promise.reject((settled[3] as PromiseRejectedResult).reason), "NOT_FOUND", /Thread/);
    const seqs = [settled[0], settled[4]].map(
      (s) => (s as PromiseFulfilledResult<{ message: { seq: number } }>).value.message.seq,
    );
    expect(seqs).toEqual([start + 1, start + 2]);
    expect(await t.db.message.count({ where: { conversationId: { in: [archived.ch.id, secret.id] } } })).toBe(
      0,
    );
  });

  it("counts a batch of thread replies on the root and keeps only members' mentions, in order", async () => {
    const { ch, owner, members } = await channelWith(4);
    const outsider = await newActor(t.db);
    const root = stored(
      await sendMessage(t.db, owner, { conversationId: ch.id, clientMsgId: randomUUID(), body: "root" }),
    );
    const [m0, m1, m2] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];
    const body = `hi <@${m2.userId}> <@${outsider.userId}> <@${m1.userId}> <!here>`;
    const replies = await Promise.all(
      members.map((m, k) =>
        sendMessage(t.db, m, {
          conversationId: ch.id,
          clientMsgId: randomUUID(),
          body: k === 0 ? body : `reply ${k}`,
          threadRootId: root.id,
          alsoInChannel: k === 1,
        }),
      ),
    );
    const first = stored(replies[0]!);
    expect(first.mentionedUserIds).toEqual([m2.userId, m1.userId]);
    expect(first.mentionsAll).toBe(true);
    expect(first.senderName).toBe(m0.name);
    expect(stored(replies[1]!).alsoInChannel).toBe(true);
    const row = await t.db.message.findUniqueOrThrow({ where: { id: first.id } });
    expect(row.mentionedUserIds).toEqual([m2.userId, m1.userId]);
    expect(row.createdAt.getTime()).toBe(first.createdAt.getTime());
    const thread = await getThread(t.db, owner, { rootId: root.id });
    expect(thread.root.replyCount).toBe(4);
    expect(thread.replies.map((r) => r.id)).toEqual(replies.map((r) => r.message.id));
    const latest = Math.max(...replies.map((r) => stored(r).createdAt.getTime()));
    expect(thread.root.lastReplyAt?.getTime()).toBe(latest);
  });

  it("stores the very payload it pushes, and answers an earlier message's resend and a stranger in the same batch", async () => {
    const room = await channelWith(2);
    const [a, b] = room.members as [(typeof room.members)[0], (typeof room.members)[0]];
    const stranger = await newActor(t.db);
    const root = stored(
      await sendMessage(t.db, a, { conversationId: room.ch.id, clientMsgId: randomUUID(), body: "root" }),
    );
    const earlier = { conversationId: room.ch.id, clientMsgId: randomUUID(), body: "earlier" };
    const first = stored(await sendMessage(t.db, b, earlier));
    const pushed: TConversationEventRecord[] = [];
    const previous = getEventSink();
    setEventSink({ conversationEvent: (_id, event) => void pushed.push(event), userEvent() {} });
    let settled: PromiseSettledResult<Awaited<ReturnType<typeof sendMessage>>>[];
    try {
      settled = await Promise.allSettled([
        sendMessage(t.db, a, {
          conversationId: room.ch.id,
          clientMsgId: randomUUID(),
          body: `hi <@${b.userId}> <@${stranger.userId}> <!channel>`,
          threadRootId: root.id,
          alsoInChannel: true,
        }),
        sendMessage(t.db, b, earlier),
        sendMessage(t.db, stranger, { conversationId: room.ch.id, clientMsgId: randomUUID(), body: "x" }),
        sendMessage(t.db, b, { conversationId: room.ch.id, clientMsgId: randomUUID(), body: "plain" }),
      ]);
    } finally {
      setEventSink(previous);
    }
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const resend = (settled[1] as PromiseFulfilledResult<Awaited<ReturnType<typeof sendMessage>>>).value;
    expect(resend.duplicate).toBe(true);
    expect(resend.message).toMatchObject({ id: first.id, seq: first.seq });
    await expectParley(Promise.reject((settled[2] as PromiseRejectedResult).reason), "FORBIDDEN", /Join/);
    // Two stored, two pushed, each stored as pushed; the resend's stored event pushed once more
    // (its first fan-out may have died with its process: send-one.ts `republish`).
    const fresh = pushed.filter((e) => e.seq !== first.seq);
    expect(fresh).toHaveLength(2);
    await expectStoredAsPushed(room.ch.id, fresh);
    expect(pushed.filter((e) => e.seq === first.seq).map((e) => e.payload.message)).toMatchObject([
      { id: first.id, clientMsgId: earlier.clientMsgId },
    ]);
    const reply = fresh[0]!.payload.message as Record<string, unknown>;
    expect(reply).toMatchObject({ threadRootId: root.id, alsoInChannel: true, mentionsAll: true });
    expect(reply.mentionedUserIds).toEqual([b.userId]);
  });

  it("stores a batch without mentions or replies with the plain statement, as the full one would, refusals included", async () => {
    const room = await channelWith(2);
    const archived = await channelWith(1);
    await archiveConversation(t.db, archived.owner, { conversationId: archived.ch.id });
    const [a, b] = room.members as [(typeof room.members)[0], (typeof room.members)[0]];
    const stranger = await newActor(t.db);
    const earlier = { conversationId: room.ch.id, clientMsgId: randomUUID(), body: "earlier" };
    const first = stored(await sendMessage(t.db, b, earlier));
    const pool = sqlPool(t.db) as TSqlPool;
    const names: string[] = [];
    const watched = {
      query: (config: { name: string; text: string; values: unknown[] }) => {
        names.push(config.name);
        return pool.query(config);
      },
    } as unknown as TSqlPool;
    const batcher = new SendBatcher(t.db, watched, { maxBatch: 10, maxInFlight: 1 });
    const pushed: TConversationEventRecord[] = [];
    const previous = getEventSink();
    setEventSink({ conversationEvent: (_id, event) => void pushed.push(event), userEvent() {} });
    const send = (
      actor: typeof a,
      conversationId: string,
      body: string,
      clientMsgId: string = randomUUID(),
    ) => batcher.submit(actor, { conversationId, clientMsgId, body });
    let plain: PromiseSettledResult<Awaited<ReturnType<typeof batcher.submit>>>[];
    let mixed: PromiseSettledResult<Awaited<ReturnType<typeof batcher.submit>>>[];
    try {
      plain = await Promise.allSettled([
        send(a, room.ch.id, "one"),
        send(b, room.ch.id, earlier.body, earlier.clientMsgId),
        send(stranger, room.ch.id, "x"),
        send(archived.members[0]!, archived.ch.id, "x"),
        send(b, room.ch.id, "two <#not-a-mention>"),
      ]);
      // One mention makes the whole batch take the full statement.
      mixed = await Promise.allSettled([
        send(a, room.ch.id, "three"),
        send(b, room.ch.id, `hi <@${a.userId}>`),
      ]);
    } finally {
      setEventSink(previous);
    }
    expect(names).toEqual(["parley_send_plain_v1", "parley_send_v11"]);
    expect(plain.map((s) => s.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
    ]);
    const resend = (plain[1] as PromiseFulfilledResult<Awaited<ReturnType<typeof batcher.submit>>>).value;
    expect(resend).toMatchObject({ duplicate: true, message: { id: first.id, seq: first.seq } });
    await expectParley(Promise.reject((plain[2] as PromiseRejectedResult).reason), "FORBIDDEN", /Join/);
    await expectParley(Promise.reject((plain[3] as PromiseRejectedResult).reason), "FORBIDDEN", /archived/);
    expect(mixed.map((s) => s.status)).toEqual(["fulfilled", "fulfilled"]);
    // Gapless seqs in submission order across both statements, each stored as pushed (and the
    // resend's stored event pushed once more, send-one.ts `republish`).
    const fresh = pushed.filter((e) => e.seq !== first.seq);
    expect(pushed.filter((e) => e.seq === first.seq)).toHaveLength(1);
    expect(fresh.map((e) => e.seq)).toEqual([first.seq + 1, first.seq + 2, first.seq + 3, first.seq + 4]);
    await expectStoredAsPushed(room.ch.id, fresh);
    expect(fresh.map((e) => (e.payload.message as { mentionedUserIds: string[] }).mentionedUserIds)).toEqual([
      [],
      [],
      [],
      [a.userId],
    ]);
    const rows = await t.db.message.findMany({
      where: { conversationId: room.ch.id, seq: { gt: first.seq } },
      orderBy: { seq: "asc" },
      select: {
        body: true,
        threadRootId: true,
        mentionedUserIds: true,
        mentionsAll: true,
        alsoInChannel: true,
      },
    });
    expect(rows).toEqual([
      { body: "one", threadRootId: null, mentionedUserIds: [], mentionsAll: false, alsoInChannel: false },
      {
        body: "two <#not-a-mention>",
        threadRootId: null,
        mentionedUserIds: [],
        mentionsAll: false,
        alsoInChannel: false,
      },
      { body: "three", threadRootId: null, mentionedUserIds: [], mentionsAll: false, alsoInChannel: false },
      {
        body: `hi <@${a.userId}>`,
        threadRootId: null,
        mentionedUserIds: [a.userId],
        mentionsAll: false,
        alsoInChannel: false,
      },
    ]);
  });

  it("never runs two batches that share a conversation at once; a send into a busy conversation waits its turn", async () => {
    const rooms = await Promise.all(Array.from({ length: 3 }, () => channelWith(2)));
    const pool = sqlPool(t.db) as TSqlPool;
    // The batcher's pool, watched: which conversations each running statement holds.
    const running = new Set<Set<string>>();
    let overlaps = 0;
    let most = 0;
    const watched = {
      query: async (config: { name: string; text: string; values: unknown[] }) => {
        const mine = new Set(config.values[2] as string[]);
        for (const other of running) for (const id of mine) if (other.has(id)) overlaps++;
        running.add(mine);
        most = Math.max(most, running.size);
        try {
          return await pool.query(config);
        } finally {
          running.delete(mine);
        }
      },
    } as unknown as TSqlPool;
    const batcher = new SendBatcher(t.db, watched, { maxBatch: 3, maxInFlight: 2 });
    const sends: { conversationId: string; body: string; promise: ReturnType<SendBatcher["submit"]> }[] = [];
    // Waves of sends in successive turns, mostly into the first room (a hot conversation).
    for (let wave = 0; wave < 8; wave++) {
      for (const [r, room] of rooms.entries()) {
        for (const member of r === 0 ? [...room.members, room.owner] : [room.members[wave % 2]!]) {
          const body = `w${wave} r${r} ${member.userId.slice(0, 4)}`;
          sends.push({
            conversationId: room.ch.id,
            body,
            promise: batcher.submit(member, { conversationId: room.ch.id, clientMsgId: randomUUID(), body }),
          });
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(sends.map((s) => s.promise));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(overlaps).toBe(0);
    // Not vacuous: two statements did run at once (on different conversations).
    expect(most).toBe(2);
    for (const room of rooms) {
      const mine = sends
        .map((s, i) => ({ ...s, seq: results[i]!.message.seq }))
        .filter((s) => s.conversationId === room.ch.id);
      const rows = await t.db.message.findMany({
        where: { conversationId: room.ch.id },
        orderBy: { seq: "asc" },
      });
      expect(rows.map((m) => m.body)).toEqual(mine.map((s) => s.body));
      expect(mine.map((s) => s.seq)).toEqual(rows.map((m) => m.seq));
      // Consecutive after the channel's own events (creation, joins): no gap, no repeat.
      const first = rows[0]?.seq ?? 0;
      expect(rows.map((m) => m.seq)).toEqual(rows.map((_, i) => first + i));
    }
  });

  it("starts a second batch only beside one that has run overlapAfterMs, so a stuck batch holds up no other conversation", async () => {
    const rooms = await Promise.all(Array.from({ length: 3 }, () => channelWith(1)));
    // The first statement is held (as if it waited on a lock) until the test lets it go.
    const { send, started, release } = heldBatcher(rooms, {
      maxBatch: 100,
      maxInFlight: 2,
      overlapAfterMs: 150,
    });
    const first = send(0, "stuck");
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    const others = [send(1, "b"), send(2, "c")];
    // Well before 150 ms the two wait (one batch at a time) …
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(started.length).toBe(1);
    // … and then go out together in a second batch while the first is still stuck.
    const results = await Promise.all(others);
    expect(started.length).toBe(2);
    expect(started[1]!.size).toBe(2);
    expect(started[1]!.at - t0).toBeGreaterThanOrEqual(100);
    expect(results.map((r) => [r.duplicate, r.message.seq > 0])).toEqual([
      [false, true],
      [false, true],
    ]);
    release();
    expect((await first).message.seq).toBeGreaterThan(0);
  });

  it("a send that waited beside a running batch starts as soon as that batch commits, not when the overlap wait ends", async () => {
    const rooms = await Promise.all(Array.from({ length: 2 }, () => channelWith(1)));
    // A long overlap wait, so "after the commit" and "after the wait" are far apart on a busy box.
    const overlapAfterMs = 2_000;
    const { send, started, release } = heldBatcher(rooms, {
      maxBatch: 100,
      maxInFlight: 2,
      overlapAfterMs,
      gatherMs: 0,
    });
    const first = send(0, "running");
    await new Promise((resolve) => setImmediate(resolve));
    const second = send(1, "waits beside it"); // arms the overlap wait
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toHaveLength(1);
    const committedAt = performance.now();
    release();
    await Promise.all([first, second]);
    expect(started).toHaveLength(2);
    expect(started[1]!.at - committedAt).toBeLessThan(overlapAfterMs / 2);
  });

  it("under load gathers the next batch for gatherMs, but never after a small batch nor with a full queue", async () => {
    const room = await channelWith(1);
    const pool = sqlPool(t.db) as TSqlPool;
    const started: { size: number; at: number }[] = [];
    const watched = {
      query: async (config: { name: string; text: string; values: unknown[] }) => {
        started.push({ size: (config.values[2] as string[]).length, at: performance.now() });
        return pool.query(config);
      },
    } as unknown as TSqlPool;
    // A long gather, so "waited for it" and "went at once" are far apart even on a busy box.
    const gatherMs = 1_000;
    const batcher = new SendBatcher(t.db, watched, { maxBatch: 20, maxInFlight: 1, gatherMs });
    const send = (body: string) =>
      batcher.submit(room.members[0]!, { conversationId: room.ch.id, clientMsgId: randomUUID(), body });
    const sendMany = (n: number, tag: string) =>
      Promise.all(Array.from({ length: n }, (_, i) => send(`${tag} ${i}`)));
    /** Submits `n` sends and answers when their first statement started, counted from the submit. */
    const startOf = async (n: number, tag: string) => {
      const before = started.length;
      const t0 = performance.now();
      const results = await sendMany(n, tag);
      return { results, after: started[before]!.at - t0, size: started[before]!.size };
    };

    // A lone send on a quiet batcher goes at once; so does the large batch (SEND_BATCH_GATHER_AFTER) after it (its previous was small).
    expect((await startOf(1, "lone")).after).toBeLessThan(gatherMs / 2);
    const large = await startOf(SEND_BATCH_GATHER_AFTER, "large");
    expect(large.after).toBeLessThan(gatherMs / 2);
    expect(large.size).toBe(SEND_BATCH_GATHER_AFTER);

    // After that large batch the next one waits gatherMs, and a send arriving meanwhile joins it.
    const before = started.length;
    const t0 = performance.now();
    const first = send("gathered 1");
    await new Promise((resolve) => setTimeout(resolve, gatherMs / 5));
    const second = send("gathered 2");
    await Promise.all([first, second]);
    expect(started.length - before).toBe(1);
    expect(started[before]!.size).toBe(2);
    expect(started[before]!.at - t0).toBeGreaterThanOrEqual(gatherMs - 50);

    // After a batch of 2 (small) the next send goes at once again.
    expect((await startOf(1, "after small")).after).toBeLessThan(gatherMs / 2);
    // A full queue never waits, even right after a large batch.
    await sendMany(SEND_BATCH_GATHER_AFTER, "large again");
    const full = await startOf(20, "full");
    expect(full.size).toBe(20);
    expect(full.after).toBeLessThan(gatherMs / 2);

    // Nothing lost or reordered on the way: every message stored once, seqs gapless in submission order.
    const rows = await t.db.message.findMany({
      where: { conversationId: room.ch.id },
      orderBy: { seq: "asc" },
    });
    expect(rows).toHaveLength(1 + 2 * SEND_BATCH_GATHER_AFTER + 2 + 1 + 20);
    expect(rows.map((m) => m.seq)).toEqual(rows.map((_, i) => rows[0]!.seq + i));
  });
});
