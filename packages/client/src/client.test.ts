import {
  CloseCode,
  MAX_SYNC_CURSORS,
  PROTOCOL_VERSION,
  type TConversationEvent,
  type TUserEvent,
} from "@parley/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ParleyClient, ParleySendError, type TClientOptions, type TOutboxEntry } from "./client.ts";
import {
  localStorageStore,
  memoryCursorStore,
  memoryOutboxStore,
  type TOutboxStore,
  type TStorageLike,
  type TStoredOutboxEntry,
} from "./stores.ts";

const C1 = "00000000-0000-4000-8000-0000000000c1";
const C2 = "00000000-0000-4000-8000-0000000000c2";
/** Who added the user to a conversation (conversation.added payloads). */
const ADDER = "00000000-0000-4000-8000-0000000000a1";

type TSent = { type: string; id?: string; [key: string]: unknown };

/** A scripted stand-in for a WebSocket: the test plays the server. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: TSent[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as TSent);
  }
  close(code?: number, reason?: string) {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  serverOpens() {
    this.readyState = 1;
    this.onopen?.({});
    this.serverSends({
      type: "welcome",
      protocolVersion: PROTOCOL_VERSION,
      userId: "u1",
      connectionId: `c${FakeSocket.instances.length}`,
      heartbeatMs: 60_000,
    });
  }
  serverSends(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverCloses(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** Frames of one type the client sent on this socket. */
  of(type: string): TSent[] {
    return this.sent.filter((f) => f.type === type);
  }
  /** Acks every `send` not acked yet, giving seqs from `nextSeq`. */
  ackSends(nextSeq: { value: number }) {
    for (const frame of this.of("send")) {
      if (this.acked.has(frame.id as string)) continue;
      this.acked.add(frame.id as string);
      nextSeq.value += 1;
      this.serverSends({
        type: "ack",
        id: frame.id,
        clientMsgId: frame.clientMsgId,
        seq: nextSeq.value,
        messageId: `m${nextSeq.value}`,
      });
    }
  }
  /** Answers the n-th `send` of this socket with an error instead of an ack. */
  refuseSend(n: number, code: string, message = "") {
    const frame = this.of("send")[n];
    this.acked.add(frame?.id as string);
    this.serverSends({ type: "error", id: frame?.id, code, message });
  }
  readonly acked = new Set<string>();
}

function latest(): FakeSocket {
  const socket = FakeSocket.instances.at(-1);
  if (!socket) throw new Error("no socket was opened");
  return socket;
}

function event(conversationId: string, seq: number): TConversationEvent {
  return {
    type: "event",
    conversationId,
    seq,
    kind: "message.created",
    actorId: "u2",
    payload: { message: { body: `#${seq}` } },
    createdAt: "2026-01-01T00:00:00.000Z",
  };
}

function userEvent(seq: number, kind: string, payload: Record<string, unknown>): TUserEvent {
  return { type: "user.event", seq, kind, payload };
}

function synced(
  id: string | undefined,
  conversations: {
    conversationId: string;
    lastSeq: number;
    status: "ok" | "more" | "resync" | "forbidden";
    truncatedSeq?: number;
  }[],
  userSeq = 0,
  userStatus: "ok" | "more" = "ok",
) {
  return { type: "synced", ...(id ? { id } : {}), conversations, userSeq, userStatus };
}

let uuidCounter = 0;

function setup(overrides: Partial<TClientOptions> = {}) {
  const client = new ParleyClient({
    url: "ws://gateway/ws?ticket=t",
    WebSocket: FakeSocket,
    backoff: { baseMs: 100, maxMs: 1_000 },
    random: () => 0.5,
    randomUUID: () => `00000000-0000-4000-8000-${String(++uuidCounter).padStart(12, "0")}`,
    ...overrides,
  });
  const delivered: string[] = [];
  client.on("event", (e) => delivered.push(`${e.conversationId === C1 ? "c1" : "c2"}:${e.seq}`));
  const outbox: TOutboxEntry[] = [];
  client.on("outbox", (entry) => outbox.push(entry));
  return { client, delivered, outbox };
}

/** Connects and plays the server's welcome; returns the socket. */
async function open(client: ParleyClient): Promise<FakeSocket> {
  client.connect();
  await flush();
  const socket = latest();
  socket.serverOpens();
  return socket;
}

/** Lets pending microtasks and zero-delay timers run. */
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.instances = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe("delivery", () => {
  it("delivers in seq order and resumes from its cursors in hello", async () => {
    const { client, delivered } = setup();
    client.track(C1, 0);
    const socket = await open(client);
    expect(socket.sent[0]).toEqual({
      type: "hello",
      protocolVersion: PROTOCOL_VERSION,
      cursors: { [C1]: 0 },
    });
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 0, status: "ok" }]));
    for (const seq of [1, 2, 3]) socket.serverSends(event(C1, seq));
    expect(delivered).toEqual(["c1:1", "c1:2", "c1:3"]);
    expect(client.cursor(C1)).toBe(3);
  });

  it("drops duplicates and counts them", async () => {
    const { client, delivered } = setup();
    client.track(C1, 0);
    const socket = await open(client);
    for (const seq of [1, 2, 2, 1, 3, 3]) socket.serverSends(event(C1, seq));
    expect(delivered).toEqual(["c1:1", "c1:2", "c1:3"]);
    expect(client.stats.duplicates).toBe(3);
  });

  it("ignores events of conversations it does not track", async () => {
    const { client, delivered } = setup();
    const socket = await open(client);
    socket.serverSends(event(C2, 1));
    expect(delivered).toEqual([]);
    expect(client.stats.ignored).toBe(1);
  });

  it("requests a gap with exactly one sync and delivers in seq order once it is repaired", async () => {
    const { client, delivered } = setup();
    client.track(C1, 3);
    const socket = await open(client);
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 3, status: "ok" }]));

    socket.serverSends(event(C1, 5));
    socket.serverSends(event(C1, 6));
    expect(delivered).toEqual([]);
    expect(socket.of("sync")).toHaveLength(0); // the grace period: 4 may still arrive live
    await vi.advanceTimersByTimeAsync(100);
    const syncs = socket.of("sync");
    expect(syncs).toHaveLength(1);
    expect(syncs[0]).toMatchObject({ cursors: { [C1]: 3 } });
    expect(syncs[0]).not.toHaveProperty("userCursor");

    // The replay: 4 and 5 (5 again: already buffered), then synced.
    socket.serverSends(event(C1, 4));
    socket.serverSends(event(C1, 5));
    socket.serverSends(synced(syncs[0]?.id, [{ conversationId: C1, lastSeq: 5, status: "ok" }]));
    socket.serverSends(event(C1, 7));
    expect(delivered).toEqual(["c1:4", "c1:5", "c1:6", "c1:7"]);
    expect(socket.of("sync")).toHaveLength(1);
  });

  it("yields each seq once and in order when live events interleave with the hello replay", async () => {
    const { client, delivered } = setup();
    client.track(C1, 0);
    client.track(C2, 10);
    const socket = await open(client);
    // Live 5 and 12 overtake the replay; replay and live overlap on 4–5 and 11.
    socket.serverSends(event(C1, 5));
    socket.serverSends(event(C2, 12));
    socket.serverSends(event(C1, 1));
    socket.serverSends(event(C1, 2));
    socket.serverSends(event(C2, 11));
    socket.serverSends(event(C1, 6));
    socket.serverSends(event(C1, 3));
    socket.serverSends(event(C1, 4));
    socket.serverSends(event(C1, 5));
    socket.serverSends(event(C2, 11));
    socket.serverSends(
      synced(undefined, [
        { conversationId: C1, lastSeq: 5, status: "ok" },
        { conversationId: C2, lastSeq: 11, status: "ok" },
      ]),
    );
    expect(delivered.filter((d) => d.startsWith("c1"))).toEqual([
      "c1:1",
      "c1:2",
      "c1:3",
      "c1:4",
      "c1:5",
      "c1:6",
    ]);
    expect(delivered.filter((d) => d.startsWith("c2"))).toEqual(["c2:11", "c2:12"]);
    // The hello replay was the gap repair: no extra sync.
    expect(socket.of("sync")).toHaveLength(0);
  });

  it("sends no sync when the missing seq arrives live within the grace period", async () => {
    const { client, delivered } = setup();
    client.track(C1, 3);
    const socket = await open(client);
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 3, status: "ok" }]));
    socket.serverSends(event(C1, 5));
    await vi.advanceTimersByTimeAsync(60);
    socket.serverSends(event(C1, 4));
    await vi.advanceTimersByTimeAsync(200);
    expect(delivered).toEqual(["c1:4", "c1:5"]);
    expect(socket.of("sync")).toHaveLength(0);
  });

  it("asks for the gap again after a reconnect when its sync was lost", async () => {
    const { client, delivered } = setup();
    client.track(C1, 3);
    const first = await open(client);
    first.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 3, status: "ok" }]));
    first.serverSends(event(C1, 5));
    await vi.advanceTimersByTimeAsync(100);
    expect(first.of("sync")).toHaveLength(1);
    first.serverCloses(1006);
    await vi.advanceTimersByTimeAsync(50);
    const second = latest();
    second.serverOpens();
    expect(second.sent[0]).toMatchObject({ type: "hello", cursors: { [C1]: 3 } });
    second.serverSends(event(C1, 4));
    second.serverSends(event(C1, 5));
    second.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 5, status: "ok" }]));
    expect(delivered).toEqual(["c1:4", "c1:5"]);
  });

  it("asks again when a sync goes unanswered", async () => {
    const { client, delivered } = setup({ syncTimeoutMs: 1_000, syncRetryMs: 500 });
    client.track(C1, 3);
    const socket = await open(client);
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 3, status: "ok" }]));
    socket.serverSends(event(C1, 5));
    await vi.advanceTimersByTimeAsync(100);
    expect(socket.of("sync")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_499);
    expect(socket.of("sync")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const syncs = socket.of("sync");
    expect(syncs).toHaveLength(2);
    socket.serverSends(event(C1, 4));
    socket.serverSends(synced(syncs[1]?.id, [{ conversationId: C1, lastSeq: 5, status: "ok" }]));
    expect(delivered).toEqual(["c1:4", "c1:5"]);
  });
});

describe("listeners", () => {
  it("a throwing listener does not break delivery", async () => {
    const { client, delivered } = setup();
    client.on("event", () => {
      throw new Error("app bug");
    });
    const errors: unknown[] = [];
    const onError = (err: unknown) => errors.push(err);
    process.on("uncaughtException", onError);
    try {
      client.track(C1, 0);
      const socket = await open(client);
      socket.serverSends(event(C1, 1));
      socket.serverSends(event(C1, 2));
      await flush();
    } finally {
      process.off("uncaughtException", onError);
    }
    expect(delivered).toEqual(["c1:1", "c1:2"]);
    expect(client.cursor(C1)).toBe(2);
    expect(errors).toHaveLength(2); // still reported, asynchronously
  });
});

describe("synced statuses", () => {
  it("more: syncs again from the new cursor", async () => {
    const { client, delivered } = setup();
    client.track(C1, 0);
    const socket = await open(client);
    socket.serverSends(event(C1, 1));
    socket.serverSends(event(C1, 2));
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 2, status: "more" }]));
    const syncs = socket.of("sync");
    expect(syncs).toHaveLength(1);
    expect(syncs[0]).toMatchObject({ cursors: { [C1]: 2 } });
    socket.serverSends(event(C1, 3));
    socket.serverSends(synced(syncs[0]?.id, [{ conversationId: C1, lastSeq: 3, status: "ok" }]));
    expect(delivered).toEqual(["c1:1", "c1:2", "c1:3"]);
    expect(socket.of("sync")).toHaveLength(1);
  });

  it("truncatedSeq: skips the range retention removed (even with more to come) and never asks for it", async () => {
    const { client, delivered } = setup();
    const truncated: [string, number][] = [];
    client.on("truncated", (id, seq) => truncated.push([id, seq]));
    client.track(C1, 3);
    const socket = await open(client);
    // The replay starts after the tombstone (20); its events wait behind the apparent gap…
    socket.serverSends(event(C1, 21));
    socket.serverSends(event(C1, 22));
    await vi.advanceTimersByTimeAsync(500); // past the gap grace: the hello replay covers it, no sync
    expect(delivered).toEqual([]);
    expect(socket.of("sync")).toHaveLength(0);
    // …until synced says where the log starts now.
    socket.serverSends(
      synced(undefined, [{ conversationId: C1, lastSeq: 22, status: "more", truncatedSeq: 20 }]),
    );
    expect(truncated).toEqual([[C1, 20]]);
    expect(delivered).toEqual(["c1:21", "c1:22"]);
    const syncs = socket.of("sync");
    expect(syncs).toHaveLength(1); // the page's `more`, from the new cursor
    expect(syncs[0]).toMatchObject({ cursors: { [C1]: 22 } });
    socket.serverSends(event(C1, 23));
    socket.serverSends(synced(syncs[0]?.id, [{ conversationId: C1, lastSeq: 23, status: "ok" }]));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(delivered).toEqual(["c1:21", "c1:22", "c1:23"]);
    expect(socket.of("sync")).toHaveLength(1);
    expect(client.cursor(C1)).toBe(23);
  });

  it("resync: tells the app to refetch, then continues from lastSeq", async () => {
    const { client, delivered } = setup();
    const resyncs: [string, number][] = [];
    client.on("resync", (id, lastSeq) => resyncs.push([id, lastSeq]));
    client.track(C1, 50);
    const socket = await open(client);
    socket.serverSends(event(C1, 30)); // older than the cursor: a duplicate to this client
    socket.serverSends(event(C1, 53)); // ahead of the refetch point: kept
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 52, status: "resync" }]));
    expect(resyncs).toEqual([[C1, 52]]);
    expect(client.cursor(C1)).toBe(53);
    expect(delivered).toEqual(["c1:53"]);
  });

  it("forbidden: drops the conversation and says so", async () => {
    const { client, delivered } = setup();
    const forbidden: string[] = [];
    client.on("forbidden", (id) => forbidden.push(id));
    client.track(C1, 5);
    const socket = await open(client);
    socket.serverSends(event(C1, 7));
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 5, status: "forbidden" }]));
    expect(forbidden).toEqual([C1]);
    expect(client.cursor(C1)).toBeUndefined();
    socket.serverSends(event(C1, 6));
    expect(delivered).toEqual([]);
  });

  it("notFound: drops each listed conversation it asked about and says so", async () => {
    const { client, delivered } = setup();
    const forbidden: string[] = [];
    client.on("forbidden", (id) => forbidden.push(id));
    client.track(C1, 5);
    client.track(C2, 3);
    const socket = await open(client);
    socket.serverSends(event(C1, 7));
    socket.serverSends({
      ...synced(undefined, [{ conversationId: C2, lastSeq: 3, status: "ok" }]),
      notFound: [C1],
    });
    expect(forbidden).toEqual([C1]);
    expect(client.cursor(C1)).toBeUndefined();
    expect(client.cursor(C2)).toBe(3);
    socket.serverSends(event(C1, 6));
    expect(delivered).toEqual([]);
  });
});

describe("resume beyond one frame's cursors", () => {
  it("puts MAX_SYNC_CURSORS cursors in hello and syncs the rest in further commands of at most as many", async () => {
    const { client } = setup();
    const ids = Array.from(
      { length: 2 * MAX_SYNC_CURSORS + 7 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    for (const id of ids) client.track(id, 1);
    const socket = await open(client);
    const hello = socket.of("hello")[0] as unknown as { cursors: Record<string, number> };
    expect(Object.keys(hello.cursors)).toEqual(ids.slice(0, MAX_SYNC_CURSORS));
    const syncs = socket.of("sync") as unknown as { id: string; cursors: Record<string, number> }[];
    expect(syncs.map((s) => Object.keys(s.cursors).length)).toEqual([MAX_SYNC_CURSORS, 7]);
    expect(syncs.flatMap((s) => Object.keys(s.cursors))).toEqual(ids.slice(MAX_SYNC_CURSORS));
    // Each answer releases its own conversations: a later gap in any of them gets a sync again.
    for (const s of syncs) {
      socket.serverSends(
        synced(
          s.id,
          Object.keys(s.cursors).map((conversationId) => ({
            conversationId,
            lastSeq: 1,
            status: "ok" as const,
          })),
        ),
      );
    }
    const last = ids.at(-1) as string;
    socket.serverSends({ ...event(last, 3) });
    await vi.advanceTimersByTimeAsync(5_000);
    const again = socket.of("sync").slice(2) as unknown as { cursors: Record<string, number> }[];
    expect(again.map((s) => s.cursors)).toEqual([{ [last]: 1 }]);
  });
});

describe("user log", () => {
  it("delivers user events in order, repairs gaps with the user cursor", async () => {
    const cursorStore = memoryCursorStore();
    cursorStore.save({ conversations: {}, user: 4 });
    const { client } = setup({ cursorStore });
    const seen: number[] = [];
    client.on("userEvent", (e) => seen.push(e.seq));
    const socket = await open(client);
    expect(socket.sent[0]).toEqual({ type: "hello", protocolVersion: PROTOCOL_VERSION, userCursor: 4 });
    socket.serverSends(synced(undefined, [], 4));
    socket.serverSends(userEvent(6, "preferences.updated", {}));
    const syncs = socket.of("sync");
    expect(syncs).toHaveLength(1);
    expect(syncs[0]).toEqual({ type: "sync", id: syncs[0]?.id, userCursor: 4 });
    socket.serverSends(userEvent(5, "preferences.updated", {}));
    socket.serverSends(userEvent(6, "preferences.updated", {}));
    socket.serverSends(synced(syncs[0]?.id, [], 6));
    expect(seen).toEqual([5, 6]);
    expect(client.userCursor).toBe(6);
  });

  it("starts a new device's user log at the server's userSeq", async () => {
    const { client } = setup();
    client.track(C1, 0);
    const seen: number[] = [];
    client.on("userEvent", (e) => seen.push(e.seq));
    const socket = await open(client);
    expect(socket.sent[0]).not.toHaveProperty("userCursor");
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 0, status: "ok" }], 9));
    expect(client.userCursor).toBe(9);
    socket.serverSends(userEvent(10, "preferences.updated", {}));
    expect(seen).toEqual([10]);
  });

  it("conversation.added with joinedSeq tracks from the join; without it, learns the start via resync", async () => {
    const cursorStore = memoryCursorStore();
    cursorStore.save({ conversations: {}, user: 0 });
    const { client, delivered } = setup({ cursorStore });
    const resyncs: [string, number][] = [];
    client.on("resync", (id, lastSeq) => resyncs.push([id, lastSeq]));
    const socket = await open(client);
    socket.serverSends(synced(undefined, [], 0));

    socket.serverSends(
      userEvent(1, "conversation.added", {
        conversationId: C1,
        kind: "public_channel",
        addedBy: ADDER,
        joinedSeq: 8,
      }),
    );
    expect(client.cursor(C1)).toBe(7);
    const first = socket.of("sync")[0];
    expect(first).toMatchObject({ cursors: { [C1]: 7 } });
    socket.serverSends(event(C1, 8));
    socket.serverSends(synced(first?.id, [{ conversationId: C1, lastSeq: 8, status: "ok" }]));
    expect(delivered).toEqual(["c1:8"]);

    socket.serverSends(
      userEvent(2, "conversation.added", { conversationId: C2, kind: "private_channel", addedBy: ADDER }),
    );
    expect(client.cursor(C2)).toBeNull();
    const probe = socket.of("sync")[1];
    expect(probe?.cursors).toEqual({ [C2]: 2_147_483_647 });
    socket.serverSends(event(C2, 41)); // live while probing: kept for after the start is known
    socket.serverSends(synced(probe?.id, [{ conversationId: C2, lastSeq: 40, status: "resync" }]));
    expect(resyncs).toEqual([[C2, 40]]);
    expect(delivered).toEqual(["c1:8", "c2:41"]);

    socket.serverSends(userEvent(3, "conversation.removed", { conversationId: C1 }));
    expect(client.cursor(C1)).toBeUndefined();

    // A payload the protocol's schema cannot read is delivered but changes no tracking.
    const seen: number[] = [];
    client.on("userEvent", (e) => seen.push(e.seq));
    socket.serverSends(userEvent(4, "conversation.removed", { conversationId: 42 }));
    expect(seen).toEqual([4]);
    expect(client.cursor(C2)).not.toBeUndefined();
  });
});

describe("outbox", () => {
  it("sends one message per conversation at a time, in typed order", async () => {
    const { client } = setup();
    const socket = await open(client);
    const a = client.send(C1, "a");
    client.send(C1, "b");
    client.send(C2, "x");
    expect(socket.of("send").map((f) => f.body)).toEqual(["a", "x"]);
    const seq = { value: 0 };
    socket.ackSends(seq);
    await expect(a.promise).resolves.toEqual({ seq: 1, messageId: "m1" });
    expect(socket.of("send").map((f) => f.body)).toEqual(["a", "x", "b"]);
  });

  it("resends unacked entries after a reconnect with the same clientMsgId, in order, and never acked ones", async () => {
    const { client } = setup();
    const first = await open(client);
    const a = client.send(C1, "a");
    const b = client.send(C1, "b");
    const c = client.send(C1, "c");
    const seq = { value: 0 };
    first.ackSends(seq); // a acked, then b goes out
    expect(first.of("send").map((f) => f.body)).toEqual(["a", "b"]);
    first.serverCloses(1006); // b on the wire, no ack: maybe stored, maybe not

    // a is sent (and gone: nobody tracks C1, so no own event will arrive to replace it).
    expect(client.getOutbox().map((e) => `${e.body}:${e.status}`)).toEqual(["b:pending", "c:pending"]);
    await vi.advanceTimersByTimeAsync(50);
    const second = latest();
    second.serverOpens();
    expect(second.sent.map((f) => f.type)).toEqual(["hello", "send"]);
    expect(second.of("send")[0]).toMatchObject({ body: "b", clientMsgId: b.clientMsgId });
    second.ackSends(seq);
    second.ackSends(seq);
    expect(second.of("send").map((f) => [f.body, f.clientMsgId])).toEqual([
      ["b", b.clientMsgId],
      ["c", c.clientMsgId],
    ]);
    await expect(b.promise).resolves.toMatchObject({ seq: 2 });
    await expect(c.promise).resolves.toMatchObject({ seq: 3 });
    expect(a.clientMsgId).not.toBe(b.clientMsgId);
  });

  it("queues while offline and sends after the welcome", async () => {
    const { client } = setup();
    const pending = client.send(C1, "early");
    expect(client.getOutbox()[0]?.status).toBe("pending");
    const socket = await open(client);
    expect(socket.of("send")).toEqual([
      {
        type: "send",
        id: expect.any(String),
        conversationId: C1,
        clientMsgId: pending.clientMsgId,
        body: "early",
      },
    ]);
  });

  it("keeps a refused entry as failed until retry, which reuses its clientMsgId", async () => {
    const { client } = setup();
    const socket = await open(client);
    const bad = client.send(C1, "nope");
    const next = client.send(C1, "next");
    socket.refuseSend(0, "FORBIDDEN", "Not a member");
    await expect(bad.promise).rejects.toBeInstanceOf(ParleySendError);
    await expect(bad.promise).rejects.toMatchObject({ code: "FORBIDDEN", clientMsgId: bad.clientMsgId });
    expect(client.getOutbox().find((e) => e.clientMsgId === bad.clientMsgId)).toMatchObject({
      status: "failed",
      error: { code: "FORBIDDEN", message: "Not a member" },
    });
    // A failed entry does not block the ones behind it.
    expect(socket.of("send")[1]).toMatchObject({ clientMsgId: next.clientMsgId });
    const seq = { value: 0 };
    socket.ackSends(seq);

    const again = client.retry(bad.clientMsgId);
    expect(socket.of("send")[2]).toMatchObject({ clientMsgId: bad.clientMsgId, body: "nope" });
    socket.ackSends(seq);
    await expect(again).resolves.toEqual({ seq: 2, messageId: "m2" });
  });

  it("discards a failed entry", async () => {
    const { client, outbox } = setup();
    const socket = await open(client);
    const bad = client.send(C1, "nope");
    socket.refuseSend(0, "BAD_REQUEST", "Empty");
    expect(client.discard(bad.clientMsgId)).toBe(true);
    expect(client.getOutbox()).toEqual([]);
    expect(outbox.map((e) => e.status)).toEqual(["pending", "sending", "failed", "failed"]);
    expect(() => client.retry(bad.clientMsgId)).toThrow();
  });

  it("discards a queued entry, but not one that may already be stored", async () => {
    const { client } = setup();
    const queued = client.send(C1, "never sent");
    expect(client.discard(queued.clientMsgId)).toBe(true);
    await expect(queued.promise).rejects.toMatchObject({ code: "DISCARDED" });
    const socket = await open(client);
    const inFlight = client.send(C1, "on the wire");
    expect(client.discard(inFlight.clientMsgId)).toBe(false);
    socket.serverCloses(1006); // back to pending, but it went out once
    expect(client.discard(inFlight.clientMsgId)).toBe(false);
    expect(socket.of("send").map((f) => f.body)).toEqual(["on the wire"]);
  });

  it("retries TOO_MANY_REQUESTS and INTERNAL after a backoff, holding later entries back", async () => {
    const { client } = setup({ sendBackoff: { baseMs: 1_000, maxMs: 10_000 } });
    const socket = await open(client);
    const a = client.send(C1, "a");
    client.send(C1, "b");
    socket.refuseSend(0, "TOO_MANY_REQUESTS");
    expect(client.getOutbox()[0]?.status).toBe("pending");
    await vi.advanceTimersByTimeAsync(499); // full jitter over 1000 ms with random() = 0.5
    expect(socket.of("send")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.of("send").map((f) => f.clientMsgId)).toEqual([a.clientMsgId, a.clientMsgId]);
    socket.refuseSend(1, "INTERNAL");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(socket.of("send").map((f) => f.body)).toEqual(["a", "a", "a"]);
    socket.ackSends({ value: 0 });
    await expect(a.promise).resolves.toMatchObject({ seq: 1 });
    expect(socket.of("send").at(-1)?.body).toBe("b");
  });

  it("keeps a sent entry until its own event is delivered", async () => {
    const { client } = setup();
    client.track(C1, 0);
    const socket = await open(client);
    const a = client.send(C1, "a");
    socket.ackSends({ value: 0 });
    expect(client.getOutbox().map((e) => e.status)).toEqual(["sent"]);
    socket.serverSends(event(C1, 1));
    expect(client.getOutbox()).toEqual([]);
    await expect(a.promise).resolves.toMatchObject({ seq: 1 });
  });
});

describe("persistence", () => {
  it("saves cursors and uses them in the next client's hello", async () => {
    const cursorStore = memoryCursorStore();
    const first = setup({ cursorStore });
    first.client.track(C1, 0);
    const socket = await open(first.client);
    socket.serverSends(synced(undefined, [{ conversationId: C1, lastSeq: 0, status: "ok" }], 2));
    for (const seq of [1, 2, 3]) socket.serverSends(event(C1, seq));
    await flush();
    first.client.disconnect();

    const second = setup({ cursorStore });
    const next = await open(second.client);
    expect(next.sent[0]).toEqual({
      type: "hello",
      protocolVersion: PROTOCOL_VERSION,
      cursors: { [C1]: 3 },
      userCursor: 2,
    });
  });

  it("survives a reload with localStorage: cursors resume and unsent messages go out with their ids", async () => {
    const data = new Map<string, string>();
    const storage: TStorageLike = {
      getItem: (k) => data.get(k) ?? null,
      setItem: (k, v) => void data.set(k, v),
      removeItem: (k) => void data.delete(k),
    };
    const first = setup(localStorageStore("parley:u1:", storage));
    first.client.track(C1, 0);
    const socket = await open(first.client);
    socket.serverSends(event(C1, 1));
    const unsent = first.client.send(C1, "typed before the tab closed");
    await flush();
    first.client.disconnect(); // the tab closes before the ack
    expect(JSON.parse(data.get("parley:u1:outbox") ?? "[]")).toHaveLength(1);

    const second = setup(localStorageStore("parley:u1:", storage));
    await second.client.ready;
    expect(second.client.getOutbox()).toMatchObject([{ clientMsgId: unsent.clientMsgId, status: "pending" }]);
    const next = await open(second.client);
    expect(next.sent[0]).toMatchObject({ type: "hello", cursors: { [C1]: 1 } });
    expect(next.of("send")[0]).toMatchObject({ clientMsgId: unsent.clientMsgId });
    next.ackSends({ value: 1 });
    await flush();
    expect(data.has("parley:u1:outbox")).toBe(false);
  });

  it("writes a burst of 1,000 sends to its store a few times, not once per send, the last write holding them all", async () => {
    const writes: TStoredOutboxEntry[][] = [];
    const outboxStore: TOutboxStore = { load: () => [], save: (entries) => void writes.push(entries) };
    const { client } = setup({ outboxStore });
    await client.ready;
    const socket = await open(client);
    // One send per millisecond, each in its own turn (as a program's timer or a socket delivers them).
    for (let i = 0; i < 1_000; i += 1) {
      client.send(i % 2 === 0 ? C1 : C2, `m${i}`);
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(100);
    // 1 s of changes: about one write per 100 ms (it was one per send).
    expect(writes.length).toBeGreaterThanOrEqual(5);
    expect(writes.length).toBeLessThanOrEqual(12);
    expect(writes.at(-1)).toHaveLength(1_000);
    // Acks, one per turn: the store follows within one interval, without a write per ack.
    const before = writes.length;
    const seq = { value: 0 };
    for (let i = 0; i < 100; i += 1) {
      socket.ackSends(seq);
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(writes.length - before).toBeLessThanOrEqual(3);
    expect(writes.at(-1)).toHaveLength(1_000 - seq.value);
  });

  it("keeps failed entries across a reload", async () => {
    const outboxStore = memoryOutboxStore();
    const first = setup({ outboxStore });
    const socket = await open(first.client);
    const bad = first.client.send(C1, "nope");
    socket.refuseSend(0, "NOT_FOUND", "gone");
    await flush();
    first.client.flush(); // the page goes away (pagehide): a write the throttle still holds goes now
    const second = setup({ outboxStore });
    await second.client.ready;
    expect(second.client.getOutbox()).toMatchObject([{ clientMsgId: bad.clientMsgId, status: "failed" }]);
    const next = await open(second.client);
    expect(next.of("send")).toHaveLength(0);
  });
});

describe("send options", () => {
  const ROOT = "00000000-0000-4000-8000-0000000000a1";
  const FILE = "00000000-0000-4000-8000-0000000000f1";

  it("puts threadRootId, alsoInChannel and attachmentIds on the wire and resends them after a reconnect", async () => {
    const { client } = setup();
    const first = await open(client);
    const reply = client.send(C1, "reply", { threadRootId: ROOT, alsoInChannel: true });
    const files = client.send(C2, "", { attachmentIds: [FILE] });
    const expected = [
      { conversationId: C1, body: "reply", threadRootId: ROOT, alsoInChannel: true },
      { conversationId: C2, body: "", attachmentIds: [FILE] },
    ];
    expect(first.of("send")).toMatchObject(expected);
    expect(first.of("send")[1]).not.toHaveProperty("threadRootId");
    expect(client.getOutbox()).toMatchObject([
      { clientMsgId: reply.clientMsgId, threadRootId: ROOT, alsoInChannel: true },
      { clientMsgId: files.clientMsgId, attachmentIds: [FILE] },
    ]);
    first.serverCloses(1006); // no acks: both are resent
    await vi.advanceTimersByTimeAsync(50);
    const second = latest();
    second.serverOpens();
    expect(second.of("send")).toMatchObject([
      { ...expected[0], clientMsgId: reply.clientMsgId },
      { ...expected[1], clientMsgId: files.clientMsgId },
    ]);
  });

  it("keeps the options in the persisted outbox across a reload", async () => {
    const data = new Map<string, string>();
    const storage: TStorageLike = {
      getItem: (k) => data.get(k) ?? null,
      setItem: (k, v) => void data.set(k, v),
      removeItem: (k) => void data.delete(k),
    };
    const first = setup(localStorageStore("parley:u1:", storage));
    await first.client.ready;
    const sent = first.client.send(C1, "with a file", {
      threadRootId: ROOT,
      alsoInChannel: true,
      attachmentIds: [FILE],
    });
    await flush();
    expect(JSON.parse(data.get("parley:u1:outbox") ?? "[]")).toMatchObject([
      { clientMsgId: sent.clientMsgId, threadRootId: ROOT, alsoInChannel: true, attachmentIds: [FILE] },
    ]);

    const second = setup(localStorageStore("parley:u1:", storage));
    await second.client.ready;
    const socket = await open(second.client);
    expect(socket.of("send")).toMatchObject([
      {
        clientMsgId: sent.clientMsgId,
        body: "with a file",
        threadRootId: ROOT,
        alsoInChannel: true,
        attachmentIds: [FILE],
      },
    ]);
  });

  it("refuses an empty body without attachments, alsoInChannel without a root and too many files", () => {
    const { client } = setup();
    expect(() => client.send(C1, "")).toThrow(RangeError);
    expect(() => client.send(C1, "x", { alsoInChannel: true })).toThrow(/threadRootId/);
    const eleven = Array.from(
      { length: 11 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    expect(() => client.send(C1, "x", { attachmentIds: eleven })).toThrow(/at most 10/);
    expect(client.getOutbox()).toEqual([]);
  });

  it("refuses an attachment id given twice, before anything is queued or sent", () => {
    const { client } = setup();
    expect(() => client.send(C1, "x", { attachmentIds: [FILE, FILE] })).toThrow(RangeError);
    expect(() => client.send(C1, "", { attachmentIds: [FILE, FILE] })).toThrow(
      /attachmentIds: lists the same attachment twice/,
    );
    expect(client.getOutbox()).toEqual([]);
  });
});

describe("connection", () => {
  it("stops reconnecting after a terminal close code and keeps the outbox", async () => {
    const { client } = setup();
    const states: string[] = [];
    client.on("state", (c) => states.push(`${c.to}:${c.code ?? ""}`));
    const socket = await open(client);
    client.send(C1, "unsent");
    socket.serverCloses(CloseCode.Unauthorized, "session revoked");
    expect(client.state).toBe("closed");
    expect(states.at(-1)).toBe("closed:4401");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(client.getOutbox()[0]?.status).toBe("pending");
  });
});

describe("read state, typing, presence", () => {
  it("resends an unacked markRead, presence watch and status after a reconnect", async () => {
    const { client } = setup();
    client.markRead(C1, 4);
    client.markRead(C1, 2); // never backwards
    client.watchPresence(["u2", "u3", "u2"]);
    client.setPresence("away", "lunch");
    const first = await open(client);
    expect(first.sent.map((f) => f.type)).toEqual(["hello", "watchPresence", "setPresence", "markRead"]);
    expect(first.of("markRead")[0]).toMatchObject({ conversationId: C1, seq: 4 });
    expect(first.of("watchPresence")[0]).toMatchObject({ userIds: ["u2", "u3"] });
    expect(first.of("setPresence")[0]).toMatchObject({ status: "away", statusText: "lunch" });
    first.serverCloses(1006);
    await vi.advanceTimersByTimeAsync(50);
    const second = latest();
    second.serverOpens();
    expect(second.of("markRead")).toHaveLength(1);
    second.serverSends({ type: "ack", id: second.of("markRead")[0]?.id, seq: 4 });
    second.serverCloses(1006);
    await vi.advanceTimersByTimeAsync(50);
    const third = latest();
    third.serverOpens();
    expect(third.sent.map((f) => f.type)).toEqual(["hello", "watchPresence", "setPresence"]);
  });

  it("retries a rate-limited markRead and forgets a refused one", async () => {
    const { client } = setup({ syncRetryMs: 500 });
    const socket = await open(client);
    client.markRead(C1, 3);
    client.markRead(C2, 9);
    const [first, second] = socket.of("markRead");
    socket.serverSends({ type: "error", id: first?.id, code: "TOO_MANY_REQUESTS", message: "" });
    socket.serverSends({ type: "error", id: second?.id, code: "FORBIDDEN", message: "" });
    await vi.advanceTimersByTimeAsync(500);
    expect(socket.of("markRead").map((f) => f.conversationId)).toEqual([C1, C2, C1]);
  });

  it("throttles typing to one frame per 3 s per conversation", async () => {
    const { client } = setup();
    expect(client.typing(C1)).toBe(false); // not connected
    const socket = await open(client);
    expect(client.typing(C1)).toBe(true);
    expect(client.typing(C1)).toBe(false);
    expect(client.typing(C2)).toBe(true);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(client.typing(C1)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(client.typing(C1)).toBe(true);
    expect(socket.of("typing")).toEqual([
      { type: "typing", conversationId: C1 },
      { type: "typing", conversationId: C2 },
      { type: "typing", conversationId: C1 },
    ]);
  });

  it("resets a conversation's typing throttle when a message is sent there", async () => {
    const { client } = setup();
    const socket = await open(client);
    expect(client.typing(C1)).toBe(true);
    expect(client.typing(C2)).toBe(true);
    client.send(C1, "done typing");
    expect(client.typing(C1)).toBe(true); // the next message starts at once
    expect(client.typing(C2)).toBe(false); // other conversations keep their throttle
    expect(socket.of("typing").map((f) => f.conversationId)).toEqual([C1, C2, C1]);
  });

  it("emits presence and typing frames", async () => {
    const { client } = setup();
    const seen: string[] = [];
    client.on("presence", (p) => seen.push(`${p.userId}:${p.status}`));
    client.on("typing", (t) => seen.push(`typing:${t.userId}`));
    const socket = await open(client);
    socket.serverSends({ type: "presence", userId: "u2", status: "online", statusText: "" });
    socket.serverSends({ type: "typing", conversationId: C1, userId: "u2" });
    expect(seen).toEqual(["u2:online", "typing:u2"]);
  });
});
