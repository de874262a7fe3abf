/**
 * ParleyClient: the realtime SDK an app talks to. It sits on ParleyConnection (sockets, state
 * machine, backoff, watchdog) and keeps DESIGN.md's promise on the client side:
 *
 * - Delivery: every conversation has a cursor (last seq handed to the app) and a SeqLog that
 *   applies "Sending" step 5 — deliver seq == cursor+1, drop seq <= cursor, buffer a seq beyond
 *   a gap and ask for the gap with `sync` (at most one sync in flight per conversation; the
 *   `hello` replay after every (re)connect counts as that sync). So the app sees each seq once,
 *   in seq order, whether events came live, from the replay, or both interleaved.
 * - Resume: cursors and the user cursor live in a CursorStore; `hello` carries them all, so a
 *   reconnect or (with a persistent store) a reload picks up exactly where the app was.
 * - Sending: an outbox (OutboxStore) of entries with a client-made UUID. Per conversation one
 *   `send` is in flight at a time and the next goes after its ack, so a user's messages keep the
 *   order they were typed in ("Sending" step 6) even across reconnects, rate limiting and server
 *   errors: a refused entry k can never be overtaken by k+1. Pipelining would save a round trip
 *   per message but, once k+1 is committed, a transient refusal of k can no longer be put back in
 *   order; a person types far slower than one round trip, so the trade is cheap. Conversations
 *   send in parallel. Unacked entries are resent with the SAME clientMsgId after a reconnect (the
 *   server dedups on it), so a message is stored exactly once. A refusal never holds the queue
 *   for ever (SEND_ERROR_POLICY): permanent ones fail the entry at once, transient ones (INTERNAL,
 *   unknown codes) are retried `maxSendRetries` times with capped full-jitter backoff and then
 *   fail it, TOO_MANY_REQUESTS waits (`retryAfterMs` when given) and retries; lost sockets do not
 *   count. A failed entry lets the ones behind it go; `retry` puts it back with the same id.
 * - Frame limit: a message whose `send` frame would exceed `maxFrameBytes` (MAX_FRAME_BYTES) fails
 *   at once with FRAME_TOO_LARGE and never goes out; if the server still closes 4413 (or 1009) on
 *   a frame, the message in it fails and the client reconnects, rather than resend it in a loop.
 *
 * Rules chosen where the protocol leaves room (keep them in sync with the docs on the methods):
 * - Events of conversations the client does not track are ignored: the app tracks a conversation
 *   (`track`) once it has loaded its history, or the client starts tracking it from the user log.
 * - `conversation.added` / `dm.opened`: if the payload has `joinedSeq` (the seq of the
 *   member.joined event), tracking starts just before it, so the join itself is the first event
 *   delivered. Otherwise the start is learnt from the server: the conversation is synced with a
 *   cursor ahead of any log, which the protocol answers with `resync` + its lastSeq; the client
 *   emits `resync(conversationId, lastSeq)` (load history up to there) and delivers what follows.
 *   `conversation.removed` stops tracking.
 * - A device without a user cursor starts the user log at the first `synced.userSeq` or the first
 *   live `user.event`, whichever comes first (state before that comes from the app's own fetch).
 * - `resync` keeps buffered events above the new cursor (they are still ahead of what the app will
 *   refetch) and drops the rest.
 *
 * To extend: a new server frame → a case in #onFrame; a new resend-after-reconnect command → resend
 * it in #onWelcome, like presence and read state.
 */
import {
  ErrorCode,
  encodeClientCommand,
  MAX_ATTACHMENTS_PER_MESSAGE,
  MAX_BODY_LENGTH,
  MAX_COMMAND_ID_LENGTH,
  MAX_FRAME_BYTES,
  MAX_SYNC_CURSORS,
  type TAck,
  type TClientCommand,
  type TConversationEvent,
  type TErrorCode,
  type TErrorFrame,
  type THello,
  type TPresenceFrame,
  type TSend,
  type TServerEvent,
  type TSync,
  type TSynced,
  type TTypingFrame,
  type TUserEvent,
  UserEventKind,
} from "@parley/protocol";
import { backoffDelay, DEFAULT_BACKOFF, type TBackoffOptions } from "./backoff.ts";
import { ParleyConnection, type TConnectionOptions, utf8ByteLength } from "./connection.ts";
import { Emitter } from "./emitter.ts";
import { SeqLog } from "./seq-log.ts";
import type { TConnectionState, TStateChange } from "./state.ts";
import {
  memoryCursorStore,
  memoryOutboxStore,
  type TCursorSnapshot,
  type TCursorStore,
  type TOutboxStore,
  type TStoredOutboxEntry,
} from "./stores.ts";

/** Where an outbox entry stands: queued, on the wire, stored by the server, or refused. */
export type TOutboxStatus = "pending" | "sending" | "sent" | "failed";

/** A message the user composed, as the UI shows it until its own event arrives. Never mutated. */
export type TOutboxEntry = {
  readonly clientMsgId: string;
  readonly conversationId: string;
  readonly body: string;
  /** A thread reply: the thread's first message. */
  readonly threadRootId?: string;
  /** A thread reply also shown in the channel's main list. */
  readonly alsoInChannel?: boolean;
  /** Ids of the sender's finished uploads to this conversation that the message carries. */
  readonly attachmentIds?: readonly string[];
  readonly status: TOutboxStatus;
  /** ISO time it was composed. */
  readonly createdAt: string;
  /** How many times it was put on the wire in this session. */
  readonly attempts: number;
  /** Set once `sent`. */
  readonly seq?: number;
  readonly messageId?: string;
  /** Set once `failed`: the server's error code and message. */
  readonly error?: { code: string; message: string };
};

/** Options of `send`: a thread reply (optionally also in the channel) and attachments. */
export type TSendOptions = {
  threadRootId?: string;
  /** Only with `threadRootId`. */
  alsoInChannel?: boolean;
  /** At most MAX_ATTACHMENTS_PER_MESSAGE ids of finished uploads (files.completeUpload). */
  attachmentIds?: readonly string[];
};

/** The option fields of an entry, without empty ones (what the outbox keeps and the frame carries). */
function sendOptionFields(options: TSendOptions): {
  threadRootId?: string;
  alsoInChannel?: boolean;
  attachmentIds?: string[];
} {
  return {
    ...(options.threadRootId ? { threadRootId: options.threadRootId } : {}),
    ...(options.threadRootId && options.alsoInChannel ? { alsoInChannel: true } : {}),
    ...(options.attachmentIds && options.attachmentIds.length > 0
      ? { attachmentIds: [...options.attachmentIds] }
      : {}),
  };
}

/** What a successful send resolves with. */
export type TSendResult = { seq: number; messageId: string };

/** Rejection of a send: the server refused it (`code` from ErrorCode) or it was discarded. */
export class ParleySendError extends Error {
  override readonly name = "ParleySendError";
  constructor(
    readonly code: string,
    message: string,
    readonly clientMsgId: string,
  ) {
    super(message);
  }
}

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
  /** The client cannot bring this conversation up to date incrementally: refetch its history up to `lastSeq`; events after it follow. */
  resync: [conversationId: string, lastSeq: number];
  /** The user may no longer read this conversation; its state was dropped. */
  forbidden: [conversationId: string];
};

/**
 * What the outbox does when the server refuses a `send` with a code:
 * - `fail`: permanent — the same frame can never succeed; the entry fails at once (the app may
 *   `retry` it after fixing the cause, e.g. rejoining the channel).
 * - `retry`: transient — retried with backoff at most `maxSendRetries` times, then it fails.
 * - `wait`: rate limited — wait (`retryAfterMs` when the frame has it) and retry, with no bound:
 *   the limit always lets it through eventually.
 * Codes not in this table (from a newer server) are treated as `retry`.
 */
export const SEND_ERROR_POLICY: Readonly<Record<TErrorCode, "fail" | "retry" | "wait">> = {
  // About the frame itself: the same bytes get the same answer.
  [ErrorCode.BadJson]: "fail",
  [ErrorCode.BadFrame]: "fail",
  [ErrorCode.UnknownType]: "fail",
  [ErrorCode.InvalidFields]: "fail",
  [ErrorCode.FrameTooLarge]: "fail",
  // This server does not handle sends, or speaks another version (the socket closes 4426 anyway).
  [ErrorCode.NotImplemented]: "fail",
  [ErrorCode.UnsupportedVersion]: "fail",
  // Domain refusals: bad input, no right to post, no such conversation/root/upload, a clash.
  [ErrorCode.BadRequest]: "fail",
  [ErrorCode.Unauthorized]: "fail",
  [ErrorCode.Forbidden]: "fail",
  [ErrorCode.NotFound]: "fail",
  [ErrorCode.Conflict]: "fail",
  [ErrorCode.TooManyRequests]: "wait",
  // A server fault; retrying with the same clientMsgId is safe, but a message that always makes
  // the server fail (a poison message) must not hold its conversation's queue for ever.
  [ErrorCode.Internal]: "retry",
};

/** The policy for a refusal code (SEND_ERROR_POLICY; unknown codes are `retry`). */
export function sendErrorPolicy(code: string): "fail" | "retry" | "wait" {
  return Object.hasOwn(SEND_ERROR_POLICY, code) ? SEND_ERROR_POLICY[code as TErrorCode] : "retry";
}

/** Options of ParleyClient: the connection's, plus storage and tuning. */
export type TClientOptions = Omit<TConnectionOptions, "getResumeState" | "onFrameTooLarge"> & {
  /** Cursors; memory by default (use localStorageStore in browsers so a reload resumes). */
  cursorStore?: TCursorStore;
  /** Outbox; memory by default (use localStorageStore so unsent messages survive a reload). */
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
};

/** Counters for tests and diagnostics. */
export type TClientStats = {
  /** Conversation events delivered to the app. */
  delivered: number;
  /** Events (conversation or user) dropped because their seq was already delivered or buffered. */
  duplicates: number;
  /** Events of conversations the client does not track. */
  ignored: number;
  /** `sync` commands sent. */
  syncs: number;
};

/** A cursor ahead of any log: the documented answer is `resync` with the log's lastSeq. */
const PROBE_CURSOR = 2_147_483_647;
/** Key of the replay started by `hello` (its `synced` has no id). */
const HELLO = "(hello)";
/** Codes after which resending the same command can succeed. */
const TRANSIENT_CODES = new Set<string>([ErrorCode.TooManyRequests, ErrorCode.Internal]);
/** Codes after which a markRead will never succeed. */
const TERMINAL_READ_CODES = new Set<string>([ErrorCode.BadRequest, ErrorCode.Forbidden, ErrorCode.NotFound]);

type TConversation = {
  log: SeqLog<TConversationEvent>;
  /** Key of the sync (or hello replay) that covers this conversation, if any. */
  syncing: string | null;
};

type TSyncRequest = {
  /** Cursor of each covered conversation when asked, to tell a fruitless sync from progress. */
  from: Map<string, number | null>;
  user: boolean;
  timer: ReturnType<typeof setTimeout>;
};

type TOutboxRecord = {
  entry: TOutboxEntry;
  /** Transient refusals (INTERNAL, …) so far; at maxSendRetries the next one fails the entry. */
  retries: number;
  /** Rate-limit refusals so far (they only lengthen the wait). */
  waits: number;
  promise: Promise<TSendResult>;
  resolve: (result: TSendResult) => void;
  reject: (error: ParleySendError) => void;
};

type TPendingCommand =
  | { kind: "send"; clientMsgId: string }
  | { kind: "sync" }
  | { kind: "markRead"; conversationId: string; seq: number };

function newRecord(entry: TOutboxEntry): TOutboxRecord {
  let resolve!: (result: TSendResult) => void;
  let reject!: (error: ParleySendError) => void;
  const promise = new Promise<TSendResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed send is also shown through the outbox; an app that ignores the promise must not
  // get an unhandled rejection for it. Awaiting `promise` still sees the rejection.
  promise.catch(() => {});
  return { entry, retries: 0, waits: 0, promise, resolve, reject };
}

/** A stand-in command id of the longest allowed length, so a size check holds for any real id. */
const LONGEST_ID = "s".repeat(MAX_COMMAND_ID_LENGTH);

/** The `send` frame of an outbox entry. */
function sendCommand(entry: TOutboxEntry, id: string): TSend {
  return {
    type: "send",
    id,
    conversationId: entry.conversationId,
    clientMsgId: entry.clientMsgId,
    body: entry.body,
    ...sendOptionFields(entry),
  };
}

function reportAsync(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/** The Parley realtime client: ordered exactly-once delivery, resume, outbox, presence, typing. */
export class ParleyClient {
  /** Resolves once the stores are loaded; `connect()` waits for it. */
  readonly ready: Promise<void>;
  readonly #connection: ParleyConnection;
  readonly #emitter = new Emitter<TClientEvents>();
  readonly #cursorStore: TCursorStore;
  readonly #outboxStore: TOutboxStore;
  readonly #typingThrottleMs: number;
  readonly #syncTimeoutMs: number;
  readonly #syncRetryMs: number;
  readonly #gapGraceMs: number;
  /** Conversations with a gap waiting out its grace period before a sync is sent. */
  readonly #gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #sendBackoff: TBackoffOptions;
  readonly #maxSendRetries: number;
  readonly #maxFrameBytes: number;
  readonly #random: () => number;
  readonly #randomUUID: () => string;

  #conversations = new Map<string, TConversation>();
  #userLog = new SeqLog<TUserEvent>(null);
  #userSyncing: string | null = null;
  #outbox: TOutboxRecord[] = [];
  /** Commands awaiting `ack`/`error`/`synced`, by id; forgotten when the socket goes. */
  readonly #pending = new Map<string, TPendingCommand>();
  readonly #syncs = new Map<string, TSyncRequest>();
  readonly #sendRetryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #repairTimer: ReturnType<typeof setTimeout> | undefined;
  /** Highest read position asked for per conversation, until acked. */
  readonly #reads = new Map<string, number>();
  readonly #typingSentAt = new Map<string, number>();
  #watched: string[] | null = null;
  #presence: { status: "online" | "away"; statusText?: string } | null = null;
  #commandCounter = 0;
  /** True between this socket's `welcome` and its loss: commands may be sent. */
  #isLive = false;
  #isLoaded = false;
  #wantsConnection = false;
  #isCursorSaveQueued = false;
  #isOutboxSaveQueued = false;
  readonly #stats: TClientStats = { delivered: 0, duplicates: 0, ignored: 0, syncs: 0 };

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
      ...connectionOptions
    } = options;
    this.#cursorStore = cursorStore ?? memoryCursorStore();
    this.#outboxStore = outboxStore ?? memoryOutboxStore();
    this.#typingThrottleMs = typingThrottleMs ?? 3_000;
    this.#syncTimeoutMs = syncTimeoutMs ?? 30_000;
    this.#syncRetryMs = syncRetryMs ?? 2_000;
    this.#gapGraceMs = gapGraceMs ?? 100;
    this.#sendBackoff = sendBackoff ?? options.backoff ?? DEFAULT_BACKOFF;
    this.#maxSendRetries = maxSendRetries ?? 5;
    this.#maxFrameBytes = maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#random = options.random ?? Math.random;
    this.#randomUUID = randomUUID ?? (() => globalThis.crypto.randomUUID());
    this.#connection = new ParleyConnection({
      ...connectionOptions,
      getResumeState: () => this.#resumeState(),
      onFrameTooLarge: (command, bytes) => this.#onFrameTooLarge(command, bytes),
    });
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
    return { ...this.#stats };
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
    this.#connection.disconnect(reason);
  }

  // ── cursors ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Follows a conversation from `seq` (the last seq the app holds, e.g. from its history fetch):
   * events after it are delivered, starting with a `sync` that closes the window between the
   * fetch and now. Without `seq` the start is learnt from the server (see `resync`).
   */
  track(conversationId: string, seq?: number): void {
    this.#conversations.set(conversationId, { log: new SeqLog(seq ?? null), syncing: null });
    this.#saveCursors();
    this.#sync([conversationId], false);
  }

  /** Stops following a conversation and forgets its cursor. */
  untrack(conversationId: string): void {
    this.#conversations.delete(conversationId);
    this.#saveCursors();
  }

  /** Last seq delivered for a conversation; null while unknown, undefined when not tracked. */
  cursor(conversationId: string): number | null | undefined {
    return this.#conversations.get(conversationId)?.log.cursor;
  }

  /** Last seq of the user log delivered; null while unknown. */
  get userCursor(): number | null {
    return this.#userLog.cursor;
  }

  // ── outbox ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Queues a message. It is sent now if connected, else after the next `welcome`, and resent
   * with the same clientMsgId until acked. `promise` resolves once the server stored it and
   * rejects (ParleySendError) when refused — or at once, with FRAME_TOO_LARGE, when its frame
   * would exceed `maxFrameBytes`; the entry then stays `failed` until retry/discard.
   */
  send(
    conversationId: string,
    body: string,
    options: TSendOptions = {},
  ): { clientMsgId: string; promise: Promise<TSendResult> } {
    const fields = sendOptionFields(options);
    const files = fields.attachmentIds?.length ?? 0;
    if (body.length > MAX_BODY_LENGTH || (body.length === 0 && files === 0)) {
      throw new RangeError(
        `A message body must have 1–${MAX_BODY_LENGTH} characters (it may be empty only with attachments)`,
      );
    }
    if (files > MAX_ATTACHMENTS_PER_MESSAGE) {
      throw new RangeError(`A message carries at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments`);
    }
    if (options.alsoInChannel && !options.threadRootId) {
      throw new RangeError("alsoInChannel is only for thread replies (give threadRootId)");
    }
    // The message ends whatever was being typed: the next keystroke says "typing" again at once.
    this.#typingSentAt.delete(conversationId);
    const record = newRecord({
      clientMsgId: this.#randomUUID(),
      conversationId,
      body,
      ...fields,
      status: "pending",
      createdAt: new Date().toISOString(),
      attempts: 0,
    });
    this.#enqueue(record);
    return { clientMsgId: record.entry.clientMsgId, promise: record.promise };
  }

  /**
   * Sends a failed entry again with the same clientMsgId (so it cannot be stored twice), after
   * whatever else is queued for its conversation. Returns the new promise. Throws when no failed
   * entry has this id.
   */
  retry(clientMsgId: string): Promise<TSendResult> {
    const index = this.#outbox.findIndex((r) => r.entry.clientMsgId === clientMsgId);
    const old = this.#outbox[index];
    if (old?.entry.status !== "failed") throw new Error(`No failed outbox entry ${clientMsgId}`);
    const { error: _error, ...rest } = old.entry;
    const record = newRecord({ ...rest, status: "pending", attempts: 0 });
    this.#outbox.splice(index, 1);
    this.#enqueue(record);
    return record.promise;
  }

  /**
   * Removes a failed entry, or a pending one that never went out (its promise rejects with code
   * DISCARDED). Returns false otherwise: an entry that was put on the wire may already be stored
   * (its ack lost with a socket), so it can only finish sending.
   */
  discard(clientMsgId: string): boolean {
    const index = this.#outbox.findIndex((r) => r.entry.clientMsgId === clientMsgId);
    const record = this.#outbox[index];
    const status = record?.entry.status;
    const isDiscardable = status === "failed" || (status === "pending" && record?.entry.attempts === 0);
    if (!record || !isDiscardable) return false;
    this.#outbox.splice(index, 1);
    if (record.entry.status === "pending") {
      record.reject(new ParleySendError("DISCARDED", "The message was discarded", clientMsgId));
    }
    this.#outboxChanged(record.entry);
    return true;
  }

  /** The outbox in send order: pending, sending, failed, and sent entries whose event has not arrived yet. */
  getOutbox(conversationId?: string): TOutboxEntry[] {
    const entries = this.#outbox.map((r) => r.entry);
    return conversationId === undefined
      ? entries
      : entries.filter((e) => e.conversationId === conversationId);
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
    if (!this.#isLive) return false;
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
    if (this.#isLive) this.#sendWatch();
  }

  /** Sets this user's presence and status text (kept across reconnects). */
  setPresence(status: "online" | "away", statusText?: string): void {
    this.#presence = statusText === undefined ? { status } : { status, statusText };
    if (this.#isLive) this.#sendPresence();
  }

  // ── connection events ────────────────────────────────────────────────────────────────────────

  /**
   * What `hello` carries: the cursors of the first MAX_SYNC_CURSORS tracked conversations (the
   * server refuses more in one frame); #onWelcome syncs the rest in further `sync` commands.
   */
  #resumeState(): Pick<THello, "cursors" | "userCursor"> {
    const cursors: Record<string, number> = {};
    for (const id of this.#helloIds()) cursors[id] = this.#conversations.get(id)?.log.cursor ?? PROBE_CURSOR;
    const state: Pick<THello, "cursors" | "userCursor"> = {};
    if (this.#conversations.size > 0) state.cursors = cursors;
    if (this.#userLog.cursor !== null) state.userCursor = this.#userLog.cursor;
    return state;
  }

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
        this.#onEvent(frame);
        return;
      case "user.event":
        this.#onUserEvent(frame);
        return;
      case "synced":
        this.#onSynced(frame);
        return;
      case "presence":
        this.#emitter.emit("presence", frame);
        return;
      case "typing":
        this.#emitter.emit("typing", frame);
        return;
      case "pong":
        return;
    }
  }

  /** The conversations whose cursors `hello` carries (insertion order, at most MAX_SYNC_CURSORS). */
  #helloIds(): string[] {
    return [...this.#conversations.keys()].slice(0, MAX_SYNC_CURSORS);
  }

  /** The connection sent `hello` with #resumeState(): its replay covers those cursors, `sync` the rest. */
  #onWelcome(): void {
    if (this.#isLive) return; // one welcome per socket; a repeat must not restart the bookkeeping
    this.#isLive = true;
    const hello = this.#resumeState();
    if (hello.cursors || hello.userCursor !== undefined) {
      this.#registerSync(HELLO, this.#helloIds(), hello.userCursor !== undefined);
    }
    if (this.#conversations.size > MAX_SYNC_CURSORS) {
      this.#sync([...this.#conversations.keys()].slice(MAX_SYNC_CURSORS), false);
    }
    if (this.#watched) this.#sendWatch();
    if (this.#presence) this.#sendPresence();
    for (const conversationId of this.#reads.keys()) this.#sendRead(conversationId);
    for (const conversationId of new Set(this.#outbox.map((r) => r.entry.conversationId))) {
      this.#pump(conversationId);
    }
  }

  /** Whatever was in flight on the lost socket is unanswered: resend it after the next welcome. */
  #onSocketLost(): void {
    this.#isLive = false;
    this.#pending.clear();
    for (const request of this.#syncs.values()) clearTimeout(request.timer);
    this.#syncs.clear();
    for (const timer of this.#gapTimers.values()) clearTimeout(timer);
    this.#gapTimers.clear();
    for (const conversation of this.#conversations.values()) conversation.syncing = null;
    this.#userSyncing = null;
    clearTimeout(this.#repairTimer);
    this.#repairTimer = undefined;
    for (const timer of this.#sendRetryTimers.values()) clearTimeout(timer);
    this.#sendRetryTimers.clear();
    for (const record of this.#outbox) {
      if (record.entry.status === "sending") this.#update(record, { status: "pending" });
    }
  }

  // ── delivery ─────────────────────────────────────────────────────────────────────────────────

  #onEvent(event: TConversationEvent): void {
    const conversation = this.#conversations.get(event.conversationId);
    if (!conversation) {
      this.#stats.ignored += 1;
      return;
    }
    if (!conversation.log.offer(event)) {
      this.#stats.duplicates += 1;
      return;
    }
    this.#drain(event.conversationId, conversation);
    if (this.#conversations.get(event.conversationId) !== conversation) return;
    if (conversation.log.cursor === null) this.#sync([event.conversationId], false);
    else if (conversation.log.hasGap) this.#syncAfterGrace(event.conversationId);
  }

  /** Asks for a conversation's gap unless the missing events arrive live within the grace period. */
  #syncAfterGrace(conversationId: string): void {
    if (this.#gapTimers.has(conversationId)) return;
    if (this.#gapGraceMs <= 0) {
      this.#sync([conversationId], false);
      return;
    }
    const timer = setTimeout(() => {
      this.#gapTimers.delete(conversationId);
      if (this.#conversations.get(conversationId)?.log.hasGap) this.#sync([conversationId], false);
    }, this.#gapGraceMs);
    this.#gapTimers.set(conversationId, timer);
  }

  /** Delivers every event that now follows the cursor, in order (stops if a listener untracks). */
  #drain(conversationId: string, conversation: TConversation): void {
    let delivered = false;
    for (;;) {
      if (this.#conversations.get(conversationId) !== conversation) break;
      const next = conversation.log.take();
      if (!next) break;
      delivered = true;
      this.#stats.delivered += 1;
      this.#emitter.emit("event", next);
    }
    if (delivered) {
      this.#saveCursors();
      this.#pruneSent(conversationId);
    }
  }

  #onUserEvent(event: TUserEvent): void {
    if (this.#userLog.cursor === null) this.#userLog.reset(event.seq - 1);
    if (!this.#userLog.offer(event)) {
      this.#stats.duplicates += 1;
      return;
    }
    this.#drainUser();
    if (this.#userLog.hasGap) this.#sync([], true);
  }

  #drainUser(): void {
    let delivered = false;
    for (let next = this.#userLog.take(); next; next = this.#userLog.take()) {
      delivered = true;
      this.#applyUserEvent(next);
      this.#emitter.emit("userEvent", next);
    }
    if (delivered) this.#saveCursors();
  }

  /** What the user log means for tracking (see the header for the rules). */
  #applyUserEvent(event: TUserEvent): void {
    const conversationId = event.payload.conversationId;
    if (typeof conversationId !== "string") return;
    if (event.kind === UserEventKind.ConversationAdded || event.kind === UserEventKind.DmOpened) {
      if (this.#conversations.has(conversationId)) return;
      const joinedSeq = event.payload.joinedSeq;
      const isSeq = typeof joinedSeq === "number" && Number.isInteger(joinedSeq) && joinedSeq >= 1;
      this.track(conversationId, isSeq ? joinedSeq - 1 : undefined);
    } else if (event.kind === UserEventKind.ConversationRemoved) {
      this.untrack(conversationId);
    }
  }

  // ── sync (gap repair, paging, probing) ───────────────────────────────────────────────────────

  /** Asks for what follows the cursors of these conversations (and/or the user log) not already being synced. */
  #sync(conversationIds: readonly string[], user: boolean): void {
    if (!this.#isLive) return; // the hello after the next welcome covers everything
    const ids = conversationIds.filter((id) => this.#conversations.get(id)?.syncing === null);
    const withUser = user && this.#userSyncing === null && this.#userLog.cursor !== null;
    if (ids.length === 0 && !withUser) return;
    // One command per MAX_SYNC_CURSORS conversations (the server refuses more in one frame).
    for (let start = 0; start === 0 || start < ids.length; start += MAX_SYNC_CURSORS) {
      const chunk = ids.slice(start, start + MAX_SYNC_CURSORS);
      const user = withUser && start === 0;
      const id = this.#nextId("y");
      const command: TSync = { type: "sync", id };
      if (chunk.length > 0) {
        command.cursors = Object.fromEntries(
          chunk.map((c) => [c, this.#conversations.get(c)?.log.cursor ?? PROBE_CURSOR]),
        );
      }
      if (user) command.userCursor = this.#userLog.cursor ?? 0;
      if (!this.#connection.send(command)) return;
      this.#stats.syncs += 1;
      this.#pending.set(id, { kind: "sync" });
      this.#registerSync(id, chunk, user);
    }
  }

  #registerSync(key: string, conversationIds: readonly string[], user: boolean): void {
    const from = new Map<string, number | null>();
    for (const id of conversationIds) {
      const conversation = this.#conversations.get(id);
      if (!conversation) continue;
      conversation.syncing = key;
      from.set(id, conversation.log.cursor);
    }
    if (user) this.#userSyncing = key;
    const timer = setTimeout(() => this.#endSync(key, true), this.#syncTimeoutMs);
    this.#syncs.set(key, { from, user, timer });
  }

  /** Releases a sync's conversations; after a failure, asks again for remaining gaps a little later. */
  #endSync(key: string, failed: boolean): TSyncRequest | undefined {
    const request = this.#syncs.get(key);
    if (!request) return undefined;
    clearTimeout(request.timer);
    this.#syncs.delete(key);
    this.#pending.delete(key);
    for (const id of request.from.keys()) {
      const conversation = this.#conversations.get(id);
      if (conversation?.syncing === key) conversation.syncing = null;
    }
    if (request.user && this.#userSyncing === key) this.#userSyncing = null;
    if (failed) this.#scheduleRepair();
    return request;
  }

  #scheduleRepair(): void {
    if (this.#repairTimer !== undefined || !this.#isLive) return;
    this.#repairTimer = setTimeout(() => {
      this.#repairTimer = undefined;
      const gaps = [...this.#conversations]
        .filter(([, c]) => c.log.hasGap || c.log.cursor === null)
        .map(([id]) => id);
      this.#sync(gaps, this.#userLog.hasGap);
    }, this.#syncRetryMs);
  }

  #onSynced(frame: TSynced): void {
    const request = this.#endSync(frame.id ?? HELLO, false);
    // A device without a user cursor starts the user log here (see the header).
    if (this.#userLog.cursor === null) {
      this.#userLog.reset(frame.userSeq);
      this.#drainUser();
    }
    if (!request) return; // not a sync of this socket (or already timed out)

    const again: string[] = [];
    let isFruitless = false;
    // Unknown or unreadable (left, removed): the server lists them once, not one status each.
    for (const id of frame.notFound ?? []) {
      if (!this.#conversations.has(id) || !request.from.has(id)) continue;
      this.#conversations.delete(id);
      this.#saveCursors();
      this.#emitter.emit("forbidden", id);
    }
    for (const status of frame.conversations) {
      const id = status.conversationId;
      const conversation = this.#conversations.get(id);
      if (!conversation || !request.from.has(id)) continue; // only answers to what was asked
      switch (status.status) {
        case "ok":
        case "more":
          if (conversation.log.cursor === null) {
            this.#resync(id, conversation, status.lastSeq); // a server that clamps probes
          } else if (status.status === "more") {
            again.push(id);
          }
          break;
        case "resync":
          this.#resync(id, conversation, status.lastSeq);
          break;
        case "forbidden":
          this.#conversations.delete(id);
          this.#saveCursors();
          this.#emitter.emit("forbidden", id);
          break;
      }
    }
    // Gaps the replay did not close: ask again now if it made progress, later if it did not.
    for (const [id, before] of request.from) {
      const conversation = this.#conversations.get(id);
      if (!conversation || again.includes(id) || !conversation.log.hasGap) continue;
      if (conversation.log.cursor === before) isFruitless = true;
      else again.push(id);
    }
    const userAgain = request.user && (frame.userStatus === "more" || this.#userLog.hasGap);
    this.#sync(again, userAgain);
    if (isFruitless) this.#scheduleRepair();
  }

  /** Hands the conversation back to the app at `lastSeq` and goes on from there. */
  #resync(conversationId: string, conversation: TConversation, lastSeq: number): void {
    this.#emitter.emit("resync", conversationId, lastSeq);
    if (this.#conversations.get(conversationId) !== conversation) return; // the listener re-tracked it
    conversation.log.reset(lastSeq);
    this.#saveCursors();
    this.#pruneSent(conversationId);
    this.#drain(conversationId, conversation);
  }

  // ── outbox internals ─────────────────────────────────────────────────────────────────────────

  /** Appends a new (or retried) entry at the end of the outbox; one too large to send fails at once. */
  #enqueue(record: TOutboxRecord): void {
    this.#outbox.push(record);
    if (this.#isTooLarge(record.entry)) {
      this.#failTooLarge(record);
      return;
    }
    this.#outboxChanged(record.entry);
    this.#pump(record.entry.conversationId);
  }

  /** True when the entry's `send` frame (with the longest possible id) exceeds the frame limit. */
  #isTooLarge(entry: TOutboxEntry): boolean {
    const frame = encodeClientCommand(sendCommand(entry, LONGEST_ID));
    // Cheap bound first: N UTF-16 units never take more than 3N bytes.
    return frame.length * 3 > this.#maxFrameBytes && utf8ByteLength(frame) > this.#maxFrameBytes;
  }

  #failTooLarge(record: TOutboxRecord): void {
    this.#fail(record, {
      code: ErrorCode.FrameTooLarge,
      message: `The message is too large to send: its frame exceeds ${this.#maxFrameBytes} bytes`,
    });
  }

  /** Marks an entry failed and rejects its promise (the entries behind it are pumped by the caller). */
  #fail(record: TOutboxRecord, error: { code: string; message: string }): void {
    this.#update(record, { status: "failed", error });
    record.reject(new ParleySendError(error.code, error.message, record.entry.clientMsgId));
  }

  /** Puts the conversation's next pending entry on the wire unless one is in flight or backing off. */
  #pump(conversationId: string): void {
    for (;;) {
      if (!this.#isLive || this.#sendRetryTimers.has(conversationId)) return;
      let head: TOutboxRecord | undefined;
      for (const record of this.#outbox) {
        if (record.entry.conversationId !== conversationId) continue;
        if (record.entry.status === "sending") return;
        if (record.entry.status === "pending") {
          head = record;
          break;
        }
      }
      if (!head) return;
      // E.g. an entry saved by a client with a higher limit: it would only get the socket closed.
      if (this.#isTooLarge(head.entry)) {
        this.#failTooLarge(head);
        continue;
      }
      const id = this.#nextId("s");
      if (!this.#connection.send(sendCommand(head.entry, id))) return;
      this.#pending.set(id, { kind: "send", clientMsgId: head.entry.clientMsgId });
      this.#update(head, { status: "sending", attempts: head.entry.attempts + 1 });
      return;
    }
  }

  /**
   * The server closed the socket with 4413/1009; `command` is the largest frame sent on it. If it
   * is a message on the wire, that message fails (it is never resent) and the connection may
   * reconnect; anything else is not ours to drop, so the connection stops.
   */
  #onFrameTooLarge(command: TClientCommand, bytes: number): boolean {
    if (command.type !== "send") return false;
    const record = this.#outbox.find((r) => r.entry.clientMsgId === command.clientMsgId);
    if (record?.entry.status !== "sending") return false;
    this.#fail(record, {
      code: ErrorCode.FrameTooLarge,
      message: `The server refused the message as too large (a ${bytes}-byte frame)`,
    });
    return true;
  }

  #onAck(frame: TAck): void {
    const command = this.#pending.get(frame.id);
    if (!command) return;
    this.#pending.delete(frame.id);
    if (command.kind === "markRead") {
      if (this.#reads.get(command.conversationId) === command.seq) this.#reads.delete(command.conversationId);
      return;
    }
    if (command.kind !== "send") return;
    const record = this.#outbox.find((r) => r.entry.clientMsgId === command.clientMsgId);
    if (record?.entry.status !== "sending") return;
    const result = { seq: frame.seq ?? 0, messageId: frame.messageId ?? "" };
    this.#update(record, { status: "sent", ...result });
    record.resolve(result);
    this.#pruneSent(record.entry.conversationId);
    this.#pump(record.entry.conversationId);
  }

  #onError(frame: TErrorFrame): void {
    if (frame.id === undefined) return;
    const command = this.#pending.get(frame.id);
    if (!command) return;
    this.#pending.delete(frame.id);
    if (command.kind === "sync") {
      this.#endSync(frame.id, true);
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
    const record = this.#outbox.find((r) => r.entry.clientMsgId === command.clientMsgId);
    if (record?.entry.status !== "sending") return;
    const conversationId = record.entry.conversationId;
    const policy = sendErrorPolicy(frame.code);
    let delay: number | null = null;
    if (policy === "wait") {
      record.waits += 1;
      delay = frame.retryAfterMs ?? backoffDelay(record.waits - 1, this.#sendBackoff, this.#random);
    } else if (policy === "retry" && record.retries < this.#maxSendRetries) {
      record.retries += 1;
      delay = backoffDelay(record.retries - 1, this.#sendBackoff, this.#random);
    }
    if (delay !== null) {
      // Same entry again after the delay; later entries wait behind it to keep the typed order.
      this.#update(record, { status: "pending" });
      this.#sendRetryTimers.set(
        conversationId,
        setTimeout(
          () => {
            this.#sendRetryTimers.delete(conversationId);
            this.#pump(conversationId);
          },
          Math.min(delay, this.#sendBackoff.maxMs),
        ),
      );
      return;
    }
    // Permanent, or transient too many times (a poison message): fail it and let the next go.
    this.#fail(record, { code: frame.code, message: frame.message });
    this.#pump(conversationId);
  }

  /** Drops sent entries once their own event was delivered (or nobody tracks the conversation). */
  #pruneSent(conversationId: string): void {
    const cursor = this.#conversations.get(conversationId)?.log.cursor;
    const isDone = (e: TOutboxEntry) =>
      e.conversationId === conversationId &&
      e.status === "sent" &&
      (cursor === undefined || (cursor !== null && (e.seq ?? 0) <= cursor));
    const done = this.#outbox.filter((r) => isDone(r.entry));
    if (done.length === 0) return;
    this.#outbox = this.#outbox.filter((r) => !isDone(r.entry));
    for (const record of done) this.#outboxChanged(record.entry);
  }

  #update(record: TOutboxRecord, change: Partial<TOutboxEntry>): void {
    record.entry = { ...record.entry, ...change };
    this.#outboxChanged(record.entry);
  }

  #outboxChanged(entry: TOutboxEntry): void {
    this.#saveOutbox();
    this.#emitter.emit("outbox", entry, this.getOutbox());
  }

  // ── small senders ────────────────────────────────────────────────────────────────────────────

  #sendRead(conversationId: string): void {
    const seq = this.#reads.get(conversationId);
    if (!this.#isLive || seq === undefined) return;
    const id = this.#nextId("r");
    if (this.#connection.send({ type: "markRead", id, conversationId, seq })) {
      this.#pending.set(id, { kind: "markRead", conversationId, seq });
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
    const [cursors, stored] = await Promise.all([
      Promise.resolve()
        .then(() => this.#cursorStore.load())
        .catch((err: unknown) => {
          reportAsync(err);
          return null;
        }),
      Promise.resolve()
        .then(() => this.#outboxStore.load())
        .catch((err: unknown) => {
          reportAsync(err);
          return [] as TStoredOutboxEntry[];
        }),
    ]);
    // What the app did before the stores answered (track, send) wins over what was saved.
    if (cursors) {
      for (const [id, seq] of Object.entries(cursors.conversations)) {
        if (!this.#conversations.has(id))
          this.#conversations.set(id, { log: new SeqLog(seq), syncing: null });
      }
      if (this.#userLog.cursor === null && this.#userLog.buffered === 0 && cursors.user !== null) {
        this.#userLog = new SeqLog(cursors.user);
      }
    }
    const known = new Set(this.#outbox.map((r) => r.entry.clientMsgId));
    const loaded = stored
      .filter((e) => !known.has(e.clientMsgId))
      .map((e) => newRecord({ ...e, attempts: 0 }));
    this.#outbox = [...loaded, ...this.#outbox];
    this.#isLoaded = true;
    this.#saveCursors();
    this.#saveOutbox();
    for (const record of loaded) this.#emitter.emit("outbox", record.entry, this.getOutbox());
  }

  /** Saves the cursors once per burst of changes (a lagging cursor is safe, see stores.ts). */
  #saveCursors(): void {
    if (!this.#isLoaded || this.#isCursorSaveQueued) return;
    this.#isCursorSaveQueued = true;
    queueMicrotask(() => {
      this.#isCursorSaveQueued = false;
      const snapshot: TCursorSnapshot = { conversations: {}, user: this.#userLog.cursor };
      for (const [id, c] of this.#conversations) snapshot.conversations[id] = c.log.cursor;
      this.#persist(() => this.#cursorStore.save(snapshot));
    });
  }

  /** Saves unacked and failed entries (sent ones are durable on the server already). */
  #saveOutbox(): void {
    if (!this.#isLoaded || this.#isOutboxSaveQueued) return;
    this.#isOutboxSaveQueued = true;
    queueMicrotask(() => {
      this.#isOutboxSaveQueued = false;
      const entries: TStoredOutboxEntry[] = [];
      for (const { entry } of this.#outbox) {
        if (entry.status === "sent") continue;
        entries.push({
          clientMsgId: entry.clientMsgId,
          conversationId: entry.conversationId,
          body: entry.body,
          ...sendOptionFields(entry),
          status: entry.status === "failed" ? "failed" : "pending",
          createdAt: entry.createdAt,
          ...(entry.error ? { error: entry.error } : {}),
        });
      }
      this.#persist(() => this.#outboxStore.save(entries));
    });
  }

  #persist(save: () => void | Promise<void>): void {
    try {
      const result = save();
      if (result instanceof Promise) result.catch(reportAsync);
    } catch (err) {
      reportAsync(err);
    }
  }
}
