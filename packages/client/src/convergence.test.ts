/**
 * Convergence under disorder (issue 14; Zulip's verify_action idea taken further): whatever order
 * the network hands a client its events in — shuffled, duplicated, lost with the connection that
 * carried them, overlapping the replays, with sync answers late or never — the SDK ends up having
 * delivered every conversation's log and the user's log exactly once, in seq order, with its
 * cursors at the end. The state test (apps/web/src/lib/live-state-*.integration.test.ts) proves
 * that a log applied in order by the web's reducers equals a fresh fetch; together: any delivery
 * converges to the server's state.
 *
 * Losses: with the connection that carried them (a cut, then a reconnect and its hello replay), or
 * alone on a socket that stays up (a lost publish), which the client sees at the next event.
 *
 * The server here is a model: per conversation and for the user a log that grows as the schedule
 * commits events; a live queue per socket (what the gateway pushed and the network still holds);
 * `hello` and `sync` answered from the log at answer time, at most REPLAY_LIMIT events per
 * conversation per answer ("more" beyond), like the gateway.
 */
import {
  decodeConversationEvent,
  EventKind,
  PROTOCOL_VERSION,
  type TConversationEvent,
  type TUserEvent,
} from "@parley/protocol";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ParleyClient } from "./client.ts";
import { memoryCursorStore } from "./stores.ts";

const CONVERSATIONS = [
  "00000000-0000-4000-8000-0000000000c1",
  "00000000-0000-4000-8000-0000000000c2",
  "00000000-0000-4000-8000-0000000000c3",
];
const REPLAY_LIMIT = 5;

type TSent = { type: string; id?: string; cursors?: Record<string, number>; userCursor?: number };

/** A WebSocket stand-in; the model server below plays the other end. */
class ModelSocket {
  static instances: ModelSocket[] = [];
  readyState = 0;
  readonly inbox: TSent[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  constructor(readonly url: string) {
    ModelSocket.instances.push(this);
  }
  send(data: string) {
    this.inbox.push(JSON.parse(data) as TSent);
  }
  close() {
    this.readyState = 3;
  }
  push(frame: unknown) {
    if (this.readyState === 1) this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

type TItem = { kind: "conv"; k: number; seq: number } | { kind: "user"; seq: number };

type TStep =
  | { t: "commit"; k: number }
  | { t: "commitUser" }
  | { t: "deliver"; pick: number; dup: boolean }
  | { t: "lose"; pick: number }
  | { t: "answer"; pick: number }
  | { t: "loseAnswer"; pick: number }
  | { t: "cut" }
  | { t: "tick"; ms: number };

const step: fc.Arbitrary<TStep> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ t: fc.constant("commit" as const), k: fc.nat(CONVERSATIONS.length - 1) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("commitUser" as const) }) },
  {
    weight: 8,
    arbitrary: fc.record({ t: fc.constant("deliver" as const), pick: fc.nat(7), dup: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("lose" as const), pick: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("answer" as const), pick: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("loseAnswer" as const), pick: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("cut" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant("tick" as const), ms: fc.constantFrom(10, 60, 200, 1_500) }),
  },
);

/**
 * Every third event of a log is a `message.preview` of the log's first message, alternately
 * setting a preview and removing it (null): the final preview depends on applying them in order.
 */
function conversationEvent(k: number, seq: number): TConversationEvent {
  const base = {
    type: "event",
    conversationId: CONVERSATIONS[k]!,
    seq,
    actorId: "u2",
    createdAt: "2026-01-01T00:00:00.000Z",
  } as const;
  if (seq % 3 === 0) {
    const preview = seq % 2 === 0 ? null : { url: `https://example.com/${seq}`, title: `t${seq}` };
    return { ...base, kind: "message.preview", payload: { messageId: `m${k}`, preview } };
  }
  return { ...base, kind: "message.created", payload: { message: { body: `${k}#${seq}` } } };
}

/** The preview title the log up to `lastSeq` leaves on message `m${k}` (undefined: no preview event yet). */
function expectedPreview(lastSeq: number): string | null | undefined {
  const seq = lastSeq - (lastSeq % 3);
  if (seq === 0) return undefined;
  return seq % 2 === 0 ? null : `t${seq}`;
}

function userEvent(seq: number): TUserEvent {
  return { type: "user.event", seq, kind: "preferences.updated", payload: {} };
}

/** Runs one schedule against a real ParleyClient; returns what it delivered. */
async function run(steps: readonly TStep[]) {
  ModelSocket.instances = [];
  const lastSeq = CONVERSATIONS.map(() => 0);
  let lastUserSeq = 0;
  /** What the network still holds for the current socket, in push order. */
  let live: TItem[] = [];
  /** hello/sync requests of the current socket not answered yet. */
  let pending: TSent[] = [];
  let socket: ModelSocket | undefined;
  let read = 0;
  let cuts = 0;

  const cursorStore = memoryCursorStore();
  cursorStore.save({ conversations: {}, user: 0 });
  let uuid = 0;
  const client = new ParleyClient({
    url: "ws://gateway/ws?ticket=t",
    WebSocket: ModelSocket,
    cursorStore,
    backoff: { baseMs: 100, maxMs: 1_000 },
    random: () => 0.5,
    randomUUID: () => `00000000-0000-4000-8000-${String(++uuid).padStart(12, "0")}`,
    syncTimeoutMs: 1_000,
    syncRetryMs: 500,
  });
  const delivered = CONVERSATIONS.map((): number[] => []);
  const userDelivered: number[] = [];
  /** Each log's message preview as the delivered events leave it (applied in delivery order). */
  const previews = CONVERSATIONS.map((): string | null | undefined => undefined);
  client.on("event", (e) => {
    const k = CONVERSATIONS.indexOf(e.conversationId);
    delivered[k]?.push(e.seq);
    const decoded = decodeConversationEvent(e);
    if (decoded?.kind === EventKind.MessagePreview) previews[k] = decoded.payload.preview?.title ?? null;
  });
  client.on("userEvent", (e) => userDelivered.push(e.seq));
  for (const id of CONVERSATIONS) client.track(id, 0);

  /** Takes the client's new frames: hello and sync become requests to answer. */
  const collect = () => {
    if (!socket) return;
    for (; read < socket.inbox.length; read++) {
      const frame = socket.inbox[read]!;
      if (frame.type === "hello" || frame.type === "sync") pending.push(frame);
      // Heartbeats answered at once: a socket that stays up is not replaced by a reconnect.
      if (frame.type === "ping") socket.push({ type: "pong", ...(frame.id ? { id: frame.id } : {}) });
    }
  };

  /** Opens the client's newest socket if it made one we have not opened yet. */
  const acceptConnection = () => {
    const newest = ModelSocket.instances.at(-1);
    if (!newest || newest === socket || newest.readyState !== 0) return;
    socket = newest;
    read = 0;
    live = [];
    pending = [];
    socket.readyState = 1;
    socket.onopen?.({});
    socket.push({
      type: "welcome",
      protocolVersion: PROTOCOL_VERSION,
      userId: "u1",
      connectionId: `c${ModelSocket.instances.length}`,
      heartbeatMs: 60_000,
    });
  };

  const tick = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    acceptConnection();
    collect();
  };

  /** Answers a hello or sync from the log as it is now. */
  const answer = (request: TSent) => {
    const conversations = [];
    for (const [id, from] of Object.entries(request.cursors ?? {})) {
      const k = CONVERSATIONS.indexOf(id);
      const upTo = Math.min(lastSeq[k]!, from + REPLAY_LIMIT);
      for (let seq = from + 1; seq <= upTo; seq++) socket?.push(conversationEvent(k, seq));
      conversations.push({ conversationId: id, lastSeq: upTo, status: upTo < lastSeq[k]! ? "more" : "ok" });
    }
    let userSeq = lastUserSeq;
    let userStatus = "ok";
    if (request.userCursor !== undefined) {
      userSeq = Math.min(lastUserSeq, request.userCursor + REPLAY_LIMIT);
      for (let seq = request.userCursor + 1; seq <= userSeq; seq++) socket?.push(userEvent(seq));
      if (userSeq < lastUserSeq) userStatus = "more";
    }
    socket?.push({
      type: "synced",
      ...(request.type === "sync" ? { id: request.id } : {}),
      conversations,
      userSeq,
      userStatus,
    });
  };

  const deliver = (item: TItem) =>
    socket?.push(item.kind === "conv" ? conversationEvent(item.k, item.seq) : userEvent(item.seq));

  client.connect();
  await tick(0);

  for (const s of steps) {
    switch (s.t) {
      case "commit": {
        const seq = ++lastSeq[s.k]!;
        if (socket?.readyState === 1) live.push({ kind: "conv", k: s.k, seq });
        break;
      }
      case "commitUser": {
        const seq = ++lastUserSeq;
        if (socket?.readyState === 1) live.push({ kind: "user", seq });
        break;
      }
      case "deliver": {
        if (live.length === 0) break;
        const i = s.pick % live.length;
        const item = live[i]!;
        if (!s.dup) live.splice(i, 1);
        deliver(item);
        break;
      }
      case "lose": {
        // A publish lost on a socket that stays up (the fan-out logs it; the client must repair).
        if (live.length > 0) live.splice(s.pick % live.length, 1);
        break;
      }
      case "answer":
      case "loseAnswer": {
        if (pending.length === 0) break;
        const [request] = pending.splice(s.pick % pending.length, 1);
        // A lost answer: only a sync's (a hello's replay is the connection's own; losing it is a cut).
        if (s.t === "answer" || request!.type === "hello") answer(request!);
        break;
      }
      case "cut": {
        // The connection dies with whatever the network still held for it.
        if (socket?.readyState === 1) {
          cuts += 1;
          socket.readyState = 3;
          socket.onclose?.({ code: 1006, reason: "" });
        }
        live = [];
        pending = [];
        break;
      }
      case "tick":
        await tick(s.ms);
        break;
    }
    await tick(0);
  }

  // Calm: the network delivers what it holds, in order; the server answers everything; time
  // passes, so every grace period, timeout and reconnect runs out. A loss is visible to a client
  // only once a later event arrives (or at its next hello): one more event per log, delivered
  // live, makes every loss visible, as the next message in a conversation does.
  for (const [k] of CONVERSATIONS.entries()) {
    const seq = ++lastSeq[k]!;
    if (socket?.readyState === 1) live.push({ kind: "conv", k, seq });
  }
  const seq = ++lastUserSeq;
  if (socket?.readyState === 1) live.push({ kind: "user", seq });
  for (let round = 0; round < 60; round++) {
    await tick(2_000);
    for (const item of live.splice(0)) deliver(item);
    while (pending.length > 0) answer(pending.shift()!);
    await tick(0);
  }
  const connections = ModelSocket.instances.length;
  client.disconnect();
  return {
    connections,
    cuts,
    delivered,
    previews,
    userDelivered,
    lastSeq,
    lastUserSeq,
    client,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("convergence under disorder", () => {
  it("delivers every log exactly once, in order, whatever the network does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 120 }), async (steps) => {
        const { delivered, previews, userDelivered, lastSeq, lastUserSeq, client, connections, cuts } =
          await run(steps);
        // The calm phase reconnected nobody: repairs were the client's own, not a fresh hello's.
        expect(connections).toBe(1 + cuts);
        for (const [k, seqs] of delivered.entries()) {
          expect(seqs).toEqual(Array.from({ length: lastSeq[k]! }, (_, i) => i + 1));
          expect(client.cursor(CONVERSATIONS[k]!)).toBe(lastSeq[k]);
          // message.preview events, applied as delivered, leave the state the log does.
          expect(previews[k]).toBe(expectedPreview(lastSeq[k]!));
        }
        expect(userDelivered).toEqual(Array.from({ length: lastUserSeq }, (_, i) => i + 1));
      }),
      {
        numRuns: Number(process.env.CONVERGENCE_RUNS ?? 200),
        seed: process.env.CONVERGENCE_SEED ? Number(process.env.CONVERGENCE_SEED) : undefined,
      },
    );
  }, 120_000);
});
