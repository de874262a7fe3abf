import {
  CloseCode,
  goingAwayReason,
  MAX_RECONNECT_WINDOW_MS,
  PROTOCOL_VERSION,
  type TServerEvent,
} from "@parley/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ParleyConnection } from "./connection.ts";
import { canTransition, type TStateChange } from "./state.ts";

/** A scripted stand-in for a WebSocket: the test plays the server. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  /** The upgrade succeeded; no welcome yet. */
  serverAccepts() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverOpens(welcome: Partial<Extract<TServerEvent, { type: "welcome" }>> = {}) {
    this.serverAccepts();
    this.serverSends({
      type: "welcome",
      protocolVersion: PROTOCOL_VERSION,
      userId: "u1",
      connectionId: `c${FakeSocket.instances.length}`,
      heartbeatMs: 1_000,
      ...welcome,
    });
  }
  serverSends(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverCloses(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function latest(): FakeSocket {
  const socket = FakeSocket.instances.at(-1);
  if (!socket) throw new Error("no socket was opened");
  return socket;
}

function setup(overrides: Partial<ConstructorParameters<typeof ParleyConnection>[0]> = {}) {
  const connection = new ParleyConnection({
    url: "ws://gateway/ws?ticket=t",
    WebSocket: FakeSocket,
    backoff: { baseMs: 100, maxMs: 1_000 },
    pongTimeoutMs: 500,
    connectTimeoutMs: 2_000,
    random: () => 0.5,
    ...overrides,
  });
  const changes: TStateChange[] = [];
  connection.on("state", (c) => changes.push(c));
  return { connection, changes };
}

/** Lets the async URL resolution inside connect() run. */
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.instances = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe("state machine", () => {
  it("allows only the documented transitions", () => {
    expect(canTransition("idle", "connecting")).toBe(true);
    expect(canTransition("connecting", "open")).toBe(true);
    expect(canTransition("open", "reconnecting")).toBe(true);
    expect(canTransition("reconnecting", "connecting")).toBe(true);
    expect(canTransition("closed", "connecting")).toBe(true);
    expect(canTransition("idle", "open")).toBe(false);
    expect(canTransition("reconnecting", "open")).toBe(false);
    expect(canTransition("open", "connecting")).toBe(false);
  });
});

describe("ParleyConnection", () => {
  it("goes idle → connecting → open on welcome and sends hello", async () => {
    const { connection, changes } = setup({ getResumeState: () => ({ userCursor: 4 }) });
    expect(connection.state).toBe("idle");
    connection.connect();
    await flush();
    expect(connection.state).toBe("connecting");
    latest().serverOpens();
    expect(connection.state).toBe("open");
    expect(connection.welcome?.userId).toBe("u1");
    expect(changes.map((c) => `${c.from}→${c.to}: ${c.reason}`)).toEqual([
      "idle→connecting: connect() called",
      "connecting→open: welcome received",
    ]);
    expect(latest().sent).toEqual([{ type: "hello", protocolVersion: PROTOCOL_VERSION, userCursor: 4 }]);
  });

  it("reconnects with backoff after the socket drops, and gets a fresh URL each time", async () => {
    let n = 0;
    const { connection, changes } = setup({ url: async () => `ws://gateway/ws?ticket=${++n}` });
    connection.connect();
    await flush();
    latest().serverOpens();
    latest().serverCloses(1006);
    expect(connection.state).toBe("reconnecting");
    expect(changes.at(-1)).toMatchObject({ from: "open", to: "reconnecting", code: 1006 });
    expect(changes.at(-1)?.reason).toContain("1006");

    // First retry: full jitter over 100 ms with random() = 0.5 → 50 ms.
    await vi.advanceTimersByTimeAsync(49);
    expect(FakeSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(connection.state).toBe("connecting");
    expect(changes.at(-1)?.reason).toBe("retry after 50 ms");
    expect(latest().url).toBe("ws://gateway/ws?ticket=2");
    latest().serverOpens();
    expect(connection.state).toBe("open");
  });

  it("backs off longer after each failed attempt and resets once open", async () => {
    const { connection, changes } = setup();
    connection.connect();
    await flush();
    latest().serverCloses(1006);
    await vi.advanceTimersByTimeAsync(50);
    latest().serverCloses(1006);
    await vi.advanceTimersByTimeAsync(100);
    latest().serverCloses(1006);
    await vi.advanceTimersByTimeAsync(200);
    const retries = changes.filter((c) => c.to === "connecting").map((c) => c.reason);
    expect(retries).toEqual([
      "connect() called",
      "retry after 50 ms",
      "retry after 100 ms",
      "retry after 200 ms",
    ]);
    latest().serverOpens();
    latest().serverCloses(CloseCode.GoingAway, "server shutting down");
    await vi.advanceTimersByTimeAsync(50);
    expect(changes.at(-1)?.reason).toBe("retry after 50 ms");
  });

  it("stops for good on a terminal close code", async () => {
    const { connection, changes } = setup();
    connection.connect();
    await flush();
    latest().serverOpens();
    latest().serverCloses(CloseCode.Unauthorized, "session revoked");
    expect(connection.state).toBe("closed");
    expect(changes.at(-1)).toMatchObject({ from: "open", to: "closed", code: 4401 });
    expect(changes.at(-1)?.reason).toContain("session revoked");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it.each([CloseCode.FrameTooLarge, 1009])(
    "on %i hands the largest frame of that socket to onFrameTooLarge and reconnects only if it is dropped",
    async (code) => {
      const blamed: unknown[] = [];
      let isDropped = true;
      const { connection } = setup({
        onFrameTooLarge: (command, bytes) => {
          blamed.push([command, bytes]);
          return isDropped;
        },
      });
      connection.connect();
      await flush();
      latest().serverOpens();
      const big = { type: "typing", conversationId: "é".repeat(100) } as const;
      connection.send({ type: "ping", id: "small" });
      connection.send(big);
      connection.send({ type: "ping", id: "after" });
      latest().serverCloses(code);
      // The hello is ~50 bytes; the typing frame carries 100 two-byte characters.
      expect(blamed).toEqual([[big, JSON.stringify(big).length + 100]]);
      expect(connection.state).toBe("reconnecting");

      await vi.advanceTimersByTimeAsync(1_000);
      latest().serverOpens();
      isDropped = false;
      latest().serverCloses(code);
      expect(blamed.at(-1)).toMatchObject([{ type: "hello" }, expect.any(Number)]);
      expect(connection.state).toBe("closed");
    },
  );

  it("waits longer after being rate limited", async () => {
    const { connection, changes } = setup();
    connection.connect();
    await flush();
    latest().serverOpens();
    latest().serverCloses(CloseCode.RateLimited);
    expect(connection.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1_000);
    // attempt ≥ 4: min(1000, 100·16) · 0.5 = 500 ms instead of 50.
    expect(changes.at(-1)?.reason).toBe("retry after 500 ms");
  });

  it("declares the socket dead when nothing arrives after a ping", async () => {
    const { connection, changes } = setup();
    connection.connect();
    await flush();
    const socket = latest();
    socket.serverOpens(); // heartbeatMs 1000
    await vi.advanceTimersByTimeAsync(1_000);
    expect(socket.sent.at(-1)).toMatchObject({ type: "ping" });
    socket.serverSends({ type: "pong", id: "ping-1" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(connection.state).toBe("open");
    await vi.advanceTimersByTimeAsync(499);
    expect(connection.state).toBe("open");
    await vi.advanceTimersByTimeAsync(1);
    expect(connection.state).toBe("reconnecting");
    expect(changes.at(-1)?.reason).toMatch(/no frame from the server within 500 ms/);
    expect(socket.closedWith?.code).toBe(CloseCode.HeartbeatTimeout);
  });

  it("gives up an attempt whose socket never opens, and one that opens but never gets a welcome", async () => {
    const { connection, changes } = setup({ welcomeTimeoutMs: 5_000 });
    connection.connect();
    await flush();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(connection.state).toBe("reconnecting");
    expect(changes.at(-1)?.reason).toMatch(/socket not open within 2000 ms/);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(connection.state).toBe("connecting");
    latest().serverAccepts();
    // Open: the (longer) welcome wait replaces the opening timeout.
    await vi.advanceTimersByTimeAsync(4_999);
    expect(connection.state).toBe("connecting");
    await vi.advanceTimersByTimeAsync(1);
    expect(connection.state).toBe("reconnecting");
    expect(changes.at(-1)?.reason).toMatch(/no welcome within 5000 ms/);
  });

  it("keeps an error handler on a socket it gives up while connecting (Node's ws emits one)", async () => {
    const { connection } = setup();
    connection.connect();
    await flush();
    const abandoned = latest();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(abandoned.closedWith).not.toBeNull();
    expect(typeof abandoned.onerror).toBe("function");
    expect(() =>
      abandoned.onerror?.(new Error("closed before the connection was established")),
    ).not.toThrow();
  });

  it("retries when the URL (ticket) cannot be fetched", async () => {
    const { connection, changes } = setup({
      url: () => {
        throw new Error("fetch failed");
      },
    });
    connection.connect();
    await flush();
    expect(connection.state).toBe("reconnecting");
    expect(changes.at(-1)?.reason).toContain("fetch failed");
  });

  it("disconnect() closes the socket and cancels pending retries", async () => {
    const { connection, changes } = setup();
    connection.connect();
    await flush();
    latest().serverCloses(1006);
    connection.disconnect();
    expect(connection.state).toBe("closed");
    expect(changes.at(-1)).toMatchObject({
      from: "reconnecting",
      to: "closed",
      reason: "disconnect() called",
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.instances).toHaveLength(1);

    connection.connect();
    await flush();
    latest().serverOpens();
    connection.disconnect("user signed out");
    expect(latest().closedWith).toEqual({ code: 1000, reason: "user signed out" });
  });

  it("opens one socket when disconnect() and connect() race a slow URL fetch", async () => {
    const { connection } = setup({
      url: () =>
        new Promise<string>((resolve) => setTimeout(() => resolve("ws://gateway/ws?ticket=slow"), 100)),
    });
    connection.connect();
    connection.disconnect();
    connection.connect();
    await vi.advanceTimersByTimeAsync(200);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(connection.state).toBe("connecting");
  });

  it("refuses a server that speaks another protocol version", async () => {
    const { connection, changes } = setup();
    connection.connect();
    await flush();
    latest().serverOpens({ protocolVersion: PROTOCOL_VERSION + 1 });
    expect(connection.state).toBe("closed");
    expect(changes.at(-1)?.code).toBe(CloseCode.UnsupportedVersion);
  });

  it("delivers frames to listeners, ignores unknown ones, and only sends while open", async () => {
    const { connection } = setup();
    const frames: TServerEvent[] = [];
    connection.on("frame", (f) => frames.push(f));
    expect(connection.send({ type: "ping" })).toBe(false);
    connection.connect();
    await flush();
    latest().serverOpens();
    latest().serverSends({ type: "presence.changed", userId: "u2" });
    latest().serverSends({ type: "ack", id: "c1", seq: 3 });
    expect(frames.map((f) => f.type)).toEqual(["welcome", "ack"]);
    expect(connection.send({ type: "ping", id: "p" })).toBe(true);
  });
});

describe("reconnect storms: the first attempt spreads over the gateway's window", () => {
  /** The delays of the retries so far ("retry after N ms"). */
  const retryDelays = (changes: TStateChange[]) =>
    changes
      .filter((c) => c.to === "connecting" && c.reason.startsWith("retry after"))
      .map((c) => Number(/retry after (\d+) ms/.exec(c.reason)?.[1]));

  it("after a 4000 that says 'reconnect within N ms', waits random × N before the first attempt", async () => {
    const { connection, changes } = setup({ random: () => 0.75 });
    connection.connect();
    await flush();
    latest().serverOpens();
    latest().serverCloses(CloseCode.GoingAway, goingAwayReason(8_000));
    await vi.advanceTimersByTimeAsync(5_999);
    expect(FakeSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.instances).toHaveLength(2);
    expect(retryDelays(changes)).toEqual([6_000]);
  });

  it("after a SIGKILL (1006, no notice) uses the last window from welcome, refreshed by pong", async () => {
    const { connection, changes } = setup({ random: () => 0.5, pingIntervalMs: 100 });
    connection.connect();
    await flush();
    latest().serverOpens({ reconnectWindowMs: 4_000 });
    await vi.advanceTimersByTimeAsync(100);
    latest().serverSends({ type: "pong", id: "ping-1", reconnectWindowMs: 9_000 });
    latest().serverCloses(1006);
    await vi.advanceTimersByTimeAsync(4_500);
    expect(retryDelays(changes)).toEqual([4_500]);
    expect(connection.state).toBe("connecting");
  });

  it("uses exponential backoff after the first attempt, and the base when no window is known", async () => {
    const { connection, changes } = setup({ random: () => 0.5 });
    connection.connect();
    await flush();
    latest().serverOpens({ reconnectWindowMs: 10_000 });
    latest().serverCloses(1006);
    await vi.advanceTimersByTimeAsync(5_000);
    latest().serverCloses(1006); // the survivor refused: back to ordinary backoff
    await vi.advanceTimersByTimeAsync(100);
    expect(retryDelays(changes)).toEqual([5_000, 100]);

    const plain = setup({ random: () => 0.5 });
    plain.connection.connect();
    await flush();
    latest().serverOpens();
    latest().serverCloses(1006);
    await vi.advanceTimersByTimeAsync(50);
    expect(retryDelays(plain.changes)).toEqual([50]);
  });

  it("extends the attempt's timeouts by the window, so a busy survivor is not abandoned", async () => {
    const { connection, changes } = setup({ random: () => 0, welcomeTimeoutMs: 3_000 });
    connection.connect();
    await flush();
    latest().serverOpens({ reconnectWindowMs: 6_000 });
    latest().serverCloses(1006);
    await flush();
    await vi.advanceTimersByTimeAsync(2_000 + 6_000 - 1);
    expect(connection.state).toBe("connecting");
    latest().serverAccepts();
    await vi.advanceTimersByTimeAsync(3_000 + 6_000 - 1);
    expect(connection.state).toBe("connecting");
    await vi.advanceTimersByTimeAsync(1);
    expect(changes.at(-1)?.reason).toMatch(/no welcome within 9000 ms/);
  });

  it("never waits longer than MAX_RECONNECT_WINDOW_MS, whatever a server says", async () => {
    const { connection, changes } = setup({ random: () => 0.999_999 });
    connection.connect();
    await flush();
    latest().serverOpens({ reconnectWindowMs: 10 * MAX_RECONNECT_WINDOW_MS });
    latest().serverCloses(1006);
    await vi.advanceTimersByTimeAsync(MAX_RECONNECT_WINDOW_MS);
    expect(retryDelays(changes)[0]).toBeLessThan(MAX_RECONNECT_WINDOW_MS);
  });
});
