/**
 * ParleyClient: the realtime SDK an app talks to. It sits on ParleyConnection (sockets, state
 * machine, backoff, watchdog) and keeps DESIGN.md's promise on the client side through two
 * halves that share only the link (is the socket live, which commands await an answer):
 *
 * - Inbound (inbound.ts): delivery in seq order exactly once per conversation and for the user
 *   log, gap repair with `sync`, resync, and the cursors `hello` resumes from.
 * - Outbox (outbox.ts): the messages the user composed — one `send` in flight per conversation,
 *   resent with the same clientMsgId after reconnects, refusals handled by SEND_ERROR_POLICY.
 *
 * This class owns the connection and the link, routes each frame (and each answer, by the kind of
 * its pending command) to its half, and keeps the small state of its own: read positions,
 * typing, presence.
 *
 * To extend: a new server frame → a case in #onFrame; a new resend-after-reconnect command → resend
 * it in #onWelcome, like presence and read state.
 */
import {
  ErrorCode,
  MAX_FRAME_BYTES,
  type TAck,
  type TConversationEvent,
  type TErrorFrame,
  type TPresenceFrame,
  type TReceiptsFrame,
  type TServerEvent,
  type TTypingFrame,
  type TUserEvent,
} from "@parley/protocol";
import { DEFAULT_BACKOFF, type TBackoffOptions } from "./backoff.ts";
import { ParleyConnection, type TConnectionOptions } from "./connection.ts";
import { DeliveryReports } from "./delivery-reports.ts";
import { Emitter } from "./emitter.ts";
import { Inbound, type TClientStats } from "./inbound.ts";
import type { TLink } from "./link.ts";
import { checkSend, Outbox, type TOutboxEntry, type TSendOptions, type TSendResult } from "./outbox.ts";
import type { TConnectionState, TStateChange } from "./state.ts";
import { memoryCursorStore, type TCursorStore, type TOutboxStore } from "./stores.ts";

export type { TClientStats } from "./inbound.ts";
export {
  ParleySendError,
  ParleySendInputError,
  type TOutboxEntry,
  type TOutboxStatus,
  type TSendFailure,
  type TSendOptions,
  type TSendResult,
} from "./outbox.ts";
export { SEND_ERROR_POLICY, sendErrorPolicy } from "./send-policy.ts";

/** Events of ParleyClient, with their listener arguments. */
export type TClientEvents = {
  /** A conversation event, delivered once and in seq order per conversation. */
  event: [event: TConversationEvent];
  /** An event of the user's own log, delivered once and in seq order. */
  userEvent: [event: TUserEvent];
  /** The connection changed state (with the reason). */
  state: [change: TStateChange];
  /** An outbox entry changed; `entries` is the whole outbox after the change (a removed entry is absent). */
  outbox: [entry: TOutboxEntry, entries: readonly TOutboxEntry[]];
  /** A watched user's presence. */
  presence: [presence: TPresenceFrame];
  /** Someone is typing (expire it after ~6 s). */
  typing: [typing: TTypingFrame];
  /** Members' delivered/read cursors moved in a conversation (keep the larger value). */
  receipts: [receipts: TReceiptsFrame];
  /** The client cannot bring this conversation up to date incrementally: refetch its history up to `lastSeq`; events after it follow. */
  resync: [conversationId: string, lastSeq: number];
  /** The user may no longer read this conversation; its state was dropped. */
  forbidden: [conversationId: string];
  /**
   * Message retention removed this conversation's log up to and including `truncatedSeq` while the
   * cursor was below it: the cursor moved there (nothing is missing) and delivery goes on after it.
   * Messages the app holds at or below it are gone from the server.
   */
  truncated: [conversationId: string, truncatedSeq: number];
};

/** Options of ParleyClient: the connection's, plus storage and tuning. */
export type TClientOptions = Omit<TConnectionOptions, "getResumeState" | "onFrameTooLarge"> & {
  /** Cursors; memory by default (use localStorageStore in browsers so a reload resumes). */
  cursorStore?: TCursorStore;
  /**
   * Outbox store; none by default: the entries live in the client (survive reconnects, not a
   * reload). Use localStorageStore so unsent messages survive a reload.
   */
  outboxStore?: TOutboxStore;
  /** Least time between two `typing` frames for one conversation (default 3 s). */
  typingThrottleMs?: number;
  /** How long a `sync` may go unanswered before its gaps are asked for again (default 30 s). */
  syncTimeoutMs?: number;
  /**
   * How long a gap may wait for the missing seq to arrive live before it is asked for with `sync`
   * (default 100 ms). Events committed concurrently are sometimes published out of order; most
   * such gaps close by themselves within milliseconds, and a sync for each would be wasted work.
   */
  gapGraceMs?: number;
  /** Delay before asking again after a failed or fruitless sync (default 2 s). */
  syncRetryMs?: number;
  /**
   * Backoff for resending after INTERNAL (and other transient codes) and after TOO_MANY_REQUESTS
   * without `retryAfterMs`; its `maxMs` also caps any wait (default: the reconnect backoff).
   */
  sendBackoff?: TBackoffOptions;
  /** Retries of a send refused with a transient code (INTERNAL, unknown) before it fails (default 5). */
  maxSendRetries?: number;
  /** Largest `send` frame in UTF-8 bytes; a larger message fails at once (default MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
  /** UUID source for clientMsgId (default crypto.randomUUID; browsers need a secure context). */
  randomUUID?: () => string;
  /** Tell the server what this device received, for "delivered" ticks (default true). */
  reportDelivery?: boolean;
  /** Least time between two delivery reports; they are batched (default 1 s). */
  deliveryReportMs?: number;
};

/** Codes after which resending the same command can succeed. */
const TRANSIENT_CODES = new Set<string>([ErrorCode.TooManyRequests, ErrorCode.Internal]);
/** Codes after which a markRead will never succeed. */
const TERMINAL_READ_CODES = new Set<string>([ErrorCode.BadRequest, ErrorCode.Forbidden, ErrorCode.NotFound]);

/** The Parley realtime client: ordered exactly-once delivery, resume, outbox, presence, typing. */
export class ParleyClient {
  /** Resolves once the stores are loaded; `connect()` waits for it. */
  readonly ready: Promise<void>;
  readonly #connection: ParleyConnection;
  readonly #emitter = new Emitter<TClientEvents>();
  readonly #link: TLink;
  readonly #inbound: Inbound;
  readonly #outbox: Outbox;
  readonly #typingThrottleMs: number;
  readonly #syncRetryMs: number;
  readonly #randomUUID: () => string;
  readonly #deliveries: DeliveryReports | null;

  /** Highest read position asked for per conversation, until acked. */
  readonly #reads = new Map<string, number>();
  readonly #typingSentAt = new Map<string, number>();
  #watched: string[] | null = null;
  #presence: { status: "online" | "away"; statusText?: string } | null = null;
  #commandCounter = 0;
  #wantsConnection = false;

  constructor(options: TClientOptions) {
    const {
      cursorStore,
      outboxStore,
      typingThrottleMs,
      syncTimeoutMs,
      syncRetryMs,
      gapGraceMs,
      sendBackoff,
      maxSendRetries,
      maxFrameBytes,
      randomUUID,
      reportDelivery,
      deliveryReportMs,
      ...connectionOptions
    } = options;
    this.#typingThrottleMs = typingThrottleMs ?? 3_000;
    this.#syncRetryMs = syncRetryMs ?? 2_000;
    this.#randomUUID = randomUUID ?? (() => globalThis.crypto.randomUUID());
    this.#link = {
      isLive: false,
      pending: new Map(),
      nextId: (prefix) => this.#nextId(prefix),
      send: (command) => this.#connection.send(command),
    };
    this.#inbound = new Inbound(this.#link, {
      store: cursorStore ?? memoryCursorStore(),
      syncTimeoutMs: syncTimeoutMs ?? 30_000,
      syncRetryMs: this.#syncRetryMs,
      gapGraceMs: gapGraceMs ?? 100,
      emitter: this.#emitter,
      delivered: (conversationId) => this.#outbox.pruneSent(conversationId),
    });
    this.#outbox = new Outbox(this.#link, {
      // No store given: the entries live as long as this client, so there is nothing to copy.
      ...(outboxStore ? { store: outboxStore } : {}),
      sendBackoff: sendBackoff ?? options.backoff ?? DEFAULT_BACKOFF,
      maxSendRetries: maxSendRetries ?? 5,
      maxFrameBytes: maxFrameBytes ?? MAX_FRAME_BYTES,
      random: options.random ?? Math.random,
      cursor: (conversationId) => this.#inbound.cursor(conversationId),
      // The whole list only when someone listens (it is O(n) per change).
      changed: (entry) => {
        if (this.#emitter.has("outbox")) this.#emitter.emit("outbox", entry, this.getOutbox());
      },
    });
    this.#connection = new ParleyConnection({
      ...connectionOptions,
      getResumeState: () => this.#inbound.resumeState(),
      onFrameTooLarge: (command, bytes) => this.#outbox.onFrameTooLarge(command, bytes),
    });
    this.#deliveries =
      reportDelivery === false
        ? null
        : new DeliveryReports(this.#link, { intervalMs: deliveryReportMs ?? 1_000 });
    if (this.#deliveries) {
      const deliveries = this.#deliveries;
      // Others' messages are what "delivered" is about; in-order delivery means all before it arrived too.
      this.#emitter.on("event", (event) => {
        if (event.kind === "message.created" && event.actorId !== this.#connection.welcome?.userId) {
          deliveries.note(event.conversationId, event.seq);
        }
      });
    }
    this.#connection.on("state", (change) => this.#onState(change));
    this.#connection.on("frame", (frame) => this.#onFrame(frame));
    this.ready = this.#load();
  }

  /** The underlying connection (state, welcome). */
  get connection(): ParleyConnection {
    return this.#connection;
  }

  /** The connection's current state. */
  get state(): TConnectionState {
    return this.#connection.state;
  }

  /** Counters: delivered, duplicates dropped, ignored, syncs sent. */
  get stats(): Readonly<TClientStats> {
    return { ...this.#inbound.stats };
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof TClientEvents>(event: K, listener: (...args: TClientEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  /** Starts connecting once the stores are loaded (no-op while already connected). */
  connect(): void {
    this.#wantsConnection = true;
    void this.ready.then(() => {
      if (this.#wantsConnection) this.#connection.connect();
    });
  }

  /** Disconnects for good (until connect()); the outbox and cursors are kept. */
  disconnect(reason?: string): void {
    this.#wantsConnection = false;
    this.flush();
    this.#deliveries?.stop();
    this.#connection.disconnect(reason);
  }

  /** Writes a pending outbox store write now (throttled in bursts); call it on `pagehide`. */
  flush(): void {
    this.#outbox.flushSaves();
  }

  // ── cursors ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Follows a conversation from `seq` (the last seq the app holds, e.g. from its history fetch):
   * events after it are delivered, starting with a `sync` that closes the window between the
   * fetch and now. Without `seq` the start is learnt from the server (see `resync`).
   */
  track(conversationId: string, seq?: number): void {
    this.#inbound.track(conversationId, seq);
    // The app holds the conversation up to `seq` (it fetched it): that is delivered to this device.
    if (seq !== undefined) this.#deliveries?.note(conversationId, seq);
  }

  /** Stops following a conversation and forgets its cursor. */
  untrack(conversationId: string): void {
    this.#inbound.untrack(conversationId);
  }

  /** Last seq delivered for a conversation; null while unknown, undefined when not tracked. */
  cursor(conversationId: string): number | null | undefined {
    return this.#inbound.cursor(conversationId);
  }

  /** Last seq of the user log delivered; null while unknown. */
  get userCursor(): number | null {
    return this.#inbound.userCursor;
  }

  // ── outbox ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Queues a message. It is sent now if connected, else after the next `welcome`, and resent
   * with the same clientMsgId until acked. `promise` resolves once the server stored it and
   * rejects (ParleySendError) when refused — or at once, with FRAME_TOO_LARGE, when its frame
   * would exceed `maxFrameBytes`; the entry then stays `failed` until retry/discard. Throws
   * ParleySendInputError (a RangeError naming each bad field) for input the server refuses for
   * good: the send rules are protocol's `ZSendFields`, the server's own.
   */
  send(
    conversationId: string,
    body: string,
    options: TSendOptions = {},
  ): { clientMsgId: string; promise: Promise<TSendResult> } {
    const clientMsgId = this.#randomUUID();
    const fields = checkSend(conversationId, clientMsgId, body, options);
    // The message ends whatever was being typed: the next keystroke says "typing" again at once.
    this.#typingSentAt.delete(conversationId);
    return this.#outbox.add(clientMsgId, conversationId, body, fields);
  }

  /**
   * Sends a failed entry again with the same clientMsgId (so it cannot be stored twice), after
   * whatever else is queued for its conversation. Returns the new promise. Throws when no failed
   * entry has this id.
   */
  retry(clientMsgId: string): Promise<TSendResult> {
    return this.#outbox.retry(clientMsgId);
  }

  /**
   * Removes a failed entry, or a pending one that never went out (its promise rejects with code
   * DISCARDED). Returns false otherwise: an entry that was put on the wire may already be stored
   * (its ack lost with a socket), so it can only finish sending.
   */
  discard(clientMsgId: string): boolean {
    return this.#outbox.discard(clientMsgId);
  }

  /** The outbox in send order: pending, sending, failed, and sent entries whose event has not arrived yet. */
  getOutbox(conversationId?: string): TOutboxEntry[] {
    return this.#outbox.entries(conversationId);
  }

  // ── read state, typing, presence ─────────────────────────────────────────────────────────────

  /** Moves the read position forward (never back); kept and resent after reconnects until acked. */
  markRead(conversationId: string, seq: number): void {
    const current = this.#reads.get(conversationId);
    if (current !== undefined && current >= seq) return;
    this.#reads.set(conversationId, seq);
    this.#sendRead(conversationId);
  }

  /** Says "typing" in a conversation, at most once per throttle window; returns whether a frame went out. */
  typing(conversationId: string): boolean {
    if (!this.#link.isLive) return false;
    const now = Date.now();
    const last = this.#typingSentAt.get(conversationId);
    if (last !== undefined && now - last < this.#typingThrottleMs) return false;
    if (!this.#connection.send({ type: "typing", conversationId })) return false;
    this.#typingSentAt.set(conversationId, now);
    return true;
  }

  /** Replaces the set of users whose presence is received (kept across reconnects). */
  watchPresence(userIds: readonly string[]): void {
    this.#watched = [...new Set(userIds)];
    if (this.#link.isLive) this.#sendWatch();
  }

  /** Sets this user's presence and status text (kept across reconnects). */
  setPresence(status: "online" | "away", statusText?: string): void {
    this.#presence = statusText === undefined ? { status } : { status, statusText };
    if (this.#link.isLive) this.#sendPresence();
  }

  // ── connection events ────────────────────────────────────────────────────────────────────────

  #onState(change: TStateChange): void {
    if (change.from === "open") this.#onSocketLost();
    this.#emitter.emit("state", change);
  }

  #onFrame(frame: TServerEvent): void {
    switch (frame.type) {
      case "welcome":
        this.#onWelcome();
        return;
      case "ack":
        this.#onAck(frame);
        return;
      case "error":
        this.#onError(frame);
        return;
      case "event":
        this.#inbound.onEvent(frame);
        return;
      case "user.event":
        this.#inbound.onUserEvent(frame);
        return;
      case "synced":
        this.#inbound.onSynced(frame);
        return;
      case "presence":
        this.#emitter.emit("presence", frame);
        return;
      case "typing":
        this.#emitter.emit("typing", frame);
        return;
      case "receipts":
        this.#emitter.emit("receipts", frame);
        return;
      case "pong":
        return;
    }
  }

  /** The connection sent `hello` with the inbound cursors: its replay covers them, `sync` the rest. */
  #onWelcome(): void {
    if (this.#link.isLive) return; // one welcome per socket; a repeat must not restart the bookkeeping
    this.#link.isLive = true;
    this.#inbound.onWelcome();
    if (this.#watched) this.#sendWatch();
    if (this.#presence) this.#sendPresence();
    for (const conversationId of this.#reads.keys()) this.#sendRead(conversationId);
    this.#deliveries?.onWelcome();
    this.#outbox.onWelcome();
  }

  /** Whatever was in flight on the lost socket is unanswered: resend it after the next welcome. */
  #onSocketLost(): void {
    this.#link.isLive = false;
    this.#link.pending.clear();
    this.#deliveries?.onSocketLost();
    this.#inbound.onSocketLost();
    this.#outbox.onSocketLost();
  }

  #onAck(frame: TAck): void {
    const command = this.#link.pending.get(frame.id);
    if (!command) return;
    this.#link.pending.delete(frame.id);
    if (command.kind === "markRead") {
      if (this.#reads.get(command.conversationId) === command.seq) this.#reads.delete(command.conversationId);
      return;
    }
    if (command.kind === "delivered") {
      this.#deliveries?.onAck(frame.id);
      return;
    }
    if (command.kind !== "send") return;
    this.#outbox.onAck(command.clientMsgId, frame);
  }

  #onError(frame: TErrorFrame): void {
    if (frame.id === undefined) return;
    const command = this.#link.pending.get(frame.id);
    if (!command) return;
    this.#link.pending.delete(frame.id);
    if (command.kind === "sync") {
      this.#inbound.onSyncError(frame.id);
      return;
    }
    if (command.kind === "delivered") {
      this.#deliveries?.onError(frame.id, frame.code);
      return;
    }
    if (command.kind === "markRead") {
      const { conversationId, seq } = command;
      if (TERMINAL_READ_CODES.has(frame.code) && this.#reads.get(conversationId) === seq) {
        this.#reads.delete(conversationId);
      } else if (TRANSIENT_CODES.has(frame.code)) {
        setTimeout(
          () => this.#reads.get(conversationId) === seq && this.#sendRead(conversationId),
          this.#syncRetryMs,
        );
      }
      return;
    }
    this.#outbox.onError(command.clientMsgId, frame);
  }

  // ── small senders ────────────────────────────────────────────────────────────────────────────

  #sendRead(conversationId: string): void {
    const seq = this.#reads.get(conversationId);
    if (!this.#link.isLive || seq === undefined) return;
    const id = this.#nextId("r");
    if (this.#connection.send({ type: "markRead", id, conversationId, seq })) {
      this.#link.pending.set(id, { kind: "markRead", conversationId, seq });
    }
  }

  #sendWatch(): void {
    this.#connection.send({ type: "watchPresence", id: this.#nextId("w"), userIds: this.#watched ?? [] });
  }

  #sendPresence(): void {
    if (this.#presence)
      this.#connection.send({ type: "setPresence", id: this.#nextId("p"), ...this.#presence });
  }

  #nextId(prefix: string): string {
    this.#commandCounter += 1;
    return `${prefix}${this.#commandCounter}`;
  }

  // ── persistence ──────────────────────────────────────────────────────────────────────────────

  async #load(): Promise<void> {
    const [cursors, stored] = await Promise.all([this.#inbound.load(), this.#outbox.load()]);
    this.#inbound.restore(cursors);
    this.#outbox.restore(stored);
  }
}
