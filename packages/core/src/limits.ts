/**
 * Runtime limits core enforces. The defaults are @parley/config's (defined there only); each app
 * calls `configureLimits` once at start with its validated settings (core never reads the
 * environment itself).
 */
import { DEFAULT_MAX_MESSAGE_LENGTH } from "@parley/config";

export type TCoreLimits = {
  /** Longest message body in characters, after trimming. */
  maxMessageLength: number;
};

/** Default limits: @parley/config's defaults. */
export const DEFAULT_LIMITS: Readonly<TCoreLimits> = Object.freeze({
  maxMessageLength: DEFAULT_MAX_MESSAGE_LENGTH,
});

let limits: TCoreLimits = { ...DEFAULT_LIMITS };

/** Overrides some limits for this process (e.g. `{ maxMessageLength: env.MAX_MESSAGE_LENGTH }`). */
export function configureLimits(next: Partial<TCoreLimits>): void {
  limits = { ...limits, ...next };
}

/** The limits in force. */
export function getLimits(): Readonly<TCoreLimits> {
  return limits;
}
