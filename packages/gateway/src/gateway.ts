/**
 * The WebSocket gateway: an http server (GET /healthz, /readyz) plus `ws` in noServer mode, so every
 * upgrade is authenticated BEFORE a socket exists (a refused upgrade is a plain HTTP 401).
 * With `server` it attaches to an existing http server instead (apps/web embeds it that way):
 * it then handles only upgrades of `/ws`, leaves every other request and upgrade (Next's HMR)
 * to their owner, and never closes that server.
 *
 * With `delivery` (an Engine and the database; see delivery.ts) a socket is registered — route,
 * membership index, topics, presence — before its `welcome`, so anything committed after the
 * welcome reaches it and a `hello`/`sync` after it covers everything before. A revoked
 * credential's sockets are closed at once (4401, or 4403 for a deactivated user;
 * revoked-sockets.ts), and an upgrade whose credential was revoked while it was checked is refused.
 *
 * Files: connection.ts (the per-socket record), socket-writes.ts (every write, slow-consumer
 * check), frame-dispatch.ts (validation, rate limits, the command queue), wheel.ts (the one
 * heartbeat timer wheel); this file owns the server, upgrades, socket lifetimes, the heartbeat and
 * shutdown. The rules each keeps: ARCHITECTURE.md "The gateway".
 *
 * Extending: domain commands are handled by `TCommandHandlers` (see commands.ts); commands that
 * need the engine go through `TDelivery`. Route the new frame type in frame-dispatch.ts `onFrame`
 * and use `enqueue` when it must keep its order relative to the connection's other commands.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import {
  DEFAULT_RATE_LIMIT_COMMANDS_PER_SECOND,
  DEFAULT_RATE_LIMIT_MESSAGES_PER_SECOND,
} from "@parley/config";
import {
  isRevokedSince,
  metrics,
  onCredentialRevoked,
  processRevocations,
  REQUEST_ID_HEADER,
  requestIdFrom,
  revocationMark,
} from "@parley/core";
import {
  CloseCode,
  encodeServerEvent,
  goingAwayReason,
  MAX_FRAME_BYTES,
  MAX_RECONNECT_WINDOW_MS,
  PROTOCOL_VERSION,
} from "@parley/protocol";
import { WebSocket, WebSocketServer } from "ws";
import type { TBucket, TRate } from "./bucket.ts";
import type { TConnection } from "./connection.ts";
import { createDelivery, type TDelivery, type TDeliveryLink } from "./delivery.ts";
import { createFrameDispatch } from "./frame-dispatch.ts";
import {
  DEFAULT_LISTEN_BACKLOG,
  type TConnectionActor,
  type TGateway,
  type TGatewayOptions,
} from "./gateway-options.ts";
import { answerHealth, destroyOnError, rejectUpgrade, sendJson, type THealthSource } from "./http-replies.ts";
import { pathOf } from "./logging.ts";
import { Push } from "./push.ts";
import { closeRevokedSockets } from "./revoked-sockets.ts";
import { createSocketWrites } from "./socket-writes.ts";
import { TimerWheel } from "./wheel.ts";

export {
  DEFAULT_LISTEN_BACKLOG,
  type TConnectionActor,
  type TGateway,
  type TGatewayOptions,
} from "./gateway-options.ts";

/** The standard close code `ws` uses for a message over its maxPayload ("Message Too Big"). */
const WS_MESSAGE_TOO_BIG = 1009;

/** The per-connection command bucket for `perSecond` (RATE_LIMIT_COMMANDS_PER_SECOND): bursts of 3×. */
export function commandRate(perSecond: number): TRate {
  return { perSecond, burst: 3 * perSecond };
}

/** The per-user send bucket for `perSecond` (RATE_LIMIT_MESSAGES_PER_SECOND): bursts of 2×. */
export function sendRatePerUser(perSecond: number): TRate {
  return { perSecond, burst: 2 * perSecond };
}

const DEFAULTS = {
  heartbeatMs: 25_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  badFrameLimit: 10,
  badFrameWindowMs: 60_000,
  commandRate: commandRate(DEFAULT_RATE_LIMIT_COMMANDS_PER_SECOND),
  sendRatePerUser: sendRatePerUser(DEFAULT_RATE_LIMIT_MESSAGES_PER_SECOND),
  maxConnectionsPerUser: 50,
};

/** Starts the gateway and resolves once it listens. */
export async function createGateway(options: TGatewayOptions): Promise<TGateway> {
  const heartbeatMs = options.heartbeatMs ?? DEFAULTS.heartbeatMs;
  const maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes;
  const badFrameLimit = options.badFrameLimit ?? DEFAULTS.badFrameLimit;
  const badFrameWindowMs = options.badFrameWindowMs ?? DEFAULTS.badFrameWindowMs;
  const commandRate = options.commandRate ?? DEFAULTS.commandRate;
  const maxConnectionsPerUser = options.maxConnectionsPerUser ?? DEFAULTS.maxConnectionsPerUser;
  const reconnectMsPerClient = options.reconnectMsPerClient ?? 0.5;
  const sendRate = options.sendRatePerUser ?? DEFAULTS.sendRatePerUser;
  /** Per-user send budget, shared by the user's connections here; dropped with their last socket. */
  const sendBudgets = new Map<string, TBucket>();
  const handlers = options.handlers ?? {};
  const log = options.logger;
  const revocations = options.revocations ?? processRevocations();

  const delivery: TDelivery | null = options.delivery
    ? await createDelivery({ ...options.delivery, logger: log })
    : null;
  const connections = new Set<TConnection>();
  const byUser = new Map<string, Set<TConnection>>();
  let isClosing = false;

  const writes = createSocketWrites({ maxBufferedBytes, log });
  const { closeConnection, sendPush, sendReplay, send } = writes;
  const onFrame = createFrameDispatch({
    log,
    isDraining: () => isClosing,
    writes,
    delivery,
    handlers,
    maxFrameBytes,
    badFrameLimit,
    badFrameWindowMs,
    commandRate,
    sendRate,
    sendBudgets,
    reconnectWindowMs,
  });

  /**
   * The heartbeat on a timer wheel: each socket is visited once per `heartbeatMs` (pinged, or
   * closed when nothing came since its last visit), a small bucket per tick — never all at once.
   */
  const heartbeat = new TimerWheel<TConnection>(heartbeatMs, (bucket, now) => {
    for (const conn of bucket) {
      if (conn.closingSince !== null) {
        if (now - conn.closingSince >= heartbeatMs) conn.ws.terminate();
      } else if (!conn.isAlive) {
        closeConnection(conn, CloseCode.HeartbeatTimeout, "heartbeat timeout");
      } else {
        conn.isAlive = false;
        conn.ws.ping();
      }
    }
  });

  const counts = metrics().counts;
  /** /healthz and /readyz of its own server (attached: the owner answers them). */
  const health: THealthSource = {
    isClosing: () => isClosing,
    ...(options.readiness ? { readiness: options.readiness } : {}),
    details: () => ({ connections: connections.size }),
  };

  const isAttached = options.server !== undefined;
  const server =
    options.server ??
    createServer((req, res) => {
      if (answerHealth(req, res, health)) return;
      sendJson(res, 404, { error: { code: "NOT_FOUND", message: "Not found (WebSocket endpoint: /ws)" } });
    });

  const tooLargeReason = `frame larger than ${maxFrameBytes} bytes`;
  /**
   * `ws` refuses a message over maxPayload as soon as a frame header announces it (nothing of it
   * is buffered) by calling `close(1009)` on the socket itself; the protocol's code for that is
   * 4413, so this subclass says 4413 instead. The gateway never closes with 1009 on its own.
   */
  class GatewaySocket extends WebSocket {
    /** The gateway's record of this socket (set on connection; listeners reach it through `this`). */
    conn: TConnection | null = null;

    override close(code?: number, data?: string | Buffer): void {
      // From the moment a close starts (here, or ws's own after a protocol error), queued commands
      // do not run: nobody would get their acks (the close handshake can take a while).
      if (this.conn) this.conn.closingSince ??= Date.now();
      if (code === WS_MESSAGE_TOO_BIG) super.close(CloseCode.FrameTooLarge, tooLargeReason);
      else super.close(code, data);
    }
  }

  // maxPayload = the protocol limit: larger messages (also fragmented ones, counted in total) are
  // refused from their header with 4413, so a socket never buffers more than the limit.
  // skipUTF8Validation: parseClientFrame checks UTF-8 strictly and answers BAD_FRAME (the
  // documented outcome), where ws would close with 1007.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    skipUTF8Validation: true,
    perMessageDeflate: false,
    clientTracking: false,
    WebSocket: GatewaySocket,
  });
  // The 101 answer echoes the upgrade's request id, as every HTTP answer of Parley does.
  wss.on("headers", (headers: string[], req: IncomingMessage) => {
    headers.push(`${REQUEST_ID_HEADER}: ${String(req.headers[REQUEST_ID_HEADER])}`);
  });

  /** The reconnect window for this gateway's crowd as it is now (see reconnectMsPerClient). */
  function reconnectWindowMs(): number {
    return Math.min(MAX_RECONNECT_WINDOW_MS, Math.round(connections.size * reconnectMsPerClient));
  }

  // Socket listeners and the delivery link are shared functions and prototype methods reaching the
  // connection through `this`: no closures per socket (idle memory, see ARCHITECTURE.md).
  function onSocketMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    onFrame((this as GatewaySocket).conn!, data as Buffer, isBinary);
  }
  function onSocketPong(this: WebSocket): void {
    (this as GatewaySocket).conn!.isAlive = true;
  }
  function onSocketError(this: WebSocket, err: Error): void {
    // ws closes the socket itself after a protocol error (an oversize message: 4413, see GatewaySocket).
    log.debug({ connectionId: (this as GatewaySocket).conn!.id, err: err.message }, "socket error");
  }
  function onSocketClose(this: WebSocket, code: number): void {
    const conn = (this as GatewaySocket).conn!;
    const userId = conn.actor.userId;
    // Commands still queued do not run: nobody is left to ack them, and the client resends what it
    // holds unacked (same clientMsgId) after reconnecting (also when the peer closed or vanished).
    conn.closingSince ??= Date.now();
    if (connections.delete(conn)) counts.openConnections -= 1;
    heartbeat.remove(conn, conn.slot);
    const set = byUser.get(userId);
    set?.delete(conn);
    if (set?.size === 0) {
      byUser.delete(userId);
      sendBudgets.delete(userId);
    }
    delivery?.close(conn.link);
    log.debug({ connectionId: conn.id, userId, code }, "socket closed");
  }

  /** A connection as delivery sees it. */
  class Link implements TDeliveryLink {
    constructor(private readonly conn: TConnection) {}
    get id(): string {
      return this.conn.id;
    }
    get actor(): TConnectionActor {
      return this.conn.actor;
    }
    sendFrame(push: Push): boolean {
      return sendPush(this.conn, push);
    }
    sendReplay(frame: string): Promise<boolean> {
      return sendReplay(this.conn, frame);
    }
    close(code: number, reason: string): void {
      closeConnection(this.conn, code, reason);
    }
  }

  function onConnection(ws: WebSocket, actor: TConnectionActor, socket: Duplex, requestId: string): void {
    const id = randomUUID();
    const conn: TConnection = {
      id,
      ws,
      socket,
      slot: 0,
      actor,
      isAlive: true,
      closingSince: null,
      badFrames: null,
      queue: Promise.resolve(),
      ready: Promise.resolve(),
      link: null as unknown as TDeliveryLink,
      pending: 0,
      tokens: commandRate.burst,
      tokensAt: Date.now(),
      refusedInARow: 0,
      waiting: null,
      isRateLimited: false,
    };
    conn.link = new Link(conn);
    (ws as GatewaySocket).conn = conn;
    connections.add(conn);
    counts.openConnections += 1;
    counts.connects += 1;
    conn.slot = heartbeat.add(conn);
    let userConns = byUser.get(actor.userId);
    if (!userConns) {
      userConns = new Set();
      byUser.set(actor.userId, userConns);
    }
    userConns.add(conn);
    log.debug({ connectionId: conn.id, userId: actor.userId, requestId }, "socket open");

    ws.on("message", onSocketMessage);
    ws.on("pong", onSocketPong);
    ws.on("error", onSocketError);
    ws.on("close", onSocketClose);

    const welcome = () =>
      send(conn, {
        type: "welcome",
        protocolVersion: PROTOCOL_VERSION,
        userId: actor.userId,
        connectionId: conn.id,
        heartbeatMs,
        reconnectWindowMs: reconnectWindowMs(),
      });
    if (!delivery) {
      welcome();
      return;
    }
    // Welcome only once the socket is routable, so anything committed after it reaches this socket
    // (and a hello/sync after welcome covers everything before). Commands wait for it too.
    conn.ready = delivery.open(conn.link).then(
      () => void welcome(),
      (err: unknown) => {
        log.error({ err, connectionId: conn.id }, "registering the socket for delivery failed");
        closeConnection(conn, CloseCode.GoingAway, "delivery unavailable; reconnect");
      },
    );
    conn.queue = conn.ready;
  }

  /**
   * Every upgrade gets a request id (logging.ts); the lines the gateway writes about it carry it as
   * a field, passed by hand rather than through core's `runWithRequestId`: that scope is an
   * AsyncLocalStorage, and on Node 20 its first use turns on promise hooks for the whole process
   * for good — measured, 10 % more gateway CPU per message (docs/performance.md, thirteenth round).
   */
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.headers[REQUEST_ID_HEADER] = requestId;
    upgrade(req, socket, head, requestId);
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, requestId: string) => {
    const path = pathOf(req.url);
    if (path !== "/ws") {
      // Attached: another listener (Next's HMR in dev) owns the other paths.
      if (isAttached) return;
      socket.on("error", destroyOnError);
      rejectUpgrade(socket, 404, "NOT_FOUND", "The WebSocket endpoint is /ws");
      return;
    }
    socket.on("error", destroyOnError);
    if (isClosing) {
      rejectUpgrade(socket, 503, "SHUTTING_DOWN", "This gateway is shutting down; connect to another");
      return;
    }
    // A revoke heard while the credential is checked may not be in what the check read; the
    // sockets it closes do not include this one yet, so it is refused here (a sync step before
    // the socket is registered: no notice can come in between).
    const mark = revocationMark(revocations);
    options.authenticate(req).then(
      (actor) => {
        if (socket.destroyed) return;
        if (!actor) {
          rejectUpgrade(socket, 401, "UNAUTHORIZED", "Missing, invalid or expired credentials");
          return;
        }
        const isRevoked = isRevokedSince(mark, actor, revocations);
        if (isRevoked === true) {
          rejectUpgrade(socket, 401, "UNAUTHORIZED", "Missing, invalid or expired credentials");
          return;
        }
        if (isRevoked === "unknown") {
          rejectUpgrade(socket, 503, "UNAVAILABLE", "Authentication is unavailable; retry shortly");
          return;
        }
        if (isClosing) {
          rejectUpgrade(socket, 503, "SHUTTING_DOWN", "This gateway is shutting down; connect to another");
          return;
        }
        if ((byUser.get(actor.userId)?.size ?? 0) >= maxConnectionsPerUser) {
          counts.rateLimitedConnections += 1;
          rejectUpgrade(
            socket,
            429,
            "TOO_MANY_CONNECTIONS",
            `At most ${maxConnectionsPerUser} connections per user`,
          );
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, actor, socket, requestId));
      },
      (err: unknown) => {
        log.error({ err, requestId }, "authentication failed with an error");
        rejectUpgrade(socket, 503, "UNAVAILABLE", "Authentication is unavailable; retry shortly");
      },
    );
  };
  server.on("upgrade", onUpgrade);

  const stopRevocations = onCredentialRevoked((revocation) => {
    const closed = closeRevokedSockets(revocation, connections, byUser, closeConnection);
    if (closed > 0) log.info({ revocation, closed }, "closed the sockets of a revoked credential");
  }, revocations);

  if (!isAttached) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        const backlog = options.listenBacklog ?? DEFAULT_LISTEN_BACKLOG;
        server.listen({ port: options.port ?? 0, host: options.host, backlog }, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      heartbeat.stop();
      stopRevocations();
      await delivery?.stop();
      throw err;
    }
  }
  const boundPort = () => (server.address() as AddressInfo | null)?.port ?? 0;
  // Its own server's port stays known after close (tests restart on it); an attached one may change.
  const ownPort = isAttached ? null : boundPort();

  let closed: Promise<void> | undefined;

  return {
    get port() {
      return ownPort ?? boundPort();
    },
    server,
    gatewayId: delivery?.gatewayId ?? null,
    get connectionCount() {
      return connections.size;
    },
    sendToUser(userId, event) {
      const targets = byUser.get(userId);
      if (!targets) return 0;
      const push = new Push(encodeServerEvent(event));
      let sent = 0;
      for (const conn of targets) if (sendPush(conn, push)) sent += 1;
      return sent;
    },
    close({ code = CloseCode.GoingAway, reason, timeoutMs = 5_000 } = {}) {
      closed ??= (async () => {
        // The crowd's size before anyone leaves: a 4000 tells every client how widely to spread.
        const closeReason =
          reason ??
          (code === CloseCode.GoingAway ? goingAwayReason(reconnectWindowMs()) : "server shutting down");
        // Draining: from here upgrades get 503 (and its own server stops listening: new TCP
        // connections are refused), /healthz and /readyz say shutting_down, and frames that arrive
        // are not run (frame-dispatch.ts): they are unacked, so the client resends them elsewhere.
        isClosing = true;
        const serverClosed = isAttached
          ? Promise.resolve()
          : new Promise<void>((resolve) => server.close(() => resolve()));
        if (!isAttached) server.closeIdleConnections();
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), timeoutMs);
        });
        // Commands already received finish first — a send commits (its group-commit batch flushes)
        // and its ack is written while the socket is still open, so a rolling restart acks what it
        // took in instead of leaving it to a resend. No new command joins a queue now, so these
        // promises are final.
        const inFlight = [...connections].map((conn) => conn.queue);
        await Promise.race([Promise.all(inFlight), timedOut]);
        heartbeat.stop();
        stopRevocations();
        const socketsClosed = [...connections].map(
          (conn) =>
            new Promise<void>((resolve) => {
              if (conn.ws.readyState === WebSocket.CLOSED) return resolve();
              conn.ws.once("close", () => resolve());
              closeConnection(conn, code, closeReason);
            }),
        );
        if ((await Promise.race([Promise.all(socketsClosed), timedOut])) === "timeout") {
          for (const conn of connections) conn.ws.terminate();
        }
        clearTimeout(timer);
        server.off("upgrade", onUpgrade);
        wss.close();
        if (!isAttached) server.closeAllConnections();
        await serverClosed;
        // After every socket's close handler ran: their routes and presence are cleared here.
        await delivery?.stop();
      })();
      return closed;
    },
  };
}
