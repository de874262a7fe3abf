/**
 * What ParleyClient's two halves — Inbound (delivery, sync) and Outbox (sending) — share: whether
 * the socket is live, and the commands on it still awaiting an answer. The client owns the link
 * and routes every `ack`/`error`/`synced` to the half whose pending command it answers.
 */
import type { TClientCommand } from "@parley/protocol";

/** A command awaiting `ack`/`error`/`synced`. */
export type TPendingCommand =
  | { kind: "send"; clientMsgId: string }
  | { kind: "sync" }
  | { kind: "markRead"; conversationId: string; seq: number }
  | { kind: "delivered" };

/** The live socket as both halves see it. */
export type TLink = {
  /** True between this socket's `welcome` and its loss: commands may be sent. */
  isLive: boolean;
  /** Commands awaiting `ack`/`error`/`synced`, by id; forgotten when the socket goes. */
  readonly pending: Map<string, TPendingCommand>;
  /** A fresh command id with this prefix. */
  readonly nextId: (prefix: string) => string;
  /** Puts a command on the wire; false when the socket cannot take it. */
  readonly send: (command: TClientCommand) => boolean;
};

/** Rethrows in a microtask, so a failing store reaches the global error handlers without stopping us. */
export function reportAsync(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/** Runs a store's save, reporting (never throwing) its failure, sync or async. */
export function persist(save: () => void | Promise<void>): void {
  try {
    const result = save();
    if (result instanceof Promise) result.catch(reportAsync);
  } catch (err) {
    reportAsync(err);
  }
}
