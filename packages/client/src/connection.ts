/**
 * ParleyConnection: one logical connection to the realtime gateway that survives socket losses.
 * Modelled on centrifuge-js: an explicit state machine (see state.ts) with a reason on every
 * transition, full-jitter backoff between attempts, close codes that say whether to retry
 * (isTerminalCloseCode), and a ping watchdog because browsers hide WebSocket-level pings.
 *
 * Reconnect storms: when a gateway goes away, its whole crowd reconnects to the survivors. The
 * gateway tells its clients how widely to spread (a reconnect window sized by its crowd: in
 * `welcome`, refreshed by every `pong`, and in the reason of a 4000 close); the FIRST attempt after
 * losing an open connection waits a uniform random delay in [0, window) — also after a SIGKILL,
 * where no 4000 arrives and the last window heard is used (Discord-style clients do the same with a
 * fixed 1–5 s). Later attempts use the usual exponential full jitter. An attempt's timeouts are
 * split: `connectTimeoutMs` until the socket opens (the upgrade, auth included) and
 * `welcomeTimeoutMs` from then until `welcome`, both extended by the window, so an attempt queued
 * at a busy survivor is not abandoned (and retried, costing the survivor twice) just before its
 * turn.
 *
 * Works in browsers and Node: pass the WebSocket constructor (`globalThis.WebSocket` or `ws`).
 * Delivery, resume and the outbox live one level up, in ParleyClient (client.ts), which is what
 * apps should use; this class only keeps a socket alive and says why its state changed.
 */
import {
  CloseCode,
  encodeClientCommand,
  isTerminalCloseCode,
  MAX_RECONNECT_WINDOW_MS,
  PROTOCOL_VERSION,
  parseReconnectWindow,
  parseServerFrame,
  type TClientCommand,
  type THello,
  type TServerEvent,
  type TWelcome,
} from "@parley/protocol";
import { backoffDelay, DEFAULT_BACKOFF, type TBackoffOptions } from "./backoff.ts";
import { canTransition, type TConnectionState, type TStateChange } from "./state.ts";

/**
 * The slice of the WebSocket API this client uses. Handler slots take `never` so both the DOM
 * WebSocket and `ws` fit without depending on either's event types.
 */
export type TWebSocketLike = {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => unknown) | null;
  onmessage: ((event: never) => unknown) | null;
  onclose: ((event: never) => unknown) | null;
  onerror: ((event: never) => unknown) | null;
};

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` in Node. */
export type TWebSocketConstructor = new (url: string) => TWebSocketLike;

/** Options of ParleyConnection. */
export type TConnectionOptions = {
  /** Gateway URL, or a function called before every attempt (tickets live 60 s: mint a fresh one). */
  url: string | (() => string | Promise<string>);
  /** The WebSocket implementation. */
  WebSocket: TWebSocketConstructor;
  /** Reconnect backoff (full jitter). */
  backoff?: TBackoffOptions;
  /** How often to send `ping` while open; defaults to the server's `heartbeatMs` from `welcome`. */
  pingIntervalMs?: number;
  /** How long after a `ping` without any frame from the server before the socket is declared dead. */
  pongTimeoutMs?: number;
  /**
   * How long an attempt may take to open the socket (TCP, the HTTP upgrade and its auth), plus the
   * gateway's reconnect window. Default 15 s.
   */
  connectTimeoutMs?: number;
  /** How long an open socket may wait for `welcome`, plus the reconnect window. Default 30 s. */
  welcomeTimeoutMs?: number;
  /** What to put in `hello` (resume cursors); called after every `welcome`. */
  getResumeState?: () => Pick<THello, "cursors" | "userCursor">;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
  /**
   * Called when the server closed the socket with 4413 (or the standard 1009) because a frame was
   * too large, with the largest frame sent on that socket (the one over the limit) and its UTF-8
   * size. Return true when that frame will not be sent again (ParleyClient fails its outbox
   * message): the connection then reconnects. Otherwise, or without this option, it stops
   * (`closed`), since reconnecting would resend the frame in a loop.
   */
  onFrameTooLarge?: (command: TClientCommand, bytes: number) => boolean;
};

type TListeners = {
  /** Every state change, with its reason. */
  state: (change: TStateChange) => void;
  /** Every valid server frame (including welcome, pong, ack, error). */
  frame: (frame: TServerEvent) => void;
};

const WS_OPEN = 1;
/** The standard close code for a message over the receiver's limit (Message Too Big). */
const WS_MESSAGE_TOO_BIG = 1009;
/** Backoff attempt used after 4429, so a rate-limited client waits seconds, not milliseconds. */
const RATE_LIMITED_MIN_ATTEMPT = 4;

type TFrameData = { data: unknown };
type TCloseData = { code: number; reason: string };

const utf8 = new TextEncoder();

/** UTF-8 size of a string (of an encoded frame: what the server's frame limit counts). */
export function utf8ByteLength(text: string): number {
  return utf8.encode(text).byteLength;
}

function frameText(data: unknown): string | null {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    return new TextDecoder().decode(data as ArrayBuffer);
  }
  return null;
}

/** A self-healing connection to the Parley gateway. */
export class ParleyConnection {
  #state: TConnectionState = "idle";
  #socket: TWebSocketLike | null = null;
  #attempt = 0;
  #welcome: TWelcome | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  #pingCounter = 0;
  /** The last reconnect window a gateway gave (welcome, pong): spreads the first retry. */
  #reconnectWindowMs = 0;
  /** The largest frame sent on the current socket (the culprit when the server says 4413/1009). */
  #largestSent: { command: TClientCommand; bytes: number } | null = null;
  /** Bumped on every attempt and teardown, so a stale async attempt can tell it was superseded. */
  #generation = 0;
  readonly #options: Required<
    Omit<TConnectionOptions, "pingIntervalMs" | "getResumeState" | "onFrameTooLarge">
  > &
    Pick<TConnectionOptions, "pingIntervalMs" | "getResumeState" | "onFrameTooLarge">;
  readonly #listeners: { [K in keyof TListeners]: Set<TListeners[K]> } = {
    state: new Set(),
    frame: new Set(),
  };

  constructor(options: TConnectionOptions) {
    this.#options = {
      backoff: DEFAULT_BACKOFF,
      pongTimeoutMs: 10_000,
      connectTimeoutMs: 15_000,
      welcomeTimeoutMs: 30_000,
      random: Math.random,
      ...options,
    };
  }

  /** Current state. */
  get state(): TConnectionState {
    return this.#state;
  }

  /** The `welcome` of the current socket, while open. */
  get welcome(): TWelcome | null {
    return this.#welcome;
  }

  /** Subscribes to `state` or `frame`; returns the unsubscribe function. */
  on<K extends keyof TListeners>(event: K, listener: TListeners[K]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /** Starts connecting (no-op unless idle or closed). */
  connect(): void {
    if (this.#state !== "idle" && this.#state !== "closed") return;
    this.#attempt = 0;
    this.#transition("connecting", "connect() called");
    void this.#open();
  }

  /** Closes for good (until connect() is called again). */
  disconnect(reason = "disconnect() called"): void {
    if (this.#state === "closed") return;
    this.#teardown(1000, reason);
    this.#transition("closed", reason);
  }

  /** Sends a command if the connection is open; returns false (and sends nothing) otherwise. */
  send(command: TClientCommand): boolean {
    if (this.#state !== "open" || !this.#socket || this.#socket.readyState !== WS_OPEN) return false;
    const text = encodeClientCommand(command);
    // Cheap bound first: no frame of N UTF-16 units is larger than 3N bytes.
    if (this.#largestSent === null || text.length * 3 > this.#largestSent.bytes) {
      const bytes = utf8ByteLength(text);
      if (this.#largestSent === null || bytes > this.#largestSent.bytes)
        this.#largestSent = { command, bytes };
    }
    this.#socket.send(text);
    return true;
  }

  #emit<K extends keyof TListeners>(event: K, arg: Parameters<TListeners[K]>[0]): void {
    for (const listener of this.#listeners[event]) {
      try {
        (listener as (a: typeof arg) => void)(arg);
      } catch (err) {
        // A faulty listener must not break the connection's own bookkeeping.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  #transition(to: TConnectionState, reason: string, code?: number): void {
    const from = this.#state;
    if (!canTransition(from, to))
      throw new Error(`ParleyConnection: invalid transition ${from} → ${to} (${reason})`);
    this.#state = to;
    this.#emit("state", code === undefined ? { from, to, reason } : { from, to, reason, code });
  }

  async #open(): Promise<void> {
    const generation = ++this.#generation;
    let url: string;
    try {
      url = typeof this.#options.url === "string" ? this.#options.url : await this.#options.url();
    } catch (err) {
      if (generation !== this.#generation || this.#state !== "connecting") return;
      this.#retry(`could not get the gateway URL: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    // disconnect() (and maybe connect() again) happened while the URL was being fetched.
    if (generation !== this.#generation || this.#state !== "connecting") return;

    let socket: TWebSocketLike;
    try {
      socket = new this.#options.WebSocket(url);
    } catch (err) {
      this.#retry(`could not open a socket: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.#socket = socket;
    const openTimeoutMs = this.#options.connectTimeoutMs + this.#reconnectWindowMs;
    this.#connectTimer = setTimeout(() => {
      this.#teardown(CloseCode.HeartbeatTimeout, "connect timeout");
      this.#retry(`socket not open within ${openTimeoutMs} ms`);
    }, openTimeoutMs);

    socket.onopen = (() => {
      if (socket !== this.#socket || this.#state !== "connecting") return;
      // Upgraded (and authenticated): the gateway is registering this socket. Waiting longer here
      // is cheaper for a busy gateway than a retry that starts over.
      clearTimeout(this.#connectTimer);
      const welcomeTimeoutMs = this.#options.welcomeTimeoutMs + this.#reconnectWindowMs;
      this.#connectTimer = setTimeout(() => {
        this.#teardown(CloseCode.HeartbeatTimeout, "connect timeout");
        this.#retry(`no welcome within ${welcomeTimeoutMs} ms`);
      }, welcomeTimeoutMs);
    }) as never;

    socket.onmessage = ((event: TFrameData) => {
      if (socket === this.#socket) this.#onFrame(event.data);
    }) as never;
    socket.onclose = ((event: TCloseData) => {
      if (socket === this.#socket) this.#onClose(event.code, event.reason);
    }) as never;
    // Errors are always followed by close, which carries the information we act on.
    socket.onerror = (() => {}) as never;
  }

  #onFrame(data: unknown): void {
    const text = frameText(data);
    const frame = text === null ? null : parseServerFrame(text);
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    if (!frame) return; // unknown or newer frame types are ignored by design
    if ((frame.type === "welcome" || frame.type === "pong") && frame.reconnectWindowMs !== undefined) {
      this.#reconnectWindowMs = Math.min(frame.reconnectWindowMs, MAX_RECONNECT_WINDOW_MS);
    }

    if (frame.type === "welcome" && this.#state === "connecting") {
      if (frame.protocolVersion !== PROTOCOL_VERSION) {
        const reason = `server speaks protocol ${frame.protocolVersion}, this client ${PROTOCOL_VERSION}`;
        this.#teardown(1000, reason);
        this.#transition("closed", reason, CloseCode.UnsupportedVersion);
        return;
      }
      clearTimeout(this.#connectTimer);
      this.#welcome = frame;
      this.#attempt = 0;
      this.#transition("open", "welcome received");
      const resume = this.#options.getResumeState?.() ?? {};
      this.send({ type: "hello", protocolVersion: PROTOCOL_VERSION, ...resume });
      this.#startWatchdog(this.#options.pingIntervalMs ?? frame.heartbeatMs);
    }
    this.#emit("frame", frame);
  }

  #onClose(code: number, reason: string): void {
    const largest = this.#largestSent;
    this.#teardown();
    const detail = `socket closed with ${code}${reason ? `: ${reason}` : ""}`;
    if (code === CloseCode.FrameTooLarge || code === WS_MESSAGE_TOO_BIG) {
      // Reconnecting would resend the same frame, unless its owner drops it.
      const isDropped =
        largest !== null && this.#options.onFrameTooLarge?.(largest.command, largest.bytes) === true;
      if (isDropped) this.#retry(detail, code);
      else this.#transition("closed", detail, code);
      return;
    }
    if (isTerminalCloseCode(code)) {
      this.#transition("closed", detail, code);
      return;
    }
    if (code === CloseCode.RateLimited) this.#attempt = Math.max(this.#attempt, RATE_LIMITED_MIN_ATTEMPT);
    // A going-away gateway says how widely its crowd should spread (older ones do not).
    const window = code === CloseCode.GoingAway ? parseReconnectWindow(reason) : null;
    if (window !== null) this.#reconnectWindowMs = window;
    this.#retry(detail, code);
  }

  /**
   * Moves to reconnecting and schedules the next attempt after a jittered delay: the first one
   * (the connection was open, or this is the first try) over the gateway's reconnect window,
   * later ones by exponential full jitter.
   */
  #retry(reason: string, code?: number): void {
    this.#transition("reconnecting", reason, code);
    const { backoff, random } = this.#options;
    const delay =
      this.#attempt === 0
        ? Math.floor(random() * Math.max(backoff.baseMs, this.#reconnectWindowMs))
        : backoffDelay(this.#attempt, backoff, random);
    this.#attempt += 1;
    this.#retryTimer = setTimeout(() => {
      this.#transition("connecting", `retry after ${delay} ms`);
      void this.#open();
    }, delay);
  }

  #startWatchdog(intervalMs: number): void {
    this.#pingTimer = setInterval(() => {
      this.#pingCounter += 1;
      this.send({ type: "ping", id: `ping-${this.#pingCounter}` });
      // Any frame clears the deadline (see #onFrame); a dead network lets it fire.
      this.#deadlineTimer ??= setTimeout(() => {
        this.#teardown(CloseCode.HeartbeatTimeout, "heartbeat timeout");
        this.#retry(`no frame from the server within ${this.#options.pongTimeoutMs} ms of a ping`);
      }, this.#options.pongTimeoutMs);
    }, intervalMs);
  }

  /** Stops timers and drops the current socket (closing it when `code` is given). */
  #teardown(code?: number, reason?: string): void {
    this.#generation += 1;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#connectTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#deadlineTimer);
    this.#retryTimer = this.#connectTimer = this.#pingTimer = this.#deadlineTimer = undefined;
    this.#welcome = null;
    this.#largestSent = null;
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return;
    socket.onmessage = socket.onclose = socket.onopen = null;
    // Keep a no-op error handler: closing a socket that is still connecting makes Node's `ws` emit
    // an error, which crashes the process when no handler is attached.
    socket.onerror = (() => {}) as never;
    if (code !== undefined) {
      try {
        socket.close(code, reason);
      } catch {
        // Closing a socket that never opened may throw in some implementations; it is gone either way.
      }
    }
  }
}
