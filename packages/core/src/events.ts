/**
 * The after-commit event sink.
 *
 * Core persists every change first (Event / UserEvent rows) and only after commit hands the same
 * event to the process's `EventSink` — the single generation point for pushes (Zulip's
 * `send_event`). The default sink is an in-process `MemoryEventBus`; the process that owns the
 * Engine installs the fan-out (fanout.ts) with `setEventSink`.
 *
 * To add an event kind: define it and its payload in @parley/protocol (EventKind, UserEventKind),
 * then append it under the seq lock (tx.ts) in the service that makes the change.
 */
import { EventKind, encodeServerEvent, type TEventKind, type TUserEventKind } from "@parley/protocol";

/** One entry of a conversation's log, as persisted and as pushed. */
export type TConversationEventRecord = {
  conversationId: string;
  seq: number;
  kind: TEventKind;
  actorId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  /**
   * Conversation.membersSeq as this event committed: the seq of the latest event that may have
   * changed the member list (MEMBER_LIST_KINDS). Set by every writer on what it hands the sink
   * (absent on entries read back from the log); never on the wire. The fan-out keeps a member list
   * while this stays the same, and reloads it when it is absent.
   */
  membersSeq?: number;
};

/** Kinds after which a conversation's member list may differ (each sets Conversation.membersSeq). */
export const MEMBER_LIST_KINDS: ReadonlySet<TEventKind> = new Set<TEventKind>([
  EventKind.MemberJoined,
  EventKind.MemberLeft,
  EventKind.ConversationUpdated,
]);

/** One entry of a user's own log, as persisted and as pushed. */
export type TUserEventRecord = {
  userId: string;
  seq: number;
  kind: TUserEventKind;
  payload: Record<string, unknown>;
  createdAt: Date;
};

/**
 * The wire form of a conversation log entry. The one encoder for both paths — live fan-out and
 * replay (hello/sync) — so a client gets byte-identical frames whichever way an event arrives.
 */
export function encodeConversationEvent(event: TConversationEventRecord): string {
  return encodeServerEvent({
    type: "event",
    conversationId: event.conversationId,
    seq: event.seq,
    kind: event.kind,
    actorId: event.actorId,
    payload: event.payload,
    createdAt: event.createdAt.toISOString(),
  });
}

/** The wire form of a user log entry (live and replayed alike). */
export function encodeUserEvent(event: TUserEventRecord): string {
  return encodeServerEvent({ type: "user.event", seq: event.seq, kind: event.kind, payload: event.payload });
}

/** Receives events after their transaction committed. Must not throw for delivery problems. */
export type TEventSink = {
  conversationEvent(conversationId: string, event: TConversationEventRecord): void;
  userEvent(userId: string, event: TUserEventRecord): void;
};

type Listener<E> = (event: E) => void;

/** In-process pub/sub: the single-node default sink, also handy in tests. */
export class MemoryEventBus implements TEventSink {
  private readonly conversationListeners = new Map<string, Set<Listener<TConversationEventRecord>>>();
  private readonly userListeners = new Map<string, Set<Listener<TUserEventRecord>>>();
  private readonly allListeners = new Set<Listener<TConversationEventRecord | TUserEventRecord>>();

  conversationEvent(conversationId: string, event: TConversationEventRecord): void {
    emit(this.conversationListeners.get(conversationId), event);
    emit(this.allListeners, event);
  }

  userEvent(userId: string, event: TUserEventRecord): void {
    emit(this.userListeners.get(userId), event);
    emit(this.allListeners, event);
  }

  /** Listens to one conversation's events; returns the unsubscribe function. */
  subscribeConversation(conversationId: string, listener: Listener<TConversationEventRecord>): () => void {
    return subscribe(this.conversationListeners, conversationId, listener);
  }

  /** Listens to one user's events; returns the unsubscribe function. */
  subscribeUser(userId: string, listener: Listener<TUserEventRecord>): () => void {
    return subscribe(this.userListeners, userId, listener);
  }

  /** Listens to every event (tests, debugging); returns the unsubscribe function. */
  subscribeAll(listener: Listener<TConversationEventRecord | TUserEventRecord>): () => void {
    this.allListeners.add(listener);
    return () => this.allListeners.delete(listener);
  }
}

function subscribe<E>(map: Map<string, Set<Listener<E>>>, key: string, listener: Listener<E>): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) map.delete(key);
  };
}

function emit<E>(listeners: Set<Listener<E>> | undefined, event: E): void {
  if (!listeners) return;
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (err) {
      // A failing subscriber must not break the write that already committed, nor other subscribers.
      console.error("event listener failed", err);
    }
  }
}

// The sink lives on globalThis, not in a module variable: in single-process mode Next's bundle of
// @parley/core and the server's own copy are two module instances, and both must publish into the
// one sink the server installed (the gateway's engine).
const SINK_KEY = Symbol.for("parley.eventSink");
const holder = globalThis as typeof globalThis & { [SINK_KEY]?: TEventSink };

/** Replaces the process-wide sink (the process that owns the engine installs its fan-out here). */
export function setEventSink(next: TEventSink): void {
  holder[SINK_KEY] = next;
}

/** The process-wide sink; a MemoryEventBus until `setEventSink` is called. */
export function getEventSink(): TEventSink {
  holder[SINK_KEY] ??= new MemoryEventBus();
  return holder[SINK_KEY];
}

/**
 * Writes of this process that may still hand events of a conversation to the sink: each write
 * counts itself in (`begin`) before it can take a seq, and out (`end`) just before its committed
 * events reach the sink, or when it gives up. A conversation's writes commit in seq order (row
 * lock), so when the fan-out sees a gap in seqs while no write of this process is counted for the
 * conversation, the missing seqs were committed by another process and are not worth waiting for.
 * On globalThis for the same reason as the sink (one count for Next's copy of core and ours).
 */
export type TWritesInFlight = {
  begin(conversationIds: Iterable<string>): void;
  end(conversationIds: Iterable<string>): void;
  has(conversationId: string): boolean;
};

const WRITES_KEY = Symbol.for("parley.writesInFlight");
const writesHolder = globalThis as typeof globalThis & { [WRITES_KEY]?: Map<string, number> };

function writeCounts(): Map<string, number> {
  writesHolder[WRITES_KEY] ??= new Map();
  return writesHolder[WRITES_KEY];
}

export const writesInFlight: TWritesInFlight = {
  begin(conversationIds) {
    const counts = writeCounts();
    for (const id of conversationIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  },
  end(conversationIds) {
    const counts = writeCounts();
    for (const id of conversationIds) {
      const left = (counts.get(id) ?? 0) - 1;
      if (left > 0) counts.set(id, left);
      else counts.delete(id);
    }
  },
  has(conversationId) {
    return writeCounts().has(conversationId);
  },
};

/**
 * Called once per committed write that appended conversation events (not once per event), with
 * them, after the sink got them: background followers of the Event log in this process (the search
 * indexer) wake on it instead of polling, and read only the conversations written. Must be cheap
 * and never throw into the writer. On globalThis for the same reason as the sink (writes of Next's
 * copy of core must wake the server's indexer).
 */
type CommitListener = (events: readonly TConversationEventRecord[]) => void;
const COMMIT_KEY = Symbol.for("parley.commitListeners");
const commitHolder = globalThis as typeof globalThis & { [COMMIT_KEY]?: Set<CommitListener> };

function commitListeners(): Set<CommitListener> {
  commitHolder[COMMIT_KEY] ??= new Set();
  return commitHolder[COMMIT_KEY];
}

/** Listens for committed conversation events (one call per write); returns the unsubscribe function. */
export function onEventsCommitted(listener: CommitListener): () => void {
  commitListeners().add(listener);
  return () => commitListeners().delete(listener);
}

/** Delivers committed events to the sink; a sink failure is logged, never surfaced to the writer. */
export function publishCommitted(
  conversationEvents: readonly TConversationEventRecord[],
  userEvents: readonly TUserEventRecord[] = [],
): void {
  for (const event of conversationEvents) {
    try {
      getEventSink().conversationEvent(event.conversationId, event);
    } catch (err) {
      console.error("event sink failed", err);
    }
  }
  for (const event of userEvents) {
    try {
      getEventSink().userEvent(event.userId, event);
    } catch (err) {
      console.error("event sink failed", err);
    }
  }
  if (conversationEvents.length > 0) emit(commitListeners(), conversationEvents);
}
