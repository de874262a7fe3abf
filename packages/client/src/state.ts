/**
 * The connection's states and the only transitions allowed between them. Every transition carries
 * a reason, so "why did it reconnect?" is answerable from the `state` events alone.
 *
 *   idle ──connect──▶ connecting ──welcome──▶ open
 *                        │  ▲                   │ socket lost / heartbeat timeout / 4000…
 *                        ▼  └──── retry ────────▼
 *                     reconnecting ◀────────────┘
 *   any state ──disconnect() or terminal close code──▶ closed ──connect──▶ connecting
 */
export type TConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** Emitted on every state change. `code` is the close code when a socket close caused it. */
export type TStateChange = {
  from: TConnectionState;
  to: TConnectionState;
  reason: string;
  code?: number;
};

const ALLOWED: Record<TConnectionState, readonly TConnectionState[]> = {
  idle: ["connecting", "closed"],
  connecting: ["open", "reconnecting", "closed"],
  open: ["reconnecting", "closed"],
  reconnecting: ["connecting", "closed"],
  closed: ["connecting"],
};

/** True when the state machine allows going from `from` to `to`. */
export function canTransition(from: TConnectionState, to: TConnectionState): boolean {
  return ALLOWED[from].includes(to);
}
