/**
 * The outbox against a scripted server that stores and dedups like core: poison messages,
 * permanent and transient refusals, rate limits, lost sockets and the frame limit. The property
 * at the end throws random sequences of all of these at it.
 */
import { CloseCode, ErrorCode, PROTOCOL_VERSION } from "@parley/protocol";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ParleyClient,
  SEND_ERROR_POLICY,
  sendErrorPolicy,
  type TClientOptions,
  type TOutboxEntry,
} from "./client.ts";

const C1 = "00000000-0000-4000-8000-0000000000c1";
const C2 = "00000000-0000-4000-8000-0000000000c2";

type TFrame = { type: string; id?: string; [key: string]: unknown };
type TSendFrame = { type: "send"; id: string; conversationId: string; clientMsgId: string; body: string };

/** A scripted stand-in for a WebSocket: the test plays the server. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  readonly sent: TFrame[] = [];
  readonly answered = new Set<string>();
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as TFrame);
  }
  close() {
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
      heartbeatMs: 600_000,
    });
  }
  serverSends(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverCloses(code: number, reason = "") {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** `send` frames of this socket not answered yet, oldest first. */
  unanswered(): TSendFrame[] {
    return this.sent.filter((f): f is TSendFrame => f.type === "send" && !this.answered.has(f.id as string));
  }
  sends(): TSendFrame[] {
    return this.sent.filter((f): f is TSendFrame => f.type === "send");
  }
}

function latest(): FakeSocket {
  const socket = FakeSocket.instances.at(-1);
  if (!socket) throw new Error("no socket was opened");
  return socket;
}

/** The server's message store: one seq counter per conversation, dedup on clientMsgId (like core). */
class FakeServer {
  readonly #lastSeq = new Map<string, number>();
  readonly stored = new Map<string, { conversationId: string; seq: number; body: string }>();

  store(frame: TSendFrame): number {
    const existing = this.stored.get(frame.clientMsgId);
    if (existing) return existing.seq;
    const seq = (this.#lastSeq.get(frame.conversationId) ?? 0) + 1;
    this.#lastSeq.set(frame.conversationId, seq);
    this.stored.set(frame.clientMsgId, { conversationId: frame.conversationId, seq, body: frame.body });
    return seq;
  }
  ack(socket: FakeSocket, frame: TSendFrame): void {
    const seq = this.store(frame);
    socket.answered.add(frame.id);
    socket.serverSends({
      type: "ack",
      id: frame.id,
      clientMsgId: frame.clientMsgId,
      seq,
      messageId: `m-${frame.clientMsgId}`,
    });
  }
  refuse(socket: FakeSocket, frame: TSendFrame, code: string, retryAfterMs?: number): void {
    socket.answered.add(frame.id);
    socket.serverSends({
      type: "error",
      id: frame.id,
      code,
      message: `refused: ${code}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
}

let uuidCounter = 0;

function setup(overrides: Partial<TClientOptions> = {}) {
  const client = new ParleyClient({
    url: "ws://gateway/ws?ticket=t",
    WebSocket: FakeSocket,
    backoff: { baseMs: 100, maxMs: 1_000 },
    sendBackoff: { baseMs: 100, maxMs: 1_000 },
    maxSendRetries: 3,
    random: () => 0.5,
    randomUUID: () => `00000000-0000-4000-8000-${String(++uuidCounter).padStart(12, "0")}`,
    ...overrides,
  });
  return { client, server: new FakeServer() };
}

async function open(client: ParleyClient): Promise<FakeSocket> {
  client.connect();
  await vi.advanceTimersByTimeAsync(0);
  const socket = latest();
  socket.serverOpens();
  return socket;
}

/** After a lost socket: lets the reconnect timer fire and plays the new socket's welcome. */
async function reconnect(): Promise<FakeSocket> {
  const before = FakeSocket.instances.length;
  await vi.advanceTimersByTimeAsync(1_000);
  const socket = latest();
  expect(FakeSocket.instances.length).toBe(before + 1);
  socket.serverOpens();
  return socket;
}

function entry(client: ParleyClient, clientMsgId: string): TOutboxEntry | undefined {
  return client.getOutbox().find((e) => e.clientMsgId === clientMsgId);
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.instances = [];
});
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
});

describe("refusals", () => {
  it("a poison message (INTERNAL every time) fails after maxSendRetries and the next message goes out", async () => {
    const { client, server } = setup();
    const socket = await open(client);
    const poison = client.send(C1, "poison");
    const next = client.send(C1, "next");
    for (let round = 0; round < 20; round++) {
      for (const frame of socket.unanswered()) {
        if (frame.clientMsgId === poison.clientMsgId) server.refuse(socket, frame, ErrorCode.Internal);
        else server.ack(socket, frame);
      }
      await vi.advanceTimersByTimeAsync(1_000);
    }
    await expect(poison.promise).rejects.toMatchObject({ code: ErrorCode.Internal });
    // 1 try + 3 retries, all with the same clientMsgId; then the next message is stored.
    expect(socket.sends().filter((f) => f.clientMsgId === poison.clientMsgId)).toHaveLength(4);
    expect(entry(client, poison.clientMsgId)).toMatchObject({ status: "failed", attempts: 4 });
    await expect(next.promise).resolves.toMatchObject({ seq: 1 });
  });

  it("backs off with capped full jitter between transient retries", async () => {
    const { client, server } = setup({ maxSendRetries: 5, sendBackoff: { baseMs: 100, maxMs: 300 } });
    const socket = await open(client);
    client.send(C1, "poison");
    const waits: number[] = [];
    let last = Date.now();
    for (let i = 0; i < 6; i++) {
      const [frame] = socket.unanswered();
      if (!frame) break;
      waits.push(Date.now() - last);
      server.refuse(socket, frame, ErrorCode.Internal);
      last = Date.now();
      while (socket.unanswered().length === 0 && Date.now() - last < 10_000)
        await vi.advanceTimersByTimeAsync(1);
    }
    // random() = 0.5: half of min(300, 100·2^n) → 50, 100, 150, 150, 150.
    expect(waits.slice(1)).toEqual([50, 100, 150, 150, 150]);
    expect(client.getOutbox()[0]?.status).toBe("failed");
  });

  it.each(
    Object.entries(SEND_ERROR_POLICY)
      .filter(([, policy]) => policy === "fail")
      .map(([code]) => code),
  )("fails a message refused with %s at once and sends the next", async (code) => {
    const { client, server } = setup();
    const socket = await open(client);
    const bad = client.send(C1, "bad");
    const next = client.send(C1, "next");
    const [frame] = socket.unanswered();
    if (!frame) throw new Error("nothing sent");
    server.refuse(socket, frame, code);
    await expect(bad.promise).rejects.toMatchObject({ code, clientMsgId: bad.clientMsgId });
    expect(entry(client, bad.clientMsgId)).toMatchObject({ status: "failed", attempts: 1, error: { code } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(socket.sends().filter((f) => f.clientMsgId === bad.clientMsgId)).toHaveLength(1);
    expect(socket.unanswered().map((f) => f.clientMsgId)).toEqual([next.clientMsgId]);
  });

  it("classifies every ErrorCode; unknown codes are transient", () => {
    expect(Object.keys(SEND_ERROR_POLICY).sort()).toEqual(Object.values(ErrorCode).sort());
    expect(sendErrorPolicy(ErrorCode.Internal)).toBe("retry");
    expect(sendErrorPolicy(ErrorCode.TooManyRequests)).toBe("wait");
    expect(sendErrorPolicy(ErrorCode.Forbidden)).toBe("fail");
    expect(sendErrorPolicy("SOMETHING_NEW")).toBe("retry");
    expect(sendErrorPolicy("constructor")).toBe("retry");
  });

  it("waits retryAfterMs on TOO_MANY_REQUESTS and keeps retrying (no bound), then sends", async () => {
    const { client, server } = setup();
    const socket = await open(client);
    const a = client.send(C1, "a");
    for (let i = 0; i < 10; i++) {
      const [frame] = socket.unanswered();
      if (!frame) throw new Error(`not resent (${i})`);
      server.refuse(socket, frame, ErrorCode.TooManyRequests, 250);
      await vi.advanceTimersByTimeAsync(249);
      expect(socket.unanswered()).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
    }
    const [frame] = socket.unanswered();
    if (!frame) throw new Error("not resent");
    expect(frame.clientMsgId).toBe(a.clientMsgId);
    server.ack(socket, frame);
    await expect(a.promise).resolves.toMatchObject({ seq: 1 });
  });

  it("does not count lost sockets as failures: the same clientMsgId is resent after the welcome", async () => {
    const { client, server } = setup({ maxSendRetries: 2 });
    let socket = await open(client);
    const a = client.send(C1, "a");
    for (let i = 0; i < 5; i++) {
      socket.serverCloses(1006);
      socket = await reconnect();
    }
    for (let i = 0; i < 2; i++) {
      const [frame] = socket.unanswered();
      if (!frame) throw new Error("not resent");
      server.refuse(socket, frame, ErrorCode.Internal);
      socket.serverCloses(1006); // during the backoff: the retry waits for the next welcome
      socket = await reconnect();
    }
    expect(entry(client, a.clientMsgId)?.status).toBe("sending");
    const [frame] = socket.unanswered();
    if (!frame) throw new Error("not resent");
    expect(frame.clientMsgId).toBe(a.clientMsgId);
    server.refuse(socket, frame, ErrorCode.Internal); // the third transient refusal: retries used up
    await expect(a.promise).rejects.toMatchObject({ code: ErrorCode.Internal });
    expect(entry(client, a.clientMsgId)?.attempts).toBe(8);
  });

  it("a manual retry puts a failed message back, after the queue, with the same clientMsgId and fresh retries", async () => {
    const { client, server } = setup({ maxSendRetries: 1 });
    const socket = await open(client);
    const a = client.send(C1, "a");
    for (let i = 0; i < 2; i++) {
      const [frame] = socket.unanswered();
      if (frame) server.refuse(socket, frame, ErrorCode.Internal);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    await expect(a.promise).rejects.toMatchObject({ code: ErrorCode.Internal });
    const b = client.send(C1, "b");
    const again = client.retry(a.clientMsgId);
    expect(socket.unanswered().map((f) => f.body)).toEqual(["b"]);
    server.ack(socket, socket.unanswered()[0] as TSendFrame);
    const [retried] = socket.unanswered();
    expect(retried).toMatchObject({ clientMsgId: a.clientMsgId, body: "a" });
    server.refuse(socket, retried as TSendFrame, ErrorCode.Internal); // one retry is allowed again
    await vi.advanceTimersByTimeAsync(1_000);
    server.ack(socket, socket.unanswered()[0] as TSendFrame);
    await expect(again).resolves.toMatchObject({ seq: 2 });
    await expect(b.promise).resolves.toMatchObject({ seq: 1 });
  });
});

describe("frame limit", () => {
  it("fails a message whose encoded frame would exceed maxFrameBytes without sending it, and sends the next", async () => {
    const { client, server } = setup({ maxFrameBytes: 30_000 });
    const socket = await open(client);
    // 20,000 characters, well under the body limit, but JSON escapes each `"` as \": a 40 KB
    // frame. The limit is on the encoded frame, not on the body's length.
    const huge = client.send(C1, '"'.repeat(20_000));
    const next = client.send(C1, "next");
    await expect(huge.promise).rejects.toMatchObject({
      code: ErrorCode.FrameTooLarge,
      message: "The message is too large to send: its frame exceeds 30000 bytes",
      // Translatable like the server's texts (apps/web's catalog has the template).
      template: "The message is too large to send: its frame exceeds {bytes} bytes",
      params: { bytes: 30_000 },
    });
    expect(entry(client, huge.clientMsgId)).toMatchObject({ status: "failed", attempts: 0 });
    expect(socket.sends().map((f) => f.clientMsgId)).toEqual([next.clientMsgId]);
    server.ack(socket, socket.unanswered()[0] as TSendFrame);
    await expect(next.promise).resolves.toMatchObject({ seq: 1 });
    // Retrying it fails the same way, still without a frame.
    await expect(client.retry(huge.clientMsgId)).rejects.toMatchObject({ code: ErrorCode.FrameTooLarge });
    expect(socket.sends()).toHaveLength(1);
  });

  it("fails it at once while offline too", async () => {
    const { client } = setup({ maxFrameBytes: 1_000 });
    const big = client.send(C1, "x".repeat(1_000));
    await expect(big.promise).rejects.toMatchObject({ code: ErrorCode.FrameTooLarge });
    const socket = await open(client);
    expect(socket.sends()).toEqual([]);
  });

  it.each([CloseCode.FrameTooLarge, 1009])(
    "when the server closes %i on a message, fails that message, reconnects and sends the rest",
    async (code) => {
      const { client, server } = setup();
      const states: string[] = [];
      client.on("state", (c) => states.push(c.to));
      const first = await open(client);
      // Under our limit but over this server's (a gateway configured lower, or a proxy).
      const big = client.send(C1, "x".repeat(100_000));
      const other = client.send(C2, "other conversation");
      const next = client.send(C1, "next");
      first.serverCloses(code, "frame too large");
      await expect(big.promise).rejects.toMatchObject({ code: ErrorCode.FrameTooLarge });
      expect(client.state).toBe("reconnecting");
      const second = await reconnect();
      expect(
        second
          .sends()
          .map((f) => f.body)
          .sort(),
      ).toEqual(["next", "other conversation"]);
      for (const frame of second.unanswered()) server.ack(second, frame);
      await expect(next.promise).resolves.toMatchObject({ seq: 1 });
      await expect(other.promise).resolves.toMatchObject({ seq: 1 });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(
        FakeSocket.instances.flatMap((s) => s.sends()).filter((f) => f.body.length > 1_000),
      ).toHaveLength(1);
      expect(states).not.toContain("closed");
    },
  );

  it("stops (closed) on 4413 when no message on the wire can be blamed: reconnecting would loop", async () => {
    const { client } = setup();
    const socket = await open(client);
    socket.serverCloses(CloseCode.FrameTooLarge);
    expect(client.state).toBe("closed");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });
});

// ── the property ────────────────────────────────────────────────────────────────────────────────

/** poison: the server fails it with INTERNAL every time; big: over this server's frame limit; huge: over the protocol's. */
type TKind = "ok" | "poison" | "big" | "huge";
type TAction =
  | { t: "send"; conv: 0 | 1; kind: TKind }
  | { t: "ack"; pick: number }
  | { t: "permanent"; pick: number; code: string }
  | { t: "transient"; pick: number; code: string }
  | { t: "rateLimited"; pick: number; retryAfterMs: number | undefined }
  | { t: "storeAndDrop"; pick: number }
  | { t: "disconnect" }
  | { t: "reconnect" }
  | { t: "tick"; ms: number }
  | { t: "retry"; pick: number };

const PERMANENT = Object.entries(SEND_ERROR_POLICY)
  .filter(([, p]) => p === "fail")
  .map(([code]) => code);
const SERVER_FRAME_LIMIT = 20_000;
/** The client's own frame limit in the property: above the server's, so `big` goes out and `huge` does not. */
const CLIENT_FRAME_LIMIT = 60_000;
const BODY: Record<TKind, string> = {
  ok: "hello",
  poison: "poison",
  big: "b".repeat(SERVER_FRAME_LIMIT),
  // 40,000 characters whose escapes (\") make an 80 KB frame: over the client's limit.
  huge: '"'.repeat(CLIENT_FRAME_LIMIT / 1.5),
};

const action: fc.Arbitrary<TAction> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant("send" as const),
      conv: fc.constantFrom(0 as const, 1 as const),
      kind: fc.constantFrom<TKind>("ok", "ok", "ok", "ok", "poison", "big", "huge"),
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("ack" as const), pick: fc.nat(3) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("permanent" as const),
      pick: fc.nat(3),
      code: fc.constantFrom(...PERMANENT),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("transient" as const),
      pick: fc.nat(3),
      code: fc.constantFrom<string>(ErrorCode.Internal, "SOMETHING_NEW"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("rateLimited" as const),
      pick: fc.nat(3),
      retryAfterMs: fc.option(fc.nat(3_000), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("storeAndDrop" as const), pick: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ t: "disconnect" as const }) },
  { weight: 2, arbitrary: fc.constant({ t: "reconnect" as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("tick" as const), ms: fc.nat(3_000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("retry" as const), pick: fc.nat(3) }) },
);

/** Runs one scenario and checks the outbox's promises; returns a description of a violation, or null. */
async function runScenario(actions: TAction[]): Promise<void> {
  FakeSocket.instances = [];
  const { client, server } = setup({ maxSendRetries: 2, maxFrameBytes: CLIENT_FRAME_LIMIT });
  const kinds = new Map<string, TKind>();
  /** Send order per conversation: `send` appends, `retry` moves the entry to the end. */
  const order: string[] = [];
  const outcome = new Map<string, { seq: number } | { code: string }>();
  const track = (clientMsgId: string, promise: Promise<{ seq: number }>) => {
    outcome.delete(clientMsgId);
    promise.then(
      (r) => outcome.set(clientMsgId, { seq: r.seq }),
      (e: { code: string }) => outcome.set(clientMsgId, { code: e.code }),
    );
  };
  const live = () => {
    const socket = FakeSocket.instances.at(-1);
    return socket && socket.readyState === 1 ? socket : null;
  };
  /** The server reads what it was sent: a frame over its limit closes the socket (4413). */
  const serverReads = (socket: FakeSocket): boolean => {
    if (socket.unanswered().some((f) => f.body.length >= SERVER_FRAME_LIMIT)) {
      socket.serverCloses(CloseCode.FrameTooLarge, "frame too large");
      return false;
    }
    return true;
  };
  /** Normal service: dedup first, poison fails INTERNAL, the rest is stored. */
  const serve = (socket: FakeSocket, frame: TSendFrame) => {
    if (server.stored.has(frame.clientMsgId) || kinds.get(frame.clientMsgId) !== "poison")
      server.ack(socket, frame);
    else server.refuse(socket, frame, ErrorCode.Internal);
  };
  const picked = (socket: FakeSocket, pick: number): TSendFrame | undefined => {
    const frames = socket.unanswered();
    return frames[pick % Math.max(1, frames.length)];
  };

  client.connect();
  await vi.advanceTimersByTimeAsync(0);
  latest().serverOpens();

  for (const a of actions) {
    const socket = live();
    switch (a.t) {
      case "send": {
        const sent = client.send(a.conv === 0 ? C1 : C2, BODY[a.kind]);
        kinds.set(sent.clientMsgId, a.kind);
        order.push(sent.clientMsgId);
        track(sent.clientMsgId, sent.promise);
        break;
      }
      case "ack":
      case "permanent":
      case "transient":
      case "rateLimited":
      case "storeAndDrop": {
        if (!socket || !serverReads(socket)) break;
        const frame = picked(socket, a.pick);
        if (!frame) break;
        if (a.t === "ack" || server.stored.has(frame.clientMsgId)) serve(socket, frame);
        else if (a.t === "permanent" || a.t === "transient") server.refuse(socket, frame, a.code);
        else if (a.t === "rateLimited")
          server.refuse(socket, frame, ErrorCode.TooManyRequests, a.retryAfterMs);
        else if (kinds.get(frame.clientMsgId) === "poison") server.refuse(socket, frame, ErrorCode.Internal);
        else {
          server.store(frame); // stored, but the ack is lost with the socket
          socket.serverCloses(1006);
        }
        break;
      }
      case "disconnect":
        socket?.serverCloses(1006);
        break;
      case "reconnect": {
        await vi.advanceTimersByTimeAsync(1_000);
        const next = latest();
        if (next.readyState === 0) next.serverOpens();
        break;
      }
      case "tick":
        await vi.advanceTimersByTimeAsync(a.ms);
        break;
      case "retry": {
        const failed = client.getOutbox().filter((e) => e.status === "failed");
        const target = failed[a.pick % Math.max(1, failed.length)];
        if (!target) break;
        track(target.clientMsgId, client.retry(target.clientMsgId));
        order.splice(order.indexOf(target.clientMsgId), 1);
        order.push(target.clientMsgId);
        break;
      }
    }
  }

  // The server stops erroring (poison stays poison, big stays too big): everything must settle.
  for (let round = 0; round < 200; round++) {
    const unsettled = client.getOutbox().filter((e) => e.status === "pending" || e.status === "sending");
    if (unsettled.length === 0) break;
    expect(client.state).not.toBe("closed");
    const socket = live();
    if (socket) {
      if (serverReads(socket)) for (const frame of socket.unanswered()) serve(socket, frame);
    } else {
      const next = latest();
      if (next.readyState === 0) next.serverOpens();
    }
    await vi.advanceTimersByTimeAsync(1_000);
  }
  await vi.advanceTimersByTimeAsync(0);

  // No message is stuck: each one ended stored (its promise resolved) or failed.
  const stuck = client.getOutbox().filter((e) => e.status === "pending" || e.status === "sending");
  expect(stuck.map((e) => `${e.body.slice(0, 10)}:${e.status}`)).toEqual([]);
  for (const clientMsgId of order) {
    const result = outcome.get(clientMsgId);
    expect(result, `promise of ${clientMsgId} settled`).toBeDefined();
    const kind = kinds.get(clientMsgId);
    if (kind === "poison" || kind === "huge" || kind === "big") {
      // Never stored, never looping: failed with the reason.
      expect(server.stored.has(clientMsgId)).toBe(false);
      if (kind === "poison") expect(result).toHaveProperty("code");
      else expect(result).toEqual({ code: ErrorCode.FrameTooLarge });
    }
    if (result && "seq" in result) expect(result.seq).toBe(server.stored.get(clientMsgId)?.seq);
  }
  // The sender's order holds among the stored ones: seqs increase in send order per conversation.
  for (const conversationId of [C1, C2]) {
    const seqs = order
      .filter((id) => server.stored.get(id)?.conversationId === conversationId)
      .map((id) => server.stored.get(id)?.seq ?? -1);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  }
  client.disconnect();
  vi.clearAllTimers();
}

describe("property: any mix of acks, refusals and lost sockets", () => {
  it("leaves no message stuck and keeps the sender's order among the stored ones", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 60 }), (actions) => runScenario(actions)),
      { numRuns: 150 },
    );
  }, 120_000);
});
