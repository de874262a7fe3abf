/**
 * The outbox: ParleyClient's outbound half.
 *
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
 * - A sent entry stays in the outbox until its own event was delivered (`pruneSent`, called by
 *   the client when Inbound moves a cursor), so the UI never shows the message twice or not at all.
 */
import {
  ErrorCode,
  encodeClientCommand,
  errorTemplate,
  formatTemplate,
  type TAck,
  type TClientCommand,
  type TErrorFrame,
} from "@parley/protocol";
import { backoffDelay, type TBackoffOptions } from "./backoff.ts";
import { utf8ByteLength } from "./connection.ts";
import { persist, reportAsync, type TLink } from "./link.ts";
import {
  LONGEST_ID,
  ParleySendError,
  sendCommand,
  sendOptionFields,
  type TOutboxEntry,
  type TSendFailure,
  type TSendResult,
} from "./outbox-entry.ts";
import { SaveThrottle } from "./save-throttle.ts";
import { sendErrorPolicy } from "./send-policy.ts";
import type { TOutboxStore, TStoredOutboxEntry } from "./stores.ts";

export {
  checkSend,
  ParleySendError,
  ParleySendInputError,
  type TOutboxEntry,
  type TOutboxStatus,
  type TSendFailure,
  type TSendOptions,
  type TSendResult,
} from "./outbox-entry.ts";

type TOutboxRecord = {
  entry: TOutboxEntry;
  /** Place in the send order across conversations (entries() and the store list by it). */
  order: number;
  /** Transient refusals (INTERNAL, …) so far; at maxSendRetries the next one fails the entry. */
  retries: number;
  /** Rate-limit refusals so far (they only lengthen the wait). */
  waits: number;
  promise: Promise<TSendResult>;
  resolve: (result: TSendResult) => void;
  reject: (error: ParleySendError) => void;
};

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
  return { entry, order: 0, retries: 0, waits: 0, promise, resolve, reject };
}

/** What the outbox needs from the client besides the link. */
export type TOutboxOptions = {
  /** Where unsent entries survive a reload; none: they live as long as the client (nothing to copy). */
  store?: TOutboxStore;
  sendBackoff: TBackoffOptions;
  maxSendRetries: number;
  maxFrameBytes: number;
  random: () => number;
  /** Last seq delivered for a conversation (undefined when not tracked): sent entries up to it are done. */
  cursor: (conversationId: string) => number | null | undefined;
  /** An entry changed (a removed entry is no longer in `entries()`). */
  changed: (entry: TOutboxEntry) => void;
};

const isOnTheWay = (e: TOutboxEntry) => e.status === "pending" || e.status === "sending";

/** While changes keep coming, the stored outbox is written at most this often (save-throttle.ts). */
export const SAVE_INTERVAL_MS = 100;

/** The outbox state machine: pump, ack, backoff, retries, persistence of unsent entries. */
export class Outbox {
  readonly #link: TLink;
  readonly #store: TOutboxStore | undefined;
  readonly #sendBackoff: TBackoffOptions;
  readonly #maxSendRetries: number;
  readonly #maxFrameBytes: number;
  readonly #random: () => number;
  readonly #cursor: TOutboxOptions["cursor"];
  readonly #changed: TOutboxOptions["changed"];
  /**
   * Each conversation's records in send order. Within one, every `sent` record comes before the
   * first `pending`/`sending` one (one in flight, in order), so pump and prune look at a short
   * prefix however long the queue is.
   */
  readonly #queues = new Map<string, TOutboxRecord[]>();
  /** The same records by clientMsgId (acks and errors find theirs without a scan). */
  readonly #byId = new Map<string, TOutboxRecord>();
  #nextOrder = 0;
  readonly #sendRetryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #isLoaded = false;
  readonly #saves = new SaveThrottle(() => this.#writeOutbox(), SAVE_INTERVAL_MS);

  constructor(link: TLink, options: TOutboxOptions) {
    this.#link = link;
    this.#store = options.store;
    this.#sendBackoff = options.sendBackoff;
    this.#maxSendRetries = options.maxSendRetries;
    this.#maxFrameBytes = options.maxFrameBytes;
    this.#random = options.random;
    this.#cursor = options.cursor;
    this.#changed = options.changed;
  }

  /** Queues a new entry (fields from checkSend); returns its id and promise. */
  add(
    clientMsgId: string,
    conversationId: string,
    body: string,
    fields: ReturnType<typeof sendOptionFields>,
  ): { clientMsgId: string; promise: Promise<TSendResult> } {
    const record = newRecord({
      clientMsgId,
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

  /** ParleyClient.retry: a failed entry again, with the same clientMsgId, at the end. */
  retry(clientMsgId: string): Promise<TSendResult> {
    const old = this.#byId.get(clientMsgId);
    if (old?.entry.status !== "failed") throw new Error(`No failed outbox entry ${clientMsgId}`);
    const { error: _error, ...rest } = old.entry;
    const record = newRecord({ ...rest, status: "pending", attempts: 0 });
    this.#remove(old);
    this.#enqueue(record);
    return record.promise;
  }

  /** ParleyClient.discard: removes a failed entry or a pending one that never went out. */
  discard(clientMsgId: string): boolean {
    const record = this.#byId.get(clientMsgId);
    const status = record?.entry.status;
    const isDiscardable = status === "failed" || (status === "pending" && record?.entry.attempts === 0);
    if (!record || !isDiscardable) return false;
    this.#remove(record);
    if (record.entry.status === "pending") {
      record.reject(new ParleySendError("DISCARDED", "The message was discarded", clientMsgId));
    }
    this.#outboxChanged(record.entry);
    return true;
  }

  /** The entries in send order, optionally of one conversation. */
  entries(conversationId?: string): TOutboxEntry[] {
    const records = conversationId === undefined ? this.#inOrder() : (this.#queues.get(conversationId) ?? []);
    return records.map((r) => r.entry);
  }

  /** Every record in send order. */
  #inOrder(): TOutboxRecord[] {
    const all = [...this.#queues.values()].flat();
    return this.#queues.size > 1 ? all.sort((a, b) => a.order - b.order) : all;
  }

  /** A new socket is live: every conversation with entries sends its next one. */
  onWelcome(): void {
    for (const conversationId of [...this.#queues.keys()]) this.#pump(conversationId);
  }

  /** The socket is gone: what was on the wire goes back to pending, to be resent after the next welcome. */
  onSocketLost(): void {
    for (const timer of this.#sendRetryTimers.values()) clearTimeout(timer);
    this.#sendRetryTimers.clear();
    for (const queue of this.#queues.values()) {
      for (const record of queue) {
        if (record.entry.status === "sending") this.#update(record, { status: "pending" });
      }
    }
  }

  /** Appends a new (or retried) entry at the end of the outbox; one too large to send fails at once. */
  #enqueue(record: TOutboxRecord): void {
    record.order = this.#nextOrder++;
    this.#queueOf(record.entry.conversationId).push(record);
    this.#byId.set(record.entry.clientMsgId, record);
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
    this.#fail(record, failure(ErrorCode.FrameTooLarge, TOO_LARGE_TO_SEND, { bytes: this.#maxFrameBytes }));
  }

  /** Marks an entry failed and rejects its promise (the entries behind it are pumped by the caller). */
  #fail(record: TOutboxRecord, error: TSendFailure): void {
    this.#update(record, { status: "failed", error });
    record.reject(
      new ParleySendError(error.code, error.message, record.entry.clientMsgId, error.reason, error),
    );
  }

  /** Puts the conversation's next pending entry on the wire unless one is in flight or backing off. */
  #pump(conversationId: string): void {
    for (;;) {
      if (!this.#link.isLive || this.#sendRetryTimers.has(conversationId)) return;
      let head: TOutboxRecord | undefined;
      for (const record of this.#queues.get(conversationId) ?? []) {
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
      const id = this.#link.nextId("s");
      if (!this.#link.send(sendCommand(head.entry, id))) return;
      this.#link.pending.set(id, { kind: "send", clientMsgId: head.entry.clientMsgId });
      this.#update(head, { status: "sending", attempts: head.entry.attempts + 1 });
      return;
    }
  }

  /**
   * The server closed the socket with 4413/1009; `command` is the largest frame sent on it. If it
   * is a message on the wire, that message fails (it is never resent) and the connection may
   * reconnect; anything else is not ours to drop, so the connection stops.
   */
  onFrameTooLarge(command: TClientCommand, bytes: number): boolean {
    if (command.type !== "send") return false;
    const record = this.#byId.get(command.clientMsgId);
    if (record?.entry.status !== "sending") return false;
    this.#fail(record, failure(ErrorCode.FrameTooLarge, REFUSED_AS_TOO_LARGE, { bytes }));
    return true;
  }

  /** The server stored the message of the `send` (its pending command already removed). */
  onAck(clientMsgId: string, frame: TAck): void {
    const record = this.#byId.get(clientMsgId);
    if (record?.entry.status !== "sending") return;
    const result = { seq: frame.seq ?? 0, messageId: frame.messageId ?? "" };
    this.#update(record, { status: "sent", ...result });
    record.resolve(result);
    this.pruneSent(record.entry.conversationId);
    this.#pump(record.entry.conversationId);
  }

  /** The server refused the `send` (its pending command already removed): wait, retry or fail (SEND_ERROR_POLICY). */
  onError(clientMsgId: string, frame: TErrorFrame): void {
    const record = this.#byId.get(clientMsgId);
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
    this.#fail(record, {
      code: frame.code,
      message: frame.message,
      ...(frame.reason !== undefined ? { reason: frame.reason } : {}),
      ...(frame.template !== undefined ? { template: frame.template } : {}),
      ...(frame.params !== undefined ? { params: frame.params } : {}),
    });
    this.#pump(conversationId);
  }

  /** Drops sent entries once their own event was delivered (or nobody tracks the conversation). */
  pruneSent(conversationId: string): void {
    const queue = this.#queues.get(conversationId);
    if (!queue) return;
    // Sent records are all before the first pending/sending one: look at that prefix only.
    let end = 0;
    while (end < queue.length && !isOnTheWay(queue[end]!.entry)) end += 1;
    if (end === 0) return;
    const cursor = this.#cursor(conversationId);
    const isDone = (e: TOutboxEntry) =>
      e.status === "sent" && (cursor === undefined || (cursor !== null && (e.seq ?? 0) <= cursor));
    const prefix = queue.slice(0, end);
    const done = prefix.filter((r) => isDone(r.entry));
    if (done.length === 0) return;
    queue.splice(0, end, ...prefix.filter((r) => !isDone(r.entry)));
    if (queue.length === 0) this.#queues.delete(conversationId);
    for (const record of done) this.#byId.delete(record.entry.clientMsgId);
    for (const record of done) this.#outboxChanged(record.entry);
  }

  #queueOf(conversationId: string): TOutboxRecord[] {
    let queue = this.#queues.get(conversationId);
    if (!queue) {
      queue = [];
      this.#queues.set(conversationId, queue);
    }
    return queue;
  }

  /** Takes one record out (retry, discard). */
  #remove(record: TOutboxRecord): void {
    const conversationId = record.entry.conversationId;
    const queue = this.#queues.get(conversationId) ?? [];
    queue.splice(queue.indexOf(record), 1);
    if (queue.length === 0) this.#queues.delete(conversationId);
    this.#byId.delete(record.entry.clientMsgId);
  }

  #update(record: TOutboxRecord, change: Partial<TOutboxEntry>): void {
    const before = record.entry;
    record.entry = { ...before, ...change };
    // Pending and sending are both stored as pending (attempts are not stored): no write for that.
    this.#outboxChanged(record.entry, !(isOnTheWay(before) && isOnTheWay(record.entry)));
  }

  #outboxChanged(entry: TOutboxEntry, isStoredFormChanged = true): void {
    if (isStoredFormChanged) this.#saveOutbox();
    this.#changed(entry);
  }

  /** Writes a pending save now (ParleyClient.flush: on disconnect, and the web app's pagehide). */
  flushSaves(): void {
    this.#saves.flush();
  }

  // ── persistence ──────────────────────────────────────────────────────────────────────────────

  /** Reads the store; failures are reported and count as an empty outbox. */
  load(): Promise<TStoredOutboxEntry[]> {
    const store = this.#store;
    if (!store) return Promise.resolve([]);
    return Promise.resolve()
      .then(() => store.load())
      .catch((err: unknown) => {
        reportAsync(err);
        return [] as TStoredOutboxEntry[];
      });
  }

  /**
   * Puts the loaded entries before those added meanwhile (what the app sent before the store
   * answered wins), starts saving, and reports each restored entry as changed.
   */
  restore(stored: readonly TStoredOutboxEntry[]): void {
    const loaded = stored
      .filter((e) => !this.#byId.has(e.clientMsgId))
      .map((e) => newRecord({ ...e, attempts: 0 }));
    // Before everything added meanwhile, in their stored order.
    const byConversation = new Map<string, TOutboxRecord[]>();
    loaded.forEach((record, i) => {
      record.order = i - loaded.length;
      this.#byId.set(record.entry.clientMsgId, record);
      const list = byConversation.get(record.entry.conversationId) ?? [];
      list.push(record);
      byConversation.set(record.entry.conversationId, list);
    });
    for (const [conversationId, list] of byConversation) {
      this.#queues.set(conversationId, [...list, ...(this.#queues.get(conversationId) ?? [])]);
    }
    this.#isLoaded = true;
    // Only when the store no longer says it all: entries added before it answered, or dropped.
    if (this.#byId.size !== stored.length || loaded.length !== stored.length) this.#saveOutbox();
    for (const record of loaded) this.#changed(record.entry);
  }

  /** Saves unacked and failed entries (sent ones are durable on the server already), throttled. */
  #saveOutbox(): void {
    if (this.#store && this.#isLoaded) this.#saves.request();
  }

  #writeOutbox(): void {
    const store = this.#store;
    if (!store) return;
    const entries: TStoredOutboxEntry[] = [];
    for (const { entry } of this.#inOrder()) {
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
    persist(() => store.save(entries));
  }
}

const TOO_LARGE_TO_SEND = errorTemplate("The message is too large to send: its frame exceeds {bytes} bytes");
const REFUSED_AS_TOO_LARGE = errorTemplate(
  "The server refused the message as too large (a {bytes}-byte frame)",
);

/** A failure of the SDK's own, with its English text filled in and its template kept for translation. */
function failure(code: string, template: string, params: Record<string, number>): TSendFailure {
  return { code, message: formatTemplate(template, params), template, params };
}
