/**
 * Inbound: ParleyClient's delivery half — per-conversation cursors and buffers, gap repair,
 * resync and the user log.
 *
 * - Delivery: every conversation has a cursor (last seq handed to the app) and a SeqLog that
 *   applies "Sending" step 5 — deliver seq == cursor+1, drop seq <= cursor, buffer a seq beyond
 *   a gap and ask for the gap with `sync` (at most one sync in flight per conversation; the
 *   `hello` replay after every (re)connect counts as that sync). So the app sees each seq once,
 *   in seq order, whether events came live, from the replay, or both interleaved.
 * - Resume: cursors and the user cursor live in a CursorStore; `hello` carries them all, so a
 *   reconnect or (with a persistent store) a reload picks up exactly where the app was.
 *
 * Rules chosen where the protocol leaves room (keep them in sync with the docs on the methods):
 * - Events of conversations the client does not track are ignored: the app tracks a conversation
 *   (`track`) once it has loaded its history, or the client starts tracking it from the user log.
 * - `conversation.added` / `dm.opened`: if the payload has `joinedSeq` (the seq of the
 *   member.joined event), tracking starts just before it, so the join itself is the first event
 *   delivered. Otherwise the start is learnt from the server: the conversation is synced with a
 *   cursor ahead of any log, which the protocol answers with `resync` + its lastSeq; the client
 *   emits `resync(conversationId, lastSeq)` (load history up to there) and delivers what follows.
 *   `conversation.removed` stops tracking. User events are read with the protocol's
 *   `decodeUserEvent`; one it cannot read is delivered but changes no tracking.
 * - A device without a user cursor starts the user log at the first `synced.userSeq` or the first
 *   live `user.event`, whichever comes first (state before that comes from the app's own fetch).
 * - `synced` with `truncatedSeq` (message retention removed the log up to it while the cursor was
 *   below): the cursor jumps there and what the replay buffered above it is delivered — the
 *   removed range is skipped, never asked for (see #skipTruncated).
 * - `resync` keeps buffered events above the new cursor (they are still ahead of what the app will
 *   refetch) and drops the rest.
 */
import {
  decodeUserEvent,
  MAX_SYNC_CURSORS,
  type TConversationEvent,
  type THello,
  type TSync,
  type TSynced,
  type TUserEvent,
  UserEventKind,
} from "@parley/protocol";
import { persist, reportAsync, type TLink } from "./link.ts";
import { SeqLog } from "./seq-log.ts";
import type { TCursorSnapshot, TCursorStore } from "./stores.ts";

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

/** The events Inbound emits through the client (see TClientEvents). */
export type TInboundEvents = {
  event: [event: TConversationEvent];
  userEvent: [event: TUserEvent];
  resync: [conversationId: string, lastSeq: number];
  forbidden: [conversationId: string];
  truncated: [conversationId: string, truncatedSeq: number];
};

/** What Inbound needs from the client besides the link. */
export type TInboundOptions = {
  store: TCursorStore;
  syncTimeoutMs: number;
  syncRetryMs: number;
  gapGraceMs: number;
  /** The client's emitter (method syntax: it has more events than these). */
  emitter: { emit<K extends keyof TInboundEvents>(event: K, ...args: TInboundEvents[K]): void };
  /** A conversation's cursor moved (delivery or resync): its sent outbox entries may be done. */
  delivered: (conversationId: string) => void;
};

/** The inbound state machine: ordered exactly-once delivery, resume and sync. */
export class Inbound {
  readonly #link: TLink;
  readonly #store: TCursorStore;
  readonly #syncTimeoutMs: number;
  readonly #syncRetryMs: number;
  readonly #gapGraceMs: number;
  readonly #emitter: TInboundOptions["emitter"];
  readonly #delivered: TInboundOptions["delivered"];
  /** Conversations with a gap waiting out its grace period before a sync is sent. */
  readonly #gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #conversations = new Map<string, TConversation>();
  #userLog = new SeqLog<TUserEvent>(null);
  #userSyncing: string | null = null;
  readonly #syncs = new Map<string, TSyncRequest>();
  #repairTimer: ReturnType<typeof setTimeout> | undefined;
  #isLoaded = false;
  #isSaveQueued = false;
  readonly stats: TClientStats = { delivered: 0, duplicates: 0, ignored: 0, syncs: 0 };

  constructor(link: TLink, options: TInboundOptions) {
    this.#link = link;
    this.#store = options.store;
    this.#syncTimeoutMs = options.syncTimeoutMs;
    this.#syncRetryMs = options.syncRetryMs;
    this.#gapGraceMs = options.gapGraceMs;
    this.#emitter = options.emitter;
    this.#delivered = options.delivered;
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

  // ── connection events ────────────────────────────────────────────────────────────────────────

  /**
   * What `hello` carries: the cursors of the first MAX_SYNC_CURSORS tracked conversations (the
   * server refuses more in one frame); onWelcome syncs the rest in further `sync` commands.
   */
  resumeState(): Pick<THello, "cursors" | "userCursor"> {
    const cursors: Record<string, number> = {};
    for (const id of this.#helloIds()) cursors[id] = this.#conversations.get(id)?.log.cursor ?? PROBE_CURSOR;
    const state: Pick<THello, "cursors" | "userCursor"> = {};
    if (this.#conversations.size > 0) state.cursors = cursors;
    if (this.#userLog.cursor !== null) state.userCursor = this.#userLog.cursor;
    return state;
  }

  /** The conversations whose cursors `hello` carries (insertion order, at most MAX_SYNC_CURSORS). */
  #helloIds(): string[] {
    return [...this.#conversations.keys()].slice(0, MAX_SYNC_CURSORS);
  }

  /** The connection sent `hello` with resumeState(): its replay covers those cursors, `sync` the rest. */
  onWelcome(): void {
    const hello = this.resumeState();
    if (hello.cursors || hello.userCursor !== undefined) {
      this.#registerSync(HELLO, this.#helloIds(), hello.userCursor !== undefined);
    }
    if (this.#conversations.size > MAX_SYNC_CURSORS) {
      this.#sync([...this.#conversations.keys()].slice(MAX_SYNC_CURSORS), false);
    }
  }

  /** Whatever sync was in flight on the lost socket is unanswered: the next hello covers it. */
  onSocketLost(): void {
    for (const request of this.#syncs.values()) clearTimeout(request.timer);
    this.#syncs.clear();
    for (const timer of this.#gapTimers.values()) clearTimeout(timer);
    this.#gapTimers.clear();
    for (const conversation of this.#conversations.values()) conversation.syncing = null;
    this.#userSyncing = null;
    clearTimeout(this.#repairTimer);
    this.#repairTimer = undefined;
  }

  // ── delivery ─────────────────────────────────────────────────────────────────────────────────

  /** A live or replayed conversation event. */
  onEvent(event: TConversationEvent): void {
    const conversation = this.#conversations.get(event.conversationId);
    if (!conversation) {
      this.stats.ignored += 1;
      return;
    }
    if (!conversation.log.offer(event)) {
      this.stats.duplicates += 1;
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
      this.stats.delivered += 1;
      this.#emitter.emit("event", next);
    }
    if (delivered) {
      this.#saveCursors();
      this.#delivered(conversationId);
    }
  }

  /** A live or replayed event of the user log. */
  onUserEvent(event: TUserEvent): void {
    if (this.#userLog.cursor === null) this.#userLog.reset(event.seq - 1);
    if (!this.#userLog.offer(event)) {
      this.stats.duplicates += 1;
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
  #applyUserEvent(raw: TUserEvent): void {
    const event = decodeUserEvent(raw);
    if (event?.kind === UserEventKind.ConversationAdded || event?.kind === UserEventKind.DmOpened) {
      const { conversationId, joinedSeq } = event.payload;
      if (this.#conversations.has(conversationId)) return;
      this.track(conversationId, joinedSeq !== undefined && joinedSeq >= 1 ? joinedSeq - 1 : undefined);
    } else if (event?.kind === UserEventKind.ConversationRemoved) {
      this.untrack(event.payload.conversationId);
    }
  }

  // ── sync (gap repair, paging, probing) ───────────────────────────────────────────────────────

  /** Asks for what follows the cursors of these conversations (and/or the user log) not already being synced. */
  #sync(conversationIds: readonly string[], user: boolean): void {
    if (!this.#link.isLive) return; // the hello after the next welcome covers everything
    const ids = conversationIds.filter((id) => this.#conversations.get(id)?.syncing === null);
    const withUser = user && this.#userSyncing === null && this.#userLog.cursor !== null;
    if (ids.length === 0 && !withUser) return;
    // One command per MAX_SYNC_CURSORS conversations (the server refuses more in one frame).
    for (let start = 0; start === 0 || start < ids.length; start += MAX_SYNC_CURSORS) {
      const chunk = ids.slice(start, start + MAX_SYNC_CURSORS);
      const user = withUser && start === 0;
      const id = this.#link.nextId("y");
      const command: TSync = { type: "sync", id };
      if (chunk.length > 0) {
        command.cursors = Object.fromEntries(
          chunk.map((c) => [c, this.#conversations.get(c)?.log.cursor ?? PROBE_CURSOR]),
        );
      }
      if (user) command.userCursor = this.#userLog.cursor ?? 0;
      if (!this.#link.send(command)) return;
      this.stats.syncs += 1;
      this.#link.pending.set(id, { kind: "sync" });
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

  /** The server refused a `sync` (its pending command already removed): ask again a little later. */
  onSyncError(id: string): void {
    this.#endSync(id, true);
  }

  /** Releases a sync's conversations; after a failure, asks again for remaining gaps a little later. */
  #endSync(key: string, failed: boolean): TSyncRequest | undefined {
    const request = this.#syncs.get(key);
    if (!request) return undefined;
    clearTimeout(request.timer);
    this.#syncs.delete(key);
    this.#link.pending.delete(key);
    for (const id of request.from.keys()) {
      const conversation = this.#conversations.get(id);
      if (conversation?.syncing === key) conversation.syncing = null;
    }
    if (request.user && this.#userSyncing === key) this.#userSyncing = null;
    if (failed) this.#scheduleRepair();
    return request;
  }

  #scheduleRepair(): void {
    if (this.#repairTimer !== undefined || !this.#link.isLive) return;
    this.#repairTimer = setTimeout(() => {
      this.#repairTimer = undefined;
      const gaps = [...this.#conversations]
        .filter(([, c]) => c.log.hasGap || c.log.cursor === null)
        .map(([id]) => id);
      this.#sync(gaps, this.#userLog.hasGap);
    }, this.#syncRetryMs);
  }

  /** The end of a replay (`sync` or `hello`): release its conversations, resync or ask again. */
  onSynced(frame: TSynced): void {
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
          if (status.truncatedSeq !== undefined) this.#skipTruncated(id, conversation, status.truncatedSeq);
          if (this.#conversations.get(id) !== conversation) break; // a listener untracked it
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

  /**
   * Retention removed the log up to `truncatedSeq` (a tombstone, not a gap): the cursor jumps there
   * and the replayed events buffered above it are delivered. Only ever forward.
   */
  #skipTruncated(conversationId: string, conversation: TConversation, truncatedSeq: number): void {
    const cursor = conversation.log.cursor;
    if (cursor === null || cursor >= truncatedSeq) return;
    conversation.log.reset(truncatedSeq);
    this.#saveCursors();
    this.#emitter.emit("truncated", conversationId, truncatedSeq);
    if (this.#conversations.get(conversationId) !== conversation) return;
    this.#delivered(conversationId);
    this.#drain(conversationId, conversation);
  }

  /** Hands the conversation back to the app at `lastSeq` and goes on from there. */
  #resync(conversationId: string, conversation: TConversation, lastSeq: number): void {
    this.#emitter.emit("resync", conversationId, lastSeq);
    if (this.#conversations.get(conversationId) !== conversation) return; // the listener re-tracked it
    conversation.log.reset(lastSeq);
    this.#saveCursors();
    this.#delivered(conversationId);
    this.#drain(conversationId, conversation);
  }

  // ── persistence ──────────────────────────────────────────────────────────────────────────────

  /** Reads the store; failures are reported and count as no cursors. */
  load(): Promise<TCursorSnapshot | null> {
    return Promise.resolve()
      .then(() => this.#store.load())
      .catch((err: unknown) => {
        reportAsync(err);
        return null;
      });
  }

  /** Takes the loaded cursors (what the app tracked before the store answered wins) and starts saving. */
  restore(cursors: TCursorSnapshot | null): void {
    if (cursors) {
      for (const [id, seq] of Object.entries(cursors.conversations)) {
        if (!this.#conversations.has(id))
          this.#conversations.set(id, { log: new SeqLog(seq), syncing: null });
      }
      if (this.#userLog.cursor === null && this.#userLog.buffered === 0 && cursors.user !== null) {
        this.#userLog = new SeqLog(cursors.user);
      }
    }
    this.#isLoaded = true;
    this.#saveCursors();
  }

  /** Saves the cursors once per burst of changes (a lagging cursor is safe, see stores.ts). */
  #saveCursors(): void {
    if (!this.#isLoaded || this.#isSaveQueued) return;
    this.#isSaveQueued = true;
    queueMicrotask(() => {
      this.#isSaveQueued = false;
      const snapshot: TCursorSnapshot = { conversations: {}, user: this.#userLog.cursor };
      for (const [id, c] of this.#conversations) snapshot.conversations[id] = c.log.cursor;
      persist(() => this.#store.save(snapshot));
    });
  }
}
