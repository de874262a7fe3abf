/**
 * The gateway's contract: who a socket belongs to, what `createGateway` takes (the command
 * handlers' types included), and what it returns. Shared by the gateway, its auth and its command
 * handlers (none of them import the running gateway or each other for their types).
 */
import type { IncomingMessage, Server } from "node:http";
import type { TActor, TBotScope, TReadinessReport, TRevocationRegistry } from "@parley/core";
import type { TDelivered, TMarkRead, TSend, TServerEvent } from "@parley/protocol";
import type { Logger } from "pino";
import type { TDeliveryOptions } from "./delivery.ts";

/** Who a socket belongs to, as established during the upgrade. */
export type TConnectionActor = TActor & {
  /** The browser session behind the ticket, when there is one (revocation can target it). */
  sessionId?: string;
  /** The personal access token or bot token used, when there is one. */
  tokenId?: string;
  /**
   * Set for a bot token's socket (the bot events stream): what the socket may see and do is held to
   * it (docs/integrations.md "Events stream"). Absent for people, whose sockets never check it.
   */
  scope?: TBotScope;
};

/** What a handler knows about the connection that sent the command. */
export type TCommandContext = { actor: TConnectionActor; connectionId: string };

/** Fields added to the `ack` of a successful command. */
export type TAckFields = { clientMsgId?: string; seq?: number; messageId?: string };

/** One handler per command that needs the domain (commands.ts); a missing one answers NOT_IMPLEMENTED. */
export type TCommandHandlers = {
  send: (ctx: TCommandContext, command: TSend) => Promise<TAckFields>;
  markRead: (ctx: TCommandContext, command: TMarkRead) => Promise<TAckFields>;
  /** Delivery reports: answered with a plain `ack` once stored (never says which conversations counted). */
  delivered: (ctx: TCommandContext, command: TDelivered) => Promise<TAckFields>;
};

/**
 * The listen backlog (accepted-but-not-yet-handled connections the kernel queues). Node's 511
 * overflowed when a gateway holding thousands of clients died and they all came to the survivor
 * at once; the kernel clamps this to net.core.somaxconn (4096 on current Linux, this box
 * included), so raise that sysctl too on a gateway host meant to take over large crowds.
 */
export const DEFAULT_LISTEN_BACKLOG = 16_384;

/** Options of createGateway. */
export type TGatewayOptions = {
  /** TCP port; 0 picks a free one (see `gateway.port`). Ignored with `server`. */
  port?: number;
  /** Interface to bind (default all). Ignored with `server`. */
  host?: string;
  /** Listen backlog (default DEFAULT_LISTEN_BACKLOG, clamped by the kernel). Ignored with `server`. */
  listenBacklog?: number;
  /**
   * Attach to this http server (which its owner listens on and closes) instead of creating one:
   * only upgrades of `/ws` are handled, everything else is left alone.
   */
  server?: Server;
  /** Resolves the upgrade request to an actor, or null to refuse it with 401. */
  authenticate: (req: IncomingMessage) => Promise<TConnectionActor | null>;
  /**
   * Where credential revocations are heard: sockets they cover are closed (4401/4403) and
   * upgrades they overtake refused. Default this process's registry (tests simulate processes).
   */
  revocations?: TRevocationRegistry;
  logger: Logger;
  /** Heartbeat sweep interval; a socket silent for one whole interval is closed (4408). Default 25 s. */
  heartbeatMs?: number;
  /** Largest accepted frame in bytes (default MAX_FRAME_BYTES); larger frames close the socket with 4413. */
  maxFrameBytes?: number;
  /** A socket whose unsent bytes exceed this is closed as a slow consumer (4002). Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Malformed frames tolerated per window before closing with 4400 (default 10 per 60 s). */
  badFrameLimit?: number;
  badFrameWindowMs?: number;
  /**
   * Command rate per connection: a token bucket refilled at `perSecond` holding up to `burst`.
   * A command over budget gets error TOO_MANY_REQUESTS; a client that keeps going after `burst`
   * refusals is closed with 4429. Default `commandRate(DEFAULT_RATE_LIMIT_COMMANDS_PER_SECOND)`:
   * 20/s, burst 60 (startRealtime passes RATE_LIMIT_COMMANDS_PER_SECOND the same way).
   */
  commandRate?: { perSecond: number; burst: number };
  /**
   * Messages per user on this gateway, over all their connections (a token bucket): a `send` over
   * budget gets error TOO_MANY_REQUESTS and nothing is stored; the SDK retries it later with the
   * same clientMsgId. Default `sendRatePerUser(DEFAULT_RATE_LIMIT_MESSAGES_PER_SECOND)`: 30/s,
   * burst 60 — far above typing speed, far below a token spraying from 50 sockets at the
   * per-connection rate (startRealtime passes RATE_LIMIT_MESSAGES_PER_SECOND).
   */
  sendRatePerUser?: { perSecond: number; burst: number };
  /**
   * Reconnect spreading: clients are told (welcome, pong, the 4000 close reason) to spread their
   * first reconnect over `connections × this` ms, so a crowd that loses this gateway reaches the
   * survivors at about 1000/this connects per second. Default 0.5 (≈ 2,000/s; 19,000 clients →
   * 9.5 s), at most MAX_RECONNECT_WINDOW_MS.
   */
  reconnectMsPerClient?: number;
  /** Sockets one user may hold on this gateway; further upgrades get HTTP 429. Default 50. */
  maxConnectionsPerUser?: number;
  /**
   * Its own server's `/readyz` (core's createReadiness over what this process depends on); without
   * it `/readyz` only says whether the gateway is draining. Ignored with `server`.
   */
  readiness?: () => Promise<TReadinessReport>;
  /** Handlers for commands that need the domain (send, markRead, …). */
  handlers?: Partial<TCommandHandlers>;
  /**
   * Delivery through an Engine (routing, fan-out, resume, typing, presence; see delivery.ts).
   * Without it the gateway only answers commands: `sync`, `watchPresence` and `setPresence` get
   * NOT_IMPLEMENTED and nothing is pushed.
   */
  delivery?: Omit<TDeliveryOptions, "logger">;
};

/** A running gateway. */
export type TGateway = {
  /** The bound port (with `server`: that server's port, 0 while it does not listen). */
  readonly port: number;
  /** This gateway's id in the engine's routing table (null without delivery). */
  readonly gatewayId: string | null;
  /** The http server (its own, or the one it is attached to). */
  readonly server: Server;
  /** Number of open sockets. */
  readonly connectionCount: number;
  /** Sends one frame to every socket of `userId`, encoded once; returns how many it went to. */
  sendToUser(userId: string, event: TServerEvent): number;
  /**
   * Drains, then stops: refuses new upgrades (503; its own server stops listening), lets every
   * command already received finish and answer (sends commit and are acked; frames arriving now
   * are ignored, so clients resend them elsewhere), then closes every socket with `code` (default
   * 4000: reconnect elsewhere). `timeoutMs` (default 5 s) bounds the drain and the close handshakes
   * together. Its own http server is closed too; an attached one only loses the upgrade listener.
   */
  close(options?: { code?: number; reason?: string; timeoutMs?: number }): Promise<void>;
};
