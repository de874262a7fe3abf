/**
 * Delivery's contract (what createDelivery takes and returns, what it needs of a socket) and the
 * state its parts share (delivery.ts builds it; memberships, presence, resume and typing use it).
 */
import type { TActor, TBotScope, TEngine, TStreamScope, TUserPresence } from "@parley/core";
import type { TDb } from "@parley/db";
import type { Logger } from "pino";
import type { Push } from "../push.ts";
import type { SlicedDelivery } from "../slices.ts";
import type { TopicRefs } from "./topic-refs.ts";

/** What delivery needs from one gateway socket. */
export type TDeliveryLink = {
  readonly id: string;
  /** Its user; with `scope` for a bot token's socket (what it may see and do is held to it). */
  readonly actor: TActor & { scope?: TBotScope };
  /** Sends a push now (the gateway checks bufferedAmount); false when it was not sent. */
  sendFrame(push: Push): boolean;
  /** Sends a frame of a replay, waiting for the socket to drain first when its buffer is high. */
  sendReplay(frame: string): Promise<boolean>;
  /** Closes the socket (e.g. 4001 when live frames overflowed during a replay). */
  close(code: number, reason: string): void;
};

/** Options of createDelivery. */
export type TDeliveryOptions = {
  engine: TEngine;
  db: TDb;
  logger: Logger;
  /** This gateway's id in the routing table (default: a random UUID per gateway). */
  gatewayId?: string;
  /** Member count above which core's fan-out publishes on `conv:<id>`; must match createFanout's. */
  largeChannelThreshold?: number;
  /** Route and presence refresh (and watched-presence re-check) interval; TTLs are 3×. Default 10 s. */
  refreshMs?: number;
  /** Minimum time between two `typing` relays per socket and conversation. Default 3 s. */
  typingIntervalMs?: number;
  /** Sockets written per event-loop turn by a big fan-out (see slices.ts). Default 256. */
  sliceSize?: number;
};

/** A running delivery layer; see delivery.ts's header. */
export type TDelivery = {
  readonly gatewayId: string;
  /** Registers a socket: route, membership index, topics, presence. Resolves when it can receive. */
  open(link: TDeliveryLink): Promise<void>;
  /** Unregisters a socket (route, topics, presence); the engine work is awaited by `stop`. */
  close(link: TDeliveryLink): void;
  /** Replays what changed since the cursors, then `synced` (with `id` for a `sync` command). */
  sync(
    link: TDeliveryLink,
    input: { cursors?: Record<string, number>; userCursor?: number },
    id?: string,
  ): Promise<void>;
  /**
   * Relays a typing notice to the conversation's other members; non-members get NOT_FOUND (like an
   * unknown conversation), or FORBIDDEN for a public channel they have not joined.
   */
  typing(link: TDeliveryLink, conversationId: string): Promise<void>;
  /** Replaces the socket's watched users and sends their current presence. */
  watchPresence(link: TDeliveryLink, userIds: readonly string[]): Promise<void>;
  /** Sets this socket's presence (and the user's status text when given). */
  setPresence(link: TDeliveryLink, status: "online" | "away", statusText?: string): Promise<void>;
  /** Stops the refresh, waits for pending engine work and drops every subscription. */
  stop(): Promise<void>;
};

/** The empty watch list every socket starts with (one shared set, not one per socket). */
export const NO_USERS: ReadonlySet<string> = new Set();

/** A user with at least one socket on this gateway. */
export type TLocalUser = {
  userId: string;
  links: Set<TLinkState>;
  /** Conversations the user is a member of (what large-channel topics may deliver). */
  conversations: Set<string>;
  /** Of those, the ones whose `conv:<id>` topic this user holds a reference to. */
  large: Set<string>;
  /** Removals seen while the initial load was running (the load must not re-add them). */
  removedWhileLoading: Set<string> | null;
  loaded: Promise<void>;
  isGone: boolean;
};

/** One socket as delivery keeps it. */
export type TLinkState = {
  link: TDeliveryLink;
  user: TLocalUser;
  /**
   * A bot token's socket: what `deliver` lets through (core bots/stream.ts); null for people, whose
   * pushes pay only that null check.
   */
  scope: TStreamScope | null;
  presence: TUserPresence;
  /** Users this socket watches the presence of (NO_USERS, shared, until it watches any). */
  watching: ReadonlySet<string>;
  /** Live frames held while a replay runs; null otherwise. */
  held: Push[] | null;
  isOverflowed: boolean;
  /** After a replay: the seqs it carried, per conversation and for the user log, until `until`. */
  floors: { conversations: Map<string, number>; userSeq: number | null; until: number } | null;
  /** Last typing relay per conversation; null until the first. */
  typingAt: Map<string, number> | null;
  /** Its slot on the refresh wheel; -1 until `open` has stored its presence. */
  slot: number;
};

/** What the parts of one delivery layer share (built once by createDelivery). */
export type TDeliveryContext = {
  readonly engine: TEngine;
  readonly db: TDb;
  readonly log: Logger;
  readonly gatewayId: string;
  /** Route and presence TTL (3 × refreshMs). */
  readonly ttlMs: number;
  readonly refreshMs: number;
  /** Member count above which core's fan-out publishes on the conversation topic. */
  readonly largeThreshold: number;
  /** Member count from which this gateway listens to a conversation's topic (half the above). */
  readonly topicThreshold: number;
  readonly users: Map<string, TLocalUser>;
  readonly states: Map<string, TLinkState>;
  readonly topics: TopicRefs;
  /** Big fan-outs go out in slices; a socket with frames still queued gets later ones behind them (order). */
  readonly slices: SlicedDelivery<TLinkState>;
  isStopped: boolean;
  /** Runs engine/db work in the background, logging failures and tracking it for `stop`. */
  track(what: string, work: Promise<unknown>, fields?: Record<string, unknown>): void;
  /** Delivers to `states`, each in order with what it was sent before: at once when nothing waits for it. */
  deliverAll(push: Push, states: Iterable<TLinkState>): void;
  /** The socket's state; CONFLICT when it is not registered (yet). */
  stateOf(link: TDeliveryLink): TLinkState;
};
