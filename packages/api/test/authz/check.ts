/**
 * The authorization matrix's runner and checker: lists `appRouter`'s procedures, calls one row as
 * every actor through a server-side caller built with the context the HTTP handler builds, watches
 * every table for writes, and compares what happened with the table (matrix.ts). The checker is
 * pure (`judge`), so a test can feed it a wrong expectation and see it reported.
 */

import type { TEnv } from "@parley/config";
import { NotFound } from "@parley/core";
import { tableDigests } from "@parley/db/testing";
import { TRPCError } from "@trpc/server";
import { appRouter, createCaller } from "../../src/root.ts";
import { createContext } from "../../src/trpc.ts";
import type { TMatrixRow, TOutcome } from "./matrix.ts";
import { ACTOR_KINDS, type TActorKind, type TWorld } from "./world.ts";

/** Every procedure of a tRPC 11 router by its dotted path (`conversations.get`). */
export function listProcedures(router: { _def: { procedures: Record<string, unknown> } }): string[] {
  return Object.keys(router._def.procedures).sort();
}

/** What one actor's call did. */
export type TObservation = {
  /** `allowed`, the tRPC code, or `threw: …` for anything that is not a TRPCError. */
  outcome: TOutcome | `threw: ${string}`;
  message?: string;
  /** Tables whose rows changed during a refused call (should be none). */
  wrote: string[];
  /** An allowed call whose answer failed the row's `reveals` check. */
  revealed?: true;
};

export type TRowObservations = Record<TActorKind, TObservation>;

/** `procedure` or `procedure [case]`: a row's name in reports. */
export function rowKey(row: Pick<TMatrixRow, "procedure" | "case">): string {
  return row.case ? `${row.procedure} [${row.case}]` : row.procedure;
}

/** What unknown ids answer: core's NotFound texts, or "<Thing> not found" for other kinds (invites, sessions). */
const NOT_FOUND_TEXTS = new Set<string>(Object.values(NotFound));
const isUnknownText = (text: string) =>
  NOT_FOUND_TEXTS.has(text) || /^[A-Z][a-z]+( [a-z]+)? not found$/.test(text);

/**
 * Everything wrong, one line each: procedures without a row, rows naming no procedure, rows not
 * run, outcomes other than the table's, NOT_FOUND answers that are not the "unknown" text, and
 * refused calls that wrote.
 */
export function judge(
  procedures: readonly string[],
  rows: readonly TMatrixRow[],
  observed: ReadonlyMap<string, TRowObservations>,
): string[] {
  const problems: string[] = [];
  const named = new Set(rows.map((r) => r.procedure));
  for (const p of procedures) {
    if (!named.has(p))
      problems.push(`${p}: no row in the matrix (add one to packages/api/test/authz/matrix.ts)`);
  }
  const known = new Set(procedures);
  for (const row of rows) {
    const key = rowKey(row);
    if (!known.has(row.procedure)) {
      problems.push(`${key}: a row for a procedure the router does not have`);
      continue;
    }
    const seen = observed.get(key);
    if (!seen) {
      problems.push(`${key}: not run`);
      continue;
    }
    for (const actor of ACTOR_KINDS) {
      const o = seen[actor];
      const expected = row.expect[actor];
      if (o.outcome !== expected) {
        problems.push(
          `${key} as ${actor}: expected ${expected}, got ${o.outcome}${o.message ? ` (${o.message})` : ""}`,
        );
      } else if (o.outcome === "NOT_FOUND" && !isUnknownText(o.message ?? "")) {
        problems.push(`${key} as ${actor}: NOT_FOUND with a text unknown ids never get: ${o.message}`);
      }
      if (o.revealed) problems.push(`${key} as ${actor}: allowed, but the answer shows what it must not`);
      if (o.outcome !== "allowed" && o.wrote.length > 0) {
        problems.push(`${key} as ${actor}: refused (${o.outcome}) but wrote to ${o.wrote.join(", ")}`);
      }
    }
  }
  return problems;
}

function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(after).filter((t) => before[t] !== after[t]);
}

/** Calls `procedure` as `actor` the way the HTTP handler would (its context, from the session). */
async function callAs(
  w: TWorld,
  env: TEnv,
  actor: TActorKind,
  procedure: string,
  input: unknown,
): Promise<unknown> {
  const sessionId = actor === "anonymous" || actor === "bot" ? undefined : w.users[actor].sessionId;
  const ctx = await createContext({
    db: w.db,
    sessionId,
    // The bot presents its token as the HTTP handler would pass it on.
    ...(actor === "bot" ? { bearerToken: w.bot.token } : {}),
    env,
    // One address per actor: sign-up budgets are per address.
    clientAddress: `10.9.0.${ACTOR_KINDS.indexOf(actor) + 1}`,
    userAgent: "authz-matrix",
  });
  const caller = createCaller(ctx) as unknown as Record<
    string,
    Record<string, (i: unknown) => Promise<unknown>>
  >;
  const [router = "", name = ""] = procedure.split(".");
  const fn = caller[router]?.[name];
  if (!fn) throw new Error(`no procedure ${procedure}`);
  return fn(input);
}

/** Runs one row as every actor, in ACTOR_KINDS order. */
export async function runRow(w: TWorld, env: TEnv, row: TMatrixRow): Promise<TRowObservations> {
  const result = {} as TRowObservations;
  // The digest after a refused call is the next call's "before", unless something may have
  // written since: an allowed call, or an input built by an async builder (the fresh* helpers).
  let last: Record<string, string> | undefined;
  for (const actor of ACTOR_KINDS) {
    const built = row.input?.(w, actor);
    if (built instanceof Promise) last = undefined;
    const input = await built;
    const before = last ?? (await tableDigests(w.db));
    last = undefined;
    let observation: TObservation;
    try {
      const answer = await callAs(w, env, actor, row.procedure, input);
      observation = { outcome: "allowed", wrote: [] };
      if (row.reveals && !row.reveals(answer, actor)) observation.revealed = true;
    } catch (err) {
      const outcome: TObservation["outcome"] =
        err instanceof TRPCError ? (err.code as TOutcome) : `threw: ${String(err)}`;
      const after = await tableDigests(w.db);
      last = after;
      observation = {
        outcome,
        message: err instanceof Error ? err.message : String(err),
        wrote: changedTables(before, after),
      };
    }
    if (observation.outcome === "allowed") await row.after?.(w, actor);
    result[actor] = observation;
  }
  return result;
}

/** Every procedure of the app's router. */
export const APP_PROCEDURES = listProcedures(appRouter as never);
