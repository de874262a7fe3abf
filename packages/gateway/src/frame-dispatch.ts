/**
 * What the gateway does with each frame a socket sends: validate it (parseClientFrame, which
 * also checks UTF-8; a bad frame gets an `error` frame, repeated garbage closes 4400), charge the
 * rate limits (the connection's command budget, the user's send budget: one token bucket helper
 * for both), answer `ping` at once, relay `typing` and store `delivered` at once, and run
 * everything else in the connection's queue, strictly one after another.
 *
 * To add a command: route its frame type in `onFrame`, and use `enqueue` when it must keep its
 * order relative to the connection's other commands.
 */
import { metrics } from "@parley/core";
import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  parseClientFrame,
  type TClientCommand,
  type TErrorCode,
  type TFieldIssue,
} from "@parley/protocol";
import type { Logger } from "pino";
import { type TBucket, type TRate, takeToken } from "./bucket.ts";
import { type TAckFields, type TCommandContext, type TCommandHandlers, toErrorFrame } from "./commands.ts";
import type { TConnection, TQueuedCommand } from "./connection.ts";
import type { TDelivery } from "./delivery.ts";
import type { TSocketWrites } from "./socket-writes.ts";

/** Commands one connection may have queued or running at once. */
const MAX_PENDING_COMMANDS = 100;

/** How long a 4429 close waits for the command already running, so its real answer goes out first. */
const RATE_LIMIT_CLOSE_GRACE_MS = 2_000;

/** What frame dispatch needs from its gateway. */
export type TFrameDispatchDeps = {
  log: Logger;
  /** True while the gateway drains for shutdown: frames are then ignored (unacked, resent elsewhere). */
  isDraining(): boolean;
  writes: TSocketWrites;
  delivery: TDelivery | null;
  handlers: Partial<TCommandHandlers>;
  maxFrameBytes: number;
  badFrameLimit: number;
  badFrameWindowMs: number;
  commandRate: TRate;
  sendRate: TRate;
  /** Per-user send budget, shared by the user's connections here (the gateway drops it with their last socket). */
  sendBudgets: Map<string, TBucket>;
  /** The reconnect window for this gateway's crowd as it is now (pong carries it). */
  reconnectWindowMs(): number;
};

/** Builds `onFrame`, which handles one frame received on a connection. */
export function createFrameDispatch(
  deps: TFrameDispatchDeps,
): (conn: TConnection, data: Buffer, isBinary: boolean) => void {
  const { log, delivery, handlers, maxFrameBytes, badFrameLimit, badFrameWindowMs, isDraining } = deps;
  const { commandRate, sendRate, sendBudgets, reconnectWindowMs } = deps;
  const { closeConnection, send, sendError } = deps.writes;
  const { counts, sendAckSeconds } = metrics();

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

  /**
   * Takes a token from `bucket` (a connection's command budget, a user's send budget). Over the
   * rate: TOO_MANY_REQUESTS ("Slow down: at most <perSecond> <unit>", with `retryAfterMs`, when a
   * token is back), unless `isQuiet` (the caller closes the connection instead); returns false.
   */
  function takeRateToken(
    conn: TConnection,
    bucket: TBucket,
    rate: TRate,
    unit: string,
    id: string | undefined,
    isQuiet = false,
  ): boolean {
    const waitSec = takeToken(bucket, rate, Date.now());
    if (waitSec === 0) return true;
    if (!isQuiet) {
      send(conn, {
        type: "error",
        code: ErrorCode.TooManyRequests,
        message: `Slow down: at most ${rate.perSecond} ${unit}`,
        ...(id !== undefined ? { id } : {}),
        retryAfterMs: Math.max(0, Math.ceil(waitSec * 1000)),
      });
    }
    return false;
  }

  /** Takes a token for one command; false (and maybe a 4429 close) when over the rate. */
  function takeCommandToken(conn: TConnection, id: string | undefined): boolean {
    // The refusal after `burst` in a row closes the connection instead of answering.
    const isLastStraw = conn.refusedInARow >= commandRate.burst;
    if (takeRateToken(conn, conn, commandRate, "commands per second", id, isLastStraw)) {
      conn.refusedInARow = 0;
      return true;
    }
    counts.rateLimitedCommands += 1;
    conn.refusedInARow += 1;
    if (isLastStraw) closeForRate(conn, id);
    return false;
  }

  /** Takes a token from the user's send budget, shared by their connections here. */
  function takeSendToken(conn: TConnection, id: string): boolean {
    let budget = sendBudgets.get(conn.actor.userId);
    if (!budget) {
      budget = { tokens: sendRate.burst, tokensAt: Date.now() };
      sendBudgets.set(conn.actor.userId, budget);
    }
    if (takeRateToken(conn, budget, sendRate, "messages per second per user", id)) return true;
    counts.rateLimitedSends += 1;
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
          counts.internalErrors += 1;
          log.error(
            { err, requestId: frame.requestId, connectionId: conn.id, command: label },
            "command failed",
          );
        }
        sendError(conn, frame.code, frame.message, id, frame.issues, frame.reason);
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
    const startedAt = performance.now();
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
      if (command.type === "send") {
        counts.messagesSent += 1;
        sendAckSeconds.observe((performance.now() - startedAt) / 1000);
      }
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
    if (conn.closingSince !== null || conn.isRateLimited || isDraining()) return;
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
          counts.resumes += 1;
          runSync(conn, {
            ...(command.cursors ? { cursors: command.cursors } : {}),
            ...(command.userCursor !== undefined ? { userCursor: command.userCursor } : {}),
          });
        }
        return;
      case "sync":
        counts.gapSyncs += 1;
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
            if (frame.code === ErrorCode.Internal) {
              counts.internalErrors += 1;
              log.error({ err, requestId: frame.requestId, connectionId: conn.id }, "typing failed");
            }
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
      case "send":
        if (takeSendToken(conn, command.id)) runCommand(conn, command);
        return;
      case "markRead":
        runCommand(conn, command);
        return;
      case "delivered": {
        // Not queued behind sends (its order does not matter, and it must never delay one).
        const handler = handlers.delivered;
        if (!handler) {
          notImplemented(conn, command.type, command.id);
          return;
        }
        handler({ actor: conn.actor, connectionId: conn.id }, command)
          .then((result) => send(conn, { type: "ack", id: command.id, ...result }))
          .catch((err: unknown) => {
            const frame = toErrorFrame(err);
            if (frame.code === ErrorCode.Internal) {
              counts.internalErrors += 1;
              log.error({ err, requestId: frame.requestId, connectionId: conn.id }, "delivered failed");
            }
            sendError(conn, frame.code, frame.message, command.id);
          });
        return;
      }
    }
  }

  return onFrame;
}
