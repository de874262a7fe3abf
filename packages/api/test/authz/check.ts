/**
 * The authorization matrix's runner and checker: lists `appRouter`'s procedures, calls one row as
 * every actor through a server-side caller built with the context the HTTP handler builds, watches
 * every table for writes, and compares what happened with the table (matrix.ts). The checker is
 * pure (`judge`), so a test can feed it a wrong expectation and see it reported.
 */
import { NotFound } from "@parley/core";
import type { TDb } from "@parley/db";
import { TRPCError } from "@trpc/server";
import { appRouter, createCaller } from "../../src/root.ts";
import { createContext } from "../../src/trpc.ts";
import type { TEnv } from "@parley/config";
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
const isUnknownText = (text: string) => NOT_FOUND_TEXTS.has(text) || /^[A-Z][a-z]+( [a-z]+)? not found$/.test(text);

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
    if (!named.has(p)) problems.push(`${p}: no row in the matrix (add one to packages/api/test/authz/matrix.ts)`);
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
        problems.push(`${key} as ${actor}: expected ${expected}, got ${o.outcome}${o.message ? ` (${o.message})` : ""}`);
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

/**
 * Tables a read may touch (a session's last-seen time) and that are not the caller's doing, left
 * out of the write check.
 */
const UNWATCHED = new Set(["_prisma_migrations", "AuthSession"]);

let digestSql: string | undefined;

/** A fingerprint of every row of every watched table (md5 of the rows' text), by table. */
export async function tableDigests(db: TDb): Promise<Record<string, string>> {
  if (!digestSql) {
    const tables = await db.$queryRaw<{ name: string }[]>`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`;
    digestSql = `SELECT ${tables
      .filter((t) => !UNWATCHED.has(t.name))
      .map(
        (t) =>
          `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM "${t.name}" x) AS "${t.name}"`,
      )
      .join(", ")}`;
  }
  const [row] = await db.$queryRawUnsafe<Record<string, string>[]>(digestSql);
  return row ?? {};
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
  const sessionId = actor === "anonymous" ? undefined : w.users[actor].sessionId;
  const ctx = await createContext({
    db: w.db,
    sessionId,
    env,
    // One address per actor: sign-up budgets are per address.
    clientAddress: `10.9.0.${ACTOR_KINDS.indexOf(actor) + 1}`,
    userAgent: "authz-matrix",
  });
  const caller = createCaller(ctx) as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>;
  const [router = "", name = ""] = procedure.split(".");
  const fn = caller[router]?.[name];
  if (!fn) throw new Error(`no procedure ${procedure}`);
  return fn(input);
}

/** Runs one row as every actor, in ACTOR_KINDS order. */
export async function runRow(w: TWorld, env: TEnv, row: TMatrixRow): Promise<TRowObservations> {
  const result = {} as TRowObservations;
  for (const actor of ACTOR_KINDS) {
    const input = row.input ? await row.input(w, actor) : undefined;
    const before = await tableDigests(w.db);
    let observation: TObservation;
    try {
      const answer = await callAs(w, env, actor, row.procedure, input);
      observation = { outcome: "allowed", wrote: [] };
      if (row.reveals && !row.reveals(answer, actor)) observation.revealed = true;
    } catch (err) {
      const outcome: TObservation["outcome"] =
        err instanceof TRPCError ? (err.code as TOutcome) : `threw: ${String(err)}`;
      const after = await tableDigests(w.db);
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
