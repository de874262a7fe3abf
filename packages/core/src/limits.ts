/**
 * Runtime limits core enforces. Defaults match @parley/config; each app calls `configureLimits`
 * once at start with its validated settings (core never reads the environment itself).
 */
export type CoreLimits = {
  /** Longest message body in characters, after trimming. */
  maxMessageLength: number;
};

/** Default limits, equal to the @parley/config defaults. */
export const DEFAULT_LIMITS: Readonly<CoreLimits> = Object.freeze({ maxMessageLength: 40_000 });

let limits: CoreLimits = { ...DEFAULT_LIMITS };

/** Overrides some limits for this process (e.g. `{ maxMessageLength: env.MAX_MESSAGE_LENGTH }`). */
export function configureLimits(next: Partial<CoreLimits>): void {
  limits = { ...limits, ...next };
}

/** The limits in force. */
export function getLimits(): Readonly<CoreLimits> {
  return limits;
}
