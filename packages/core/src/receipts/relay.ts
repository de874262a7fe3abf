/**
 * The receipt relay: live `receipts` frames when members' cursors move (markRead, markDelivered).
 * Ephemeral like typing — never a log entry — and routed like it (core's routeToConversation), to
 * the conversation's members only. Coalesced: the first move in a conversation starts a window of
 * `intervalMs`; every move in it merges (the larger seq wins) and one frame per audience leaves
 * when it ends, so a cursor moving 50 times a second costs a few frames, not 50. Each process
 * coalesces its own moves (a move is relayed by the process that wrote it).
 *
 * Who sees what (read at flush, one query): DMs and group DMs get delivered and read cursors,
 * channels only read cursors and only up to RECEIPTS_MAX_MEMBERS members; a read cursor is shown
 * only between users who both have `sendReadReceipts` on (an opted-out member's reads are never
 * sent, and they are sent no one's).
 *
 * The relay lives on globalThis (like the event sink) so Next's bundled copy of core relays into
 * the same engine; `startRealtime` installs it. Without one, moves are dropped (nothing to push to).
 */
import type { TDb } from "@parley/db";
import { encodeServerEvent, RECEIPTS_MAX_MEMBERS, type TReceiptCursor } from "@parley/protocol";
import { DEFAULT_LARGE_CHANNEL_THRESHOLD, routeToConversation } from "../conversation-routes.ts";
import type { TEngine } from "../engine/types.ts";
import { hotQuery } from "../hot-sql.ts";
import { processLogger } from "../logging.ts";

/** A cursor change: either or both cursors' new values. */
export type TCursorMove = { deliveredSeq?: number; readSeq?: number };

/** Receives cursor moves after they committed. */
export type TReceiptRelay = {
  moved(conversationId: string, userId: string, move: TCursorMove): void;
  /** Sends what is pending now and stops. */
  close(): Promise<void>;
};

const RELAY_KEY = Symbol.for("parley.receiptRelay");
const holder = globalThis as typeof globalThis & { [RELAY_KEY]?: TReceiptRelay };

const NO_RELAY: TReceiptRelay = { moved() {}, close: async () => {} };

/** Installs the process's relay (startRealtime does). */
export function setReceiptRelay(relay: TReceiptRelay | null): void {
  if (relay) holder[RELAY_KEY] = relay;
  else delete holder[RELAY_KEY];
}

/** The process's relay, or one that drops every move. */
export function receiptRelay(): TReceiptRelay {
  return holder[RELAY_KEY] ?? NO_RELAY;
}

/** The members a frame may go to, with the facts that decide what they see. */
const AUDIENCE = {
  name: "receipts_audience_v1",
  text: `SELECT c.kind::text AS kind, m."userId"::text AS "userId", u."sendReadReceipts" AS "sendsReceipts"
    FROM "Conversation" c
    JOIN "Membership" m ON m."conversationId" = c.id
    JOIN "User" u ON u.id = m."userId"
    WHERE c.id = $1::uuid
    LIMIT $2::int`,
};

type TAudienceRow = { kind: string; userId: string; sendsReceipts: boolean };

/** Options of createReceiptRelay. */
export type TReceiptRelayOptions = {
  db: TDb;
  engine: TEngine;
  /** Coalescing window per conversation (default 500 ms). */
  intervalMs?: number;
  /** Must match the fan-out's (routing only; receipts never reach large channels). */
  largeChannelThreshold?: number;
  onError?: (err: unknown) => void;
};

/** True for the kinds that show delivered ticks. */
export function isDirectKind(kind: string): boolean {
  return kind === "dm" || kind === "group_dm";
}

/**
 * The frames' cursors for one flush: `full` for viewers who send receipts, `deliveredOnly` for
 * those who do not (empty in channels). Pure; exported for tests.
 */
export function receiptCursors(
  kind: string,
  moves: ReadonlyMap<string, TCursorMove>,
  sendsReceipts: ReadonlyMap<string, boolean>,
): { full: TReceiptCursor[]; deliveredOnly: TReceiptCursor[] } {
  const isDirect = isDirectKind(kind);
  const full: TReceiptCursor[] = [];
  const deliveredOnly: TReceiptCursor[] = [];
  for (const [userId, move] of moves) {
    const shownRead = sendsReceipts.get(userId) === true ? move.readSeq : undefined;
    // Reading implies having received: a read cursor also moves the delivered tick.
    const delivered = isDirect ? Math.max(move.deliveredSeq ?? 0, move.readSeq ?? 0) : 0;
    const deliveredSeq = delivered > 0 ? delivered : undefined;
    const fullEntry: TReceiptCursor = { userId };
    if (deliveredSeq !== undefined) fullEntry.deliveredSeq = deliveredSeq;
    if (shownRead !== undefined) fullEntry.readSeq = shownRead;
    if (fullEntry.deliveredSeq !== undefined || fullEntry.readSeq !== undefined) full.push(fullEntry);
    if (deliveredSeq !== undefined) deliveredOnly.push({ userId, deliveredSeq });
  }
  return { full, deliveredOnly };
}

/** A relay over `engine`; see the file header. */
export function createReceiptRelay(options: TReceiptRelayOptions): TReceiptRelay {
  const { db, engine } = options;
  const intervalMs = options.intervalMs ?? 500;
  const threshold = options.largeChannelThreshold ?? DEFAULT_LARGE_CHANNEL_THRESHOLD;
  const onError =
    options.onError ?? ((err: unknown) => processLogger().error({ err }, "receipt relay failed"));
  const pending = new Map<string, Map<string, TCursorMove>>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let isClosed = false;

  async function send(conversationId: string, moves: Map<string, TCursorMove>): Promise<void> {
    const rows = await hotQuery<TAudienceRow>(db, AUDIENCE, [conversationId, RECEIPTS_MAX_MEMBERS + 1]);
    const kind = rows[0]?.kind;
    if (kind === undefined || rows.length > RECEIPTS_MAX_MEMBERS) return;
    const sends = new Map(rows.map((r) => [r.userId, r.sendsReceipts]));
    const { full, deliveredOnly } = receiptCursors(kind, moves, sends);
    const groups: [string[], typeof full][] = [
      [rows.filter((r) => r.sendsReceipts).map((r) => r.userId), full],
      [rows.filter((r) => !r.sendsReceipts).map((r) => r.userId), deliveredOnly],
    ];
    for (const [members, cursors] of groups) {
      if (members.length === 0 || cursors.length === 0) continue;
      const frame = encodeServerEvent({ type: "receipts", conversationId, cursors });
      const publishes = await routeToConversation(engine, conversationId, members, { frame }, { threshold });
      await Promise.all(publishes.map((publish) => publish()));
    }
  }

  function flush(conversationId: string): void {
    timers.delete(conversationId);
    const moves = pending.get(conversationId);
    pending.delete(conversationId);
    if (!moves) return;
    const work = send(conversationId, moves).catch(onError);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  return {
    moved(conversationId, userId, move) {
      if (isClosed) return;
      let moves = pending.get(conversationId);
      if (!moves) {
        moves = new Map();
        pending.set(conversationId, moves);
      }
      const before = moves.get(userId) ?? {};
      moves.set(userId, {
        ...before,
        ...(move.deliveredSeq !== undefined
          ? { deliveredSeq: Math.max(before.deliveredSeq ?? 0, move.deliveredSeq) }
          : {}),
        ...(move.readSeq !== undefined ? { readSeq: Math.max(before.readSeq ?? 0, move.readSeq) } : {}),
      });
      if (!timers.has(conversationId)) {
        const timer = setTimeout(() => flush(conversationId), intervalMs);
        timer.unref?.();
        timers.set(conversationId, timer);
      }
    },
    async close() {
      isClosed = true;
      for (const [conversationId, timer] of timers) {
        clearTimeout(timer);
        flush(conversationId);
      }
      await Promise.all([...inFlight]);
    },
  };
}
