/**
 * WebSocket close codes the gateway uses. They mirror HTTP statuses so they read at a glance:
 *
 *   4000–4399  transient: reconnect (with backoff) and resume from your cursors.
 *   4400–4499  the client did something wrong or is not allowed: do NOT reconnect, except
 *              4408 (heartbeat timeout: the network, not the client) and 4429 (rate limited:
 *              reconnect with a longer backoff).
 *
 * To add a code: pick it from the range that says what the client must do, add it here with a
 * one-line doc, bump PROTOCOL_VERSION and note it in CHANGELOG.md.
 */
export const CloseCode = {
  /**
   * Normal going-away: the gateway is shutting down or rebalancing; reconnect elsewhere. The reason
   * may say "reconnect within <N> ms" (goingAwayReason): spread the first attempt uniformly over
   * [0, N) ms (parseReconnectWindow), so the gateway's crowd does not reconnect in one burst.
   */
  GoingAway: 4000,
  /** The server cannot bring this connection up to date incrementally: reconnect and refetch state. */
  Resync: 4001,
  /** The socket could not keep up with its events (bufferedAmount too high): reconnect and resume. */
  SlowConsumer: 4002,
  /** Too many malformed frames in a short window (abuse limit). */
  BadFrames: 4400,
  /** No valid credentials, or the session/token was revoked: sign in again, do not reconnect. */
  Unauthorized: 4401,
  /** Authenticated but not allowed (e.g. the user was deactivated). */
  Forbidden: 4403,
  /** No sign of life (pong or frame) within the heartbeat window; reconnect. */
  HeartbeatTimeout: 4408,
  /**
   * A message (one frame, or fragments counted together) larger than MAX_FRAME_BYTES, whatever
   * its size: refused from its header, before it is read. Never send that frame again. A client
   * that knows which frame it was (the Parley SDK fails that outbox message) may reconnect;
   * otherwise stop. Treat the standard 1009 (Message Too Big, from a proxy or an older gateway)
   * the same way.
   */
  FrameTooLarge: 4413,
  /** The client speaks a protocol version this server does not (upgrade the client). */
  UnsupportedVersion: 4426,
  /**
   * The client sent commands faster than allowed; reconnect after a longer backoff. Every command
   * it had queued that did not run was answered with a TOO_MANY_REQUESTS error (with its id)
   * first, so none of them ran: resend them after reconnecting.
   */
  RateLimited: 4429,
} as const;

export type TCloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** True for close codes after which a client must stop and not reconnect (4400–4499 but 4408, 4429). */
export function isTerminalCloseCode(code: number): boolean {
  if (code === CloseCode.HeartbeatTimeout || code === CloseCode.RateLimited) return false;
  return code >= 4400 && code <= 4499;
}

/** Longest reconnect window a client honours, whatever a server says (welcome, pong or a 4000). */
export const MAX_RECONNECT_WINDOW_MS = 60_000;

/** The reason of a 4000 close carrying a reconnect window (fits a close frame's 123 bytes). */
export function goingAwayReason(windowMs: number, text = "server shutting down"): string {
  return `${text}; reconnect within ${Math.max(0, Math.round(windowMs))} ms`;
}

/** The window a close reason carries ("… reconnect within N ms"), clamped; null when none. */
export function parseReconnectWindow(reason: string): number | null {
  const match = /reconnect within (\d{1,9}) ms/.exec(reason);
  if (!match?.[1]) return null;
  return Math.min(Number(match[1]), MAX_RECONNECT_WINDOW_MS);
}
