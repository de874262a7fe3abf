/**
 * The authorization matrix's vocabulary (matrix.ts, matrix-people.ts): a row's shape, the outcomes
 * and the expectation sets most rows share (who is signed in, who administers, who is in the
 * target channel). See matrix.ts's header for the actors and what each outcome means.
 */
import type { TActorKind, TWorld } from "./world.ts";

export type TOutcome = "allowed" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "BAD_REQUEST";
export type TExpectations = Record<TActorKind, TOutcome>;

export type TMatrixRow = {
  /** `router.procedure`, as `appRouter` names it. */
  procedure: string;
  /** Which case, when a procedure has more than one row. */
  case?: string;
  /** The input this actor calls with (none for procedures without input). */
  input?: (w: TWorld, actor: TActorKind) => unknown;
  expect: TExpectations;
  /**
   * For an allowed call that must still reveal nothing to some actors: true when `result` is what
   * this actor may see (checked for every allowed call of the row).
   */
  reveals?: (result: unknown, actor: TActorKind) => boolean;
  /** Puts back what an allowed call changed that later rows rely on. */
  after?: (w: TWorld, actor: TActorKind) => Promise<void>;
};

export const ok = "allowed";
export const U = "UNAUTHORIZED";
export const F = "FORBIDDEN";
export const N = "NOT_FOUND";

/**
 * Without a valid session, only public procedures answer. A bot token is no credential for tRPC
 * (bots speak only the Slack-compatible API, scoped by their token), so the bot is signed out
 * here, like an anonymous caller: refused by every signed-in, member, admin and people procedure.
 */
export const signedOut = { deactivated: U, anonymous: U, bot: U } as const;

/** Public procedures: the same for everyone. */
export const ANYONE: TExpectations = {
  owner: ok,
  admin: ok,
  member: ok,
  guest: ok,
  nonMember: ok,
  removed: ok,
  deactivated: ok,
  anonymous: ok,
  bot: ok,
};
/** One outcome for every actor (public procedures that refuse everyone in this world). */
export const everyone = (outcome: TOutcome): TExpectations => ({
  owner: outcome,
  admin: outcome,
  member: outcome,
  guest: outcome,
  nonMember: outcome,
  removed: outcome,
  deactivated: outcome,
  anonymous: outcome,
  bot: outcome,
});
/** The caller's own things: every signed-in, active user. */
export const SIGNED_IN: TExpectations = {
  owner: ok,
  admin: ok,
  member: ok,
  guest: ok,
  nonMember: ok,
  removed: ok,
  ...signedOut,
};
/** Workspace admins and the owner (adminProcedure). */
export const ADMINS: TExpectations = {
  owner: ok,
  admin: ok,
  member: F,
  guest: F,
  nonMember: F,
  removed: F,
  ...signedOut,
};
/** Members of the target private channel; everyone else gets "as unknown" (admins too). */
export const TARGET_MEMBERS: TExpectations = {
  owner: ok,
  admin: N,
  member: ok,
  guest: ok,
  nonMember: N,
  removed: N,
  ...signedOut,
};
/** The channel's owner and workspace admins manage it; other members are refused, outsiders see nothing. */
export const CHANNEL_MANAGERS: TExpectations = {
  owner: ok,
  admin: ok,
  member: F,
  guest: F,
  nonMember: N,
  removed: N,
  ...signedOut,
};

/** The caller's own id (the member's for `anonymous` and `bot`, who have no session). */
export const self = (w: TWorld, actor: TActorKind) =>
  w.users[actor === "anonymous" || actor === "bot" ? "member" : actor].id;
