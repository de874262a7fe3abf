/**
 * The one place frames leave the gateway: every write checks the socket is open and not a slow
 * consumer (over `maxBufferedBytes` it is closed with 4002 instead of buffering more), and the
 * frames written in one event-loop turn leave a socket in one system call (coalesce.ts).
 */
import type { Duplex } from "node:stream";
import { metrics } from "@parley/core";
import {
  CloseCode,
  encodeServerEvent,
  type TErrorCode,
  type TFieldIssue,
  type TServerEvent,
} from "@parley/protocol";
import type { Logger } from "pino";
import { WebSocket } from "ws";
import { WriteCoalescer } from "./coalesce.ts";
import type { TConnection } from "./connection.ts";
import { frameText, type Push } from "./push.ts";

/** The gateway's socket writers (one set per gateway, shared by every socket). */
export type TSocketWrites = ReturnType<typeof createSocketWrites>;

/** Builds the writers of one gateway. */
export function createSocketWrites(deps: { maxBufferedBytes: number; log: Logger }) {
  const { maxBufferedBytes, log } = deps;
  // Every frame written in one event-loop turn leaves a socket in one system call (coalesce.ts).
  const coalescer = new WriteCoalescer();
  const counts = metrics().counts;

  /** Closes with a code and marks the connection so the sweep terminates it if the peer never answers. */
  function closeConnection(conn: TConnection, code: number, reason: string): void {
    if (conn.closingSince !== null) return;
    conn.closingSince = Date.now();
    log.debug({ connectionId: conn.id, userId: conn.actor.userId, code, reason }, "closing socket");
    conn.ws.close(code, reason);
  }

  /** Writes one frame; refuses to grow the buffer of a slow consumer (closes it instead). */
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
    counts.framesDelivered += 1;
    return true;
  }

  /** Encodes and writes one server frame. */
  function send(conn: TConnection, event: TServerEvent): boolean {
    return sendRaw(conn, encodeServerEvent(event));
  }

  /** Writes an `error` frame (with the command's id and the field issues when there are any). */
  function sendError(
    conn: TConnection,
    code: TErrorCode,
    message: string,
    id?: string,
    issues?: TFieldIssue[],
    reason?: string,
  ): void {
    send(conn, {
      type: "error",
      code,
      message,
      ...(id !== undefined ? { id } : {}),
      ...(issues ? { issues } : {}),
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  return { closeConnection, sendRaw, sendReplay, sendPush, send, sendError };
}
