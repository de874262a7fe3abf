/**
 * The Engine: "who is where" and the bus between processes — never anything durable (that is
 * Postgres). One interface, two implementations that pass one contract suite:
 *   memory — one process (the single-node default, no Redis needed)
 *   redis  — many gateways (routing table, pub/sub, presence with TTL), via ioredis
 *
 * Fan-out (see fanout.ts) uses it after commit: small conversations → look up each member's
 * gateways and publish once per gateway; large channels → publish once on the conversation topic
 * that gateways with local members subscribe to (fan-out on read).
 *
 * To add an implementation: implement `Engine`, then run the contract suite on it
 * (test/engine/contract.ts) from a test file of its own.
 */

/**
 * The envelope of a log entry's frame on the bus: what a receiving gateway needs to route, filter
 * (resume floors) and index it, so it never parses the frame back apart. Frames that are not log
 * entries (typing, presence) carry none.
 */
export type TBusHeader =
  | {
      /** A conversation log entry (`event` frame). */
      type: "event";
      conversationId: string;
      seq: number;
      /** The EventKind. */
      kind: string;
      /** When it committed (its createdAt, epoch ms): receiving gateways time send→deliver by it. */
      at?: number;
    }
  | {
      /** A user log entry (`user.event` frame). */
      type: "user.event";
      seq: number;
      /** The UserEventKind. */
      kind: string;
      /** The conversation the payload names (conversation.added, dm.opened, conversation.removed…). */
      conversationId?: string;
    };

/** A payload on the bus: an already-encoded server frame and who on the gateway should get it. */
export type TBusMessage = {
  /** Deliver to these users' local sockets; absent = every local socket subscribed to the topic. */
  userIds?: string[];
  /** The frame, encoded once (JSON text of a @parley/protocol server frame). */
  frame: string;
  /** Set for log entries (see BusHeader); engines carry it unchanged beside the frame. */
  header?: TBusHeader;
};

/** Online state as users see it. `offline` is never stored: it is the absence of a live entry. */
export type TOnlineStatus = "online" | "away" | "offline";

export type TUserPresence = {
  status: TOnlineStatus;
  /** Custom status text ("In a meeting"), empty when none. */
  statusText: string;
};

/** One connection's presence, as a refresh writes it. */
export type TPresenceEntry = { userId: string; connectionId: string; presence: TUserPresence };

export type TUnsubscribe = () => Promise<void>;

export type TEngine = {
  readonly kind: "memory" | "redis";

  // --- routing table: user → gateways holding at least one of their sockets -------------------
  /** Records that `gatewayId` holds a socket of `userId`; entries expire after `ttlMs` unless refreshed. */
  addRoute(userId: string, gatewayId: string, ttlMs: number): Promise<void>;
  /** Removes the entry (the user's last socket on that gateway closed). */
  removeRoute(userId: string, gatewayId: string): Promise<void>;
  /** Refreshes every entry a live gateway holds (called from its heartbeat sweep). */
  refreshRoutes(gatewayId: string, userIds: readonly string[], ttlMs: number): Promise<void>;
  /** For each of `userIds`, the gateways with a live entry: gatewayId → those users. */
  gatewaysOf(userIds: readonly string[]): Promise<Map<string, string[]>>;

  // --- pub/sub -----------------------------------------------------------------------------------
  /** Receives what is published to this gateway (its own inbox). */
  subscribeGateway(gatewayId: string, handler: (message: TBusMessage) => void): Promise<TUnsubscribe>;
  publishToGateway(gatewayId: string, message: TBusMessage): Promise<void>;
  /**
   * Topics: `conv:<id>` for large channels (fan-out on read, `conversationTopic`), `presence:<id>`
   * for a user's presence (the gateway's presence relay), and `revocations` between processes
   * (revocation-bus.ts: its frame is not a server frame and never reaches a socket).
   */
  subscribeTopic(topic: string, handler: (message: TBusMessage) => void): Promise<TUnsubscribe>;
  publishToTopic(topic: string, message: TBusMessage): Promise<void>;

  // --- presence ------------------------------------------------------------------------------
  /** Sets the user's presence on one connection; it lapses to offline after `ttlMs` unless refreshed. */
  setPresence(userId: string, connectionId: string, presence: TUserPresence, ttlMs: number): Promise<void>;
  /**
   * setPresence for many connections at once (a gateway's refresh tick): one round trip where the
   * engine can batch, instead of one command per socket.
   */
  refreshPresence(entries: readonly TPresenceEntry[], ttlMs: number): Promise<void>;
  /** Removes one connection's presence entry (socket closed cleanly). */
  clearPresence(userId: string, connectionId: string): Promise<void>;
  /** The merged presence of each user over all their live connections (online beats away). */
  getPresence(userIds: readonly string[]): Promise<Map<string, TUserPresence>>;

  // --- process stats (the admin Health page, core ops-stats.ts) ----------------------------------
  /** Stores one process's stats snapshot (opaque JSON); it lapses after `ttlMs` unless written again. */
  putProcessStats(processId: string, stats: string, ttlMs: number): Promise<void>;
  /** The latest snapshot of every process whose entry has not lapsed, in no particular order. */
  listProcessStats(): Promise<string[]>;

  /** Readiness: resolves when the engine can work now (Redis: connected and answering a PING). */
  ping(): Promise<void>;

  /** Closes connections and subscriptions. */
  close(): Promise<void>;
};
