/**
 * Where ParleyClient keeps what must survive a reload: the cursors (how far each log has been
 * delivered to the app) and the outbox (messages not yet acknowledged, and failed ones). The client
 * loads/saves each whole; outbox writes are throttled while sends come in bursts (save-throttle.ts:
 * a long queue would otherwise be copied on every change).
 *
 * To add a backend (IndexedDB, React Native AsyncStorage, a file in Node): implement TCursorStore
 * and TOutboxStore; `load` and `save` may return promises. Writes are fire-and-forget from the
 * client's point of view and may be coalesced, so a store must tolerate being written often.
 * A cursor that lags behind is safe (the server replays, the client dedups); a cursor ahead of what
 * the app holds would lose events, which is why the client saves a cursor only after delivering.
 */
import type { TSendFailure } from "./outbox-entry.ts";

/** Persisted resume position: last delivered seq per conversation (null: learn it from the server). */
export type TCursorSnapshot = {
  conversations: Record<string, number | null>;
  /** Last delivered seq of the user's own log; null until known. */
  user: number | null;
};

/** Loads and saves the cursors. */
export type TCursorStore = {
  /** The saved snapshot, or null when nothing was saved. */
  load(): TCursorSnapshot | null | Promise<TCursorSnapshot | null>;
  /** Replaces the saved snapshot. */
  save(snapshot: TCursorSnapshot): void | Promise<void>;
};

/** An outbox entry as persisted: only unacknowledged (`pending`) and `failed` ones are kept. */
export type TStoredOutboxEntry = {
  clientMsgId: string;
  conversationId: string;
  body: string;
  threadRootId?: string;
  /** A thread reply also shown in the channel. */
  alsoInChannel?: boolean;
  /** Attachment ids the message carries. */
  attachmentIds?: string[];
  status: "pending" | "failed";
  /** ISO time the message was composed. */
  createdAt: string;
  /** Why it failed (status `failed`); `reason` is the server's ErrorReason when it gave one. */
  error?: TSendFailure;
};

/** Loads and saves the outbox, in send order. */
export type TOutboxStore = {
  /** The saved entries in their original order (empty when nothing was saved). */
  load(): TStoredOutboxEntry[] | Promise<TStoredOutboxEntry[]>;
  /** Replaces the saved entries. */
  save(entries: TStoredOutboxEntry[]): void | Promise<void>;
};

/** The slice of the Web Storage API the localStorage adapters use. */
export type TStorageLike = {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
};

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Cursors in memory (the default): survives reconnects and a new client on the same store, not a reload. */
export function memoryCursorStore(): TCursorStore {
  let saved: TCursorSnapshot | null = null;
  return {
    load: () => (saved ? copy(saved) : null),
    save: (snapshot) => {
      saved = copy(snapshot);
    },
  };
}

/**
 * Outbox in memory, for handing unsent messages from one client to the next in the same process
 * (without a store a client keeps its entries itself: they survive reconnects, not the client).
 * `save` gets a list the client built for it and never touches again, so only `load` copies.
 */
export function memoryOutboxStore(): TOutboxStore {
  let saved: TStoredOutboxEntry[] = [];
  return {
    load: () => copy(saved),
    save: (entries) => {
      saved = entries;
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function readJson(storage: TStorageLike, key: string): unknown {
  try {
    const raw = storage.getItem(key);
    return raw === null ? null : JSON.parse(raw);
  } catch {
    return null; // corrupt or unreadable storage: start fresh rather than crash the app
  }
}

function parseCursors(value: unknown): TCursorSnapshot | null {
  if (!isRecord(value) || !isRecord(value.conversations)) return null;
  const conversations: Record<string, number | null> = {};
  for (const [id, seq] of Object.entries(value.conversations)) {
    if (seq === null || isSeq(seq)) conversations[id] = seq;
  }
  return { conversations, user: isSeq(value.user) ? value.user : null };
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

function parseOutbox(value: unknown): TStoredOutboxEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (e): e is TStoredOutboxEntry =>
      isRecord(e) &&
      typeof e.clientMsgId === "string" &&
      typeof e.conversationId === "string" &&
      typeof e.body === "string" &&
      isOptionalString(e.threadRootId) &&
      (e.alsoInChannel === undefined || typeof e.alsoInChannel === "boolean") &&
      (e.attachmentIds === undefined ||
        (Array.isArray(e.attachmentIds) && e.attachmentIds.every((id) => typeof id === "string"))) &&
      (e.status === "pending" || e.status === "failed") &&
      typeof e.createdAt === "string",
  );
}

function defaultStorage(): TStorageLike {
  const storage = (globalThis as { localStorage?: TStorageLike }).localStorage;
  if (!storage)
    throw new Error("localStorage is not available here: pass a storage or use the memory stores");
  return storage;
}

/**
 * Cursors and outbox in Web Storage under `${prefix}cursors` / `${prefix}outbox`, so a reload
 * resumes and resends. Put the user id in the prefix (several accounts may share a browser), and
 * run one client per prefix at a time: two tabs writing the same keys overwrite each other's
 * outbox (give each tab its own prefix, or elect one tab to hold the connection).
 */
export function localStorageStore(
  prefix: string,
  storage: TStorageLike = defaultStorage(),
): { cursorStore: TCursorStore; outboxStore: TOutboxStore } {
  const cursorsKey = `${prefix}cursors`;
  const outboxKey = `${prefix}outbox`;
  return {
    cursorStore: {
      load: () => parseCursors(readJson(storage, cursorsKey)),
      save: (snapshot) => storage.setItem(cursorsKey, JSON.stringify(snapshot)),
    },
    outboxStore: {
      load: () => parseOutbox(readJson(storage, outboxKey)),
      save: (entries) => {
        if (entries.length === 0) storage.removeItem(outboxKey);
        else storage.setItem(outboxKey, JSON.stringify(entries));
      },
    },
  };
}
