/**
 * The WebSocket gateway: an http server (GET /healthz) plus `ws` in noServer mode, so every
 * upgrade is authenticated BEFORE a socket exists (a refused upgrade is a plain HTTP 401).
 * With `server` it attaches to an existing http server instead (apps/web embeds it that way):
 * it then handles only upgrades of `/ws`, leaves every other request and upgrade (Next's HMR)
 * to their owner, and never closes that server.
 *
 * Per connection it validates every frame (parseClientFrame, which also checks UTF-8: `ws` is told
 * to skip its own check, which would close with 1007), answers bad ones with an `error` frame,
 * closes abusers (4400) and oversize senders (4413 for every size: `ws` refuses a frame from its
 * header, and GatewaySocket turns ws's own 1009 into 4413), and runs commands in arrival order.
 * Across connections it keeps ONE heartbeat timer wheel (wheel.ts: every socket visited once per
 * interval, a small bucket per tick, never one pass over all) and protects itself from slow
 * consumers by checking bufferedAmount before every send. A revoked credential's sockets are closed
 * at once (4401, or 4403 for a deactivated user; revoked-sockets.ts), and an upgrade whose
 * credential was revoked while it was being checked is refused.
 *
 * With `delivery` (an Engine and the database; see delivery.ts) a socket is registered — route,
 * membership index, topics, presence — before its `welcome`, so anything committed after the
 * welcome reaches it and a `hello`/`sync` after it covers everything before. Pushes from the
 * engine arrive already encoded and are framed once; the same bytes go to every socket (push.ts).
 *
 * Commands: `ping` is answered at once; `typing` is relayed at once (not queued behind sends);
 * `send`, `markRead`, `sync` (and `hello` with cursors), `watchPresence` and `setPresence` run in
 * the connection's queue, strictly one after another.
 *
 * Extending: domain commands are handled by `TCommandHandlers` (see commands.ts); commands that
 * need the engine go through `TDelivery`. Route the new frame type in `onFrame` and use
 * `enqueue` when it must keep its order relative to the connection's other commands.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { isRevokedSince, onCredentialRevoked, processRevocations, revocationMark } from "@parley/core";
import {
  CloseCode,
  ErrorCode,
  encodeServerEvent,
  goingAwayReason,
  MAX_FRAME_BYTES,
  MAX_RECONNECT_WINDOW_MS,
  PROTOCOL_VERSION,
  parseClientFrame,
  type TClientCommand,
  type TErrorCode,
  type TFieldIssue,
  type TServerEvent,
} from "@parley/protocol";
import { WebSocket, WebSocketServer } from "ws";
import { type TBucket, takeToken } from "./bucket.ts";
import { WriteCoalescer } from "./coalesce.ts";
import { type TAckFields, type TCommandContext, toErrorFrame } from "./commands.ts";
import { createDelivery, type TDelivery, type TDeliveryLink } from "./delivery.ts";
import {
  DEFAULT_LISTEN_BACKLOG,
  type TConnectionActor,
  type TGateway,
  type TGatewayOptions,
} from "./gateway-options.ts";
import { destroyOnError, rejectUpgrade, sendJson } from "./http-replies.ts";
import { frameText, Push } from "./push.ts";
import { closeRevokedSockets } from "./revoked-sockets.ts";
import { TimerWheel } from "./wheel.ts";

export {
  DEFAULT_LISTEN_BACKLOG,
  type TConnectionActor,
  type TGateway,
  type TGatewayOptions,
} from "./gateway-options.ts";

/** One socket and what the gateway knows about it. */
type TConnection = TBucket & {
  id: string;
  ws: WebSocket;
  /** The upgraded TCP socket under `ws`: pushes are written to it directly (see push.ts). */
  socket: Duplex;
  /** Its slot on the heartbeat wheel. */
  slot: number;
  actor: TConnectionActor;
  /** Set by any frame or pong; cleared by each sweep. A sweep that finds it clear closes the socket. */
  isAlive: boolean;
  /** When the gateway started closing it; the sweep terminates sockets that take too long. */
  closingSince: number | null;
  /** Timestamps of recent malformed frames (abuse limit); null until the first one. */
  badFrames: number[] | null;
  /** Commands run one after another per connection, so a user's sends keep their order. */
  queue: Promise<void>;
  /** Commands queued or running; bounded so a slow database cannot make the queue grow forever. */
  pending: number;
  /** Resolves once delivery has registered the socket (welcome is sent then). */
  ready: Promise<void>;
  /** The socket as delivery sees it. */
  link: TDeliveryLink;
  /** Commands refused in a row for exceeding the rate. */
  refusedInARow: number;
  /** Queued commands that have not started yet (answered with TOO_MANY_REQUESTS on a 4429); null until the first. */
  waiting: Set<TQueuedCommand> | null;
  /** Set once the connection was found abusing the command rate: it only finishes and closes. */
  isRateLimited: boolean;
};

/** A command waiting in a connection's queue. */
type TQueuedCommand = { id: string | undefined; isCancelled: boolean };

/** Commands one connection may have queued or running at once. */
const MAX_PENDING_COMMANDS = 100;

/** The standard close code `ws` uses for a message over its maxPayload ("Message Too Big"). */
const WS_MESSAGE_TOO_BIG = 1009;

/** How long a 4429 close waits for the command already running, so its real answer goes out first. */
const RATE_LIMIT_CLOSE_GRACE_MS = 2_000;

const DEFAULTS = {
  heartbeatMs: 25_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  badFrameLimit: 10,
  badFrameWindowMs: 60_000,
  commandRate: { perSecond: 20, burst: 60 },
  sendRatePerUser: { perSecond: 30, burst: 60 },
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

  const isAttached = options.server !== undefined;
  const server =
    options.server ??
    createServer((req, res) => {
      const path = (req.url ?? "/").split("?", 1)[0];
      if (req.method === "GET" && path === "/healthz") {
        // 503 while draining, so a load balancer stops sending new sockets here.
        if (isClosing) sendJson(res, 503, { status: "shutting_down", connections: connections.size });
        else sendJson(res, 200, { status: "ok", connections: connections.size });
        return;
      }
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

  /** The reconnect window for this gateway's crowd as it is now (see reconnectMsPerClient). */
  function reconnectWindowMs(): number {
    return Math.min(MAX_RECONNECT_WINDOW_MS, Math.round(connections.size * reconnectMsPerClient));
  }

  /** Closes with a code and marks the connection so the sweep terminates it if the peer never answers. */
  function closeConnection(conn: TConnection, code: number, reason: string): void {
    if (conn.closingSince !== null) return;
    conn.closingSince = Date.now();
    log.debug({ connectionId: conn.id, userId: conn.actor.userId, code, reason }, "closing socket");
    conn.ws.close(code, reason);
  }

  /** The one place frames leave the gateway: refuses to grow the buffer of a slow consumer. */
  // Every frame written in one event-loop turn leaves a socket in one system call (coalesce.ts).
  const coalescer = new WriteCoalescer();

  function sendRaw(conn: TConnection, data: string): boolean {
    if (conn.ws.readyState !== WebSocket.OPEN || conn.closingSince !== null) return false;
    if (conn.ws.bufferedAmount > maxBufferedBytes) {
      log.warn({ connectionId: conn.id, buffered: conn.ws.bufferedAmount }, "slow consumer: closing");
      closeConnection(conn, CloseCode.SlowConsumer, "slow consumer");
      return false;
    }
    // Framed here and written in one piece (see push.ts): cheaper than ws.send's header + text pair.
    if (conn.ws.extensions === "") coalescer.write(conn.socket, frameText(data));
    else conn.ws.send(data);
    return true;
  }

  /**
   * Sends one frame of a replay; when the socket's buffer is high, waits until it is flushed. The
   * TCP socket is corked until the current burst of microtasks is over, so a backlog of thousands
   * of frames leaves in a few large writes instead of one system call per frame (`_socket` is
   * ws's own field for it; without it frames simply go one by one).
   */
  function sendReplay(conn: TConnection, data: string): Promise<boolean> {
    if (conn.ws.readyState !== WebSocket.OPEN || conn.closingSince !== null) return Promise.resolve(false);
    const tcp = (conn.ws as unknown as { _socket?: Duplex })._socket;
    if (tcp && tcp.writableCorked === 0) {
      tcp.cork();
      process.nextTick(() => tcp.uncork());
    }
    if (conn.ws.bufferedAmount < maxBufferedBytes / 4) return Promise.resolve(sendRaw(conn, data));
    return new Promise((resolve) => conn.ws.send(data, (err) => resolve(!err)));
  }

  /** Writes a push (a frame shared by many sockets): its wire bytes, framed once, go out as they are. */
  function sendPush(conn: TConnection, push: Push): boolean {
    if (conn.ws.readyState !== WebSocket.OPEN || conn.closingSince !== null) return false;
    if (conn.ws.bufferedAmount > maxBufferedBytes) return sendRaw(conn, push.text); // closes it
    // No extension (the gateway never negotiates permessage-deflate): ws would write the same bytes.
    if (conn.ws.extensions === "") coalescer.write(conn.socket, push.wire);
    else conn.ws.send(push.text);
    return true;
  }

  function send(conn: TConnection, event: TServerEvent): boolean {
    return sendRaw(conn, encodeServerEvent(event));
  }

  function sendError(
    conn: TConnection,
    code: TErrorCode,
    message: string,
    id?: string,
    issues?: TFieldIssue[],
  ): void {
    send(conn, {
      type: "error",
      code,
      message,
      ...(id !== undefined ? { id } : {}),
      ...(issues ? { issues } : {}),
    });
  }

  /** TOO_MANY_REQUESTS for a command, saying when a token is back (`retryAfterMs`). */
  function sendTooManyRequests(
    conn: TConnection,
    message: string,
    id: string | undefined,
    waitSec: number,
  ): void {
    send(conn, {
      type: "error",
      code: ErrorCode.TooManyRequests,
      message,
      ...(id !== undefined ? { id } : {}),
      retryAfterMs: Math.max(0, Math.ceil(waitSec * 1000)),
    });
  }

  function onBadFrame(
    conn: TConnection,
    code: TErrorCode,
    message: string,
    id?: string,
    issues?: TFieldIssue[],
  ) {
    const now = Date.now();
    const recent = (conn.badFrames ?? []).filter((t) => now - t < badFrameWindowMs);
    recent.push(now);
    conn.badFrames = recent;
    sendError(conn, code, message, id, issues);
    if (recent.length > badFrameLimit) {
      closeConnection(conn, CloseCode.BadFrames, "too many malformed frames");
    }
  }

  /** Takes a token for one command; false (and maybe a 4429 close) when over the rate. */
  function takeCommandToken(conn: TConnection, id: string | undefined): boolean {
    const waitSec = takeToken(conn, commandRate, Date.now());
    if (waitSec === 0) {
      conn.refusedInARow = 0;
      return true;
    }
    conn.refusedInARow += 1;
    if (conn.refusedInARow > commandRate.burst) {
      closeForRate(conn, id);
    } else {
      sendTooManyRequests(
        conn,
        `Slow down: at most ${commandRate.perSecond} commands per second`,
        id,
        waitSec,
      );
    }
    return false;
  }

  /**
   * Closes an abuser with 4429, but first answers this command and every queued one that has not
   * started with TOO_MANY_REQUESTS (so the client knows none of them ran), and lets the one
   * already running finish and answer (bounded by RATE_LIMIT_CLOSE_GRACE_MS).
   */
  function closeForRate(conn: TConnection, id: string | undefined): void {
    conn.isRateLimited = true;
    const message = `Closing: commands kept coming faster than ${commandRate.perSecond} per second; reconnect later and resend`;
    if (id !== undefined) sendError(conn, ErrorCode.TooManyRequests, message, id);
    for (const queued of conn.waiting ?? []) {
      queued.isCancelled = true;
      if (queued.id !== undefined) sendError(conn, ErrorCode.TooManyRequests, message, queued.id);
    }
    conn.waiting?.clear();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, RATE_LIMIT_CLOSE_GRACE_MS);
    });
    void Promise.race([conn.queue, grace]).then(() => {
      clearTimeout(timer);
      closeConnection(conn, CloseCode.RateLimited, "rate limited");
    });
  }

  /**
   * Runs a command after the connection's earlier ones (a user's sends keep their order). Errors
   * become an `error` frame with the command's id; unexpected ones are logged.
   */
  function enqueue(
    conn: TConnection,
    id: string | undefined,
    label: string,
    task: () => Promise<void>,
  ): void {
    if (conn.pending >= MAX_PENDING_COMMANDS) {
      sendError(conn, ErrorCode.TooManyRequests, "Too many commands in flight; wait for acks", id);
      return;
    }
    conn.pending += 1;
    const queued: TQueuedCommand = { id, isCancelled: false };
    conn.waiting ??= new Set();
    conn.waiting.add(queued);
    conn.queue = conn.queue.then(async () => {
      conn.waiting?.delete(queued);
      try {
        // Cancelled: already answered (4429). Closing: not acked, so the client resends it (same
        // clientMsgId) after reconnecting.
        if (queued.isCancelled || conn.closingSince !== null) return;
        await task();
      } catch (err) {
        const frame = toErrorFrame(err);
        if (frame.code === ErrorCode.Internal) {
          log.error(
            { err, requestId: frame.requestId, connectionId: conn.id, command: label },
            "command failed",
          );
        }
        sendError(conn, frame.code, frame.message, id);
      } finally {
        conn.pending -= 1;
      }
    });
  }

  function notImplemented(conn: TConnection, type: string, id?: string): void {
    sendError(conn, ErrorCode.NotImplemented, `"${type}" is not implemented yet`, id);
  }

  function runCommand(
    conn: TConnection,
    command: Extract<TClientCommand, { type: "send" | "markRead" }>,
  ): void {
    enqueue(conn, command.id, command.type, async () => {
      const ctx: TCommandContext = { actor: conn.actor, connectionId: conn.id };
      let result: TAckFields;
      if (command.type === "send") {
        if (!handlers.send) {
          notImplemented(conn, command.type, command.id);
          return;
        }
        result = await handlers.send(ctx, command);
      } else {
        if (!handlers.markRead) {
          notImplemented(conn, command.type, command.id);
          return;
        }
        result = await handlers.markRead(ctx, command);
      }
      send(conn, { type: "ack", id: command.id, ...result });
    });
  }

  /** Replays from the log (`sync`, or `hello` with cursors when `id` is absent). */
  function runSync(
    conn: TConnection,
    input: { cursors?: Record<string, number>; userCursor?: number },
    id?: string,
  ): void {
    if (!delivery) {
      sendError(
        conn,
        ErrorCode.NotImplemented,
        "Resuming from cursors is not available here: refetch history",
        id,
      );
      return;
    }
    const d = delivery;
    enqueue(conn, id, "sync", () => d.sync(conn.link, input, id));
  }

  function onFrame(conn: TConnection, data: Buffer, isBinary: boolean): void {
    conn.isAlive = true;
    if (conn.closingSince !== null || conn.isRateLimited) return;
    if (data.byteLength > maxFrameBytes) {
      closeConnection(conn, CloseCode.FrameTooLarge, `frame larger than ${maxFrameBytes} bytes`);
      return;
    }
    if (isBinary) {
      onBadFrame(conn, ErrorCode.BadFrame, "Binary frames are not supported: send JSON as text frames");
      return;
    }
    const parsed = parseClientFrame(data, maxFrameBytes);
    if (!parsed.ok) {
      onBadFrame(conn, parsed.error.code, parsed.error.message, parsed.id, parsed.error.issues);
      return;
    }
    const command = parsed.command;
    if (!takeCommandToken(conn, "id" in command ? command.id : undefined)) return;
    switch (command.type) {
      case "ping":
        send(conn, {
          type: "pong",
          ...(command.id === undefined ? {} : { id: command.id }),
          reconnectWindowMs: reconnectWindowMs(),
        });
        return;
      case "hello":
        if (command.protocolVersion !== PROTOCOL_VERSION) {
          sendError(
            conn,
            ErrorCode.UnsupportedVersion,
            `This server speaks protocol ${PROTOCOL_VERSION}, not ${command.protocolVersion}`,
          );
          closeConnection(conn, CloseCode.UnsupportedVersion, "unsupported protocol version");
          return;
        }
        if (Object.keys(command.cursors ?? {}).length > 0 || command.userCursor !== undefined) {
          runSync(conn, {
            ...(command.cursors ? { cursors: command.cursors } : {}),
            ...(command.userCursor !== undefined ? { userCursor: command.userCursor } : {}),
          });
        }
        return;
      case "sync":
        runSync(
          conn,
          {
            ...(command.cursors ? { cursors: command.cursors } : {}),
            ...(command.userCursor !== undefined ? { userCursor: command.userCursor } : {}),
          },
          command.id,
        );
        return;
      case "typing": {
        // Ephemeral and never answered, except NOT_FOUND (unreadable) or FORBIDDEN (public, not joined)
        // for non-members; not queued behind sends.
        if (!delivery) return;
        const d = delivery;
        conn.ready
          .then(() => d.typing(conn.link, command.conversationId))
          .catch((err: unknown) => {
            const frame = toErrorFrame(err);
            if (frame.code === ErrorCode.Internal)
              log.error({ err, requestId: frame.requestId, connectionId: conn.id }, "typing failed");
            sendError(conn, frame.code, frame.message);
          });
        return;
      }
      case "watchPresence":
      case "setPresence": {
        if (!delivery) {
          notImplemented(conn, command.type, command.id);
          return;
        }
        const d = delivery;
        enqueue(conn, command.id, command.type, async () => {
          if (command.type === "watchPresence") await d.watchPresence(conn.link, command.userIds);
          else await d.setPresence(conn.link, command.status, command.statusText);
          send(conn, { type: "ack", id: command.id });
        });
        return;
      }
      case "send": {
        const now = Date.now();
        let budget = sendBudgets.get(conn.actor.userId);
        if (!budget) {
          budget = { tokens: sendRate.burst, tokensAt: now };
          sendBudgets.set(conn.actor.userId, budget);
        }
        const waitSec = takeToken(budget, sendRate, now);
        if (waitSec > 0) {
          sendTooManyRequests(
            conn,
            `Slow down: at most ${sendRate.perSecond} messages per second per user`,
            command.id,
            waitSec,
          );
          return;
        }
        runCommand(conn, command);
        return;
      }
      case "markRead":
        runCommand(conn, command);
        return;
    }
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
    connections.delete(conn);
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

  function onConnection(ws: WebSocket, actor: TConnectionActor, socket: Duplex): void {
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
    conn.slot = heartbeat.add(conn);
    let userConns = byUser.get(actor.userId);
    if (!userConns) {
      userConns = new Set();
      byUser.set(actor.userId, userConns);
    }
    userConns.add(conn);
    log.debug({ connectionId: conn.id, userId: actor.userId }, "socket open");

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

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "/").split("?", 1)[0];
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
          rejectUpgrade(
            socket,
            429,
            "TOO_MANY_CONNECTIONS",
            `At most ${maxConnectionsPerUser} connections per user`,
          );
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, actor, socket));
      },
      (err: unknown) => {
        log.error({ err }, "authentication failed with an error");
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
        isClosing = true;
        heartbeat.stop();
        stopRevocations();
        const inFlight = [...connections].map((conn) => conn.queue);
        server.off("upgrade", onUpgrade);
        const serverClosed = isAttached
          ? Promise.resolve()
          : new Promise<void>((resolve) => server.close(() => resolve()));
        if (!isAttached) server.closeIdleConnections();
        const socketsClosed = [...connections].map(
          (conn) =>
            new Promise<void>((resolve) => {
              if (conn.ws.readyState === WebSocket.CLOSED) return resolve();
              conn.ws.once("close", () => resolve());
              closeConnection(conn, code, closeReason);
            }),
        );
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), timeoutMs);
        });
        if ((await Promise.race([Promise.all(socketsClosed), timedOut])) === "timeout") {
          for (const conn of connections) conn.ws.terminate();
        }
        // Let commands already running finish their write before the caller closes the database.
        await Promise.race([Promise.all(inFlight), timedOut]);
        clearTimeout(timer);
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
