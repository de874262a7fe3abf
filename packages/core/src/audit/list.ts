/**
 * Reading the audit log (admins only): filtered, newest first, keyset-paged by (at, id) so a page
 * costs the same however deep it is; and the CSV export, which pages the same way and records
 * `audit.exported` before the first byte.
 */
import type { Prisma, TDb } from "@parley/db";
import { zLine } from "@parley/protocol";
import { z } from "zod";
import { requireAdmin, type TActor } from "../actor.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { ZId } from "../schemas.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";
import { AUDIT_ACTIONS, type TAuditAction, ZAuditAction } from "./actions.ts";
import { csvLine } from "./csv.ts";
import { recordAudit, type TAuditJson, type TAuditOrigin } from "./record.ts";

/** Filters shared by the list and the export. `to` is exclusive. */
export const ZAuditFilter = z.object({
  action: ZAuditAction.optional(),
  /** Exactly this actor. */
  actorId: ZId.optional(),
  /** Part of the actor's label (e-mail at the time; the attempted e-mail of a failed sign-in). */
  actor: zLine().trim().max(320).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});
export type TAuditFilter = z.output<typeof ZAuditFilter>;

/** A page of the list: after `cursor` (the previous page's `nextCursor`), at most `limit`. */
export const ZListAudit = ZAuditFilter.extend({
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type TListAudit = z.output<typeof ZListAudit>;

/** One audit entry as admins see it. */
export type TAuditEntryDto = {
  id: string;
  at: Date;
  actorId: string | null;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  ip: string | null;
  userAgent: string | null;
  details: TAuditJson;
};

/** A page of entries, newest first; `nextCursor` is null on the last page. */
export type TAuditPage = { entries: TAuditEntryDto[]; nextCursor: string | null };

const entrySelect = {
  id: true,
  at: true,
  actorId: true,
  actorLabel: true,
  action: true,
  targetType: true,
  targetId: true,
  targetLabel: true,
  ip: true,
  userAgent: true,
  details: true,
} as const;

type TCursor = { at: Date; id: string };

function encodeCursor(c: TCursor): string {
  return Buffer.from(`${c.at.toISOString()}|${c.id}`).toString("base64url");
}

function decodeCursor(cursor: string): TCursor {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const date = at ? new Date(at) : null;
  if (!date || Number.isNaN(date.getTime()) || !id || !ZId.safeParse(id).success) {
    throw new ParleyError("BAD_REQUEST", "Invalid input: cursor: not a cursor from this list");
  }
  return { at: date, id };
}

/** Prisma's `contains` passes LIKE's wildcards through; make them literal (backslash escapes). */
function literalLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function whereOf(filter: TAuditFilter, after?: TCursor): Prisma.AuditEntryWhereInput {
  const and: Prisma.AuditEntryWhereInput[] = [];
  if (filter.action) and.push({ action: filter.action });
  if (filter.actorId) and.push({ actorId: filter.actorId });
  if (filter.actor) and.push({ actorLabel: { contains: literalLike(filter.actor), mode: "insensitive" } });
  if (filter.from) and.push({ at: { gte: filter.from } });
  if (filter.to) and.push({ at: { lt: filter.to } });
  if (after) and.push({ OR: [{ at: { lt: after.at } }, { at: after.at, id: { lt: after.id } }] });
  return { AND: and };
}

async function readPage(db: TDb, filter: TAuditFilter, limit: number, after?: TCursor): Promise<TAuditPage> {
  const rows = await db.auditEntry.findMany({
    where: whereOf(filter, after),
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: entrySelect,
  });
  const entries = rows.slice(0, limit).map((r) => ({ ...r, details: r.details as TAuditJson }));
  const last = entries.at(-1);
  return { entries, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** A page of the audit log, newest first (admins only). */
export async function listAuditEntries(db: TDb, actor: TActor, input: unknown): Promise<TAuditPage> {
  requireAdmin(actor);
  const { cursor, limit, ...filter } = parseInput(ZListAudit, input);
  return readPage(db, filter, limit, cursor ? decodeCursor(cursor) : undefined);
}

/** The actions an entry can have, for the filter (admins only). */
export function listAuditActions(actor: TActor): readonly TAuditAction[] {
  requireAdmin(actor);
  return AUDIT_ACTIONS;
}

/** The export's columns, in order. */
export const AUDIT_CSV_COLUMNS = [
  "time",
  "actor",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "target",
  "address",
  "user_agent",
  "details",
] as const;

const EXPORT_PAGE = 500;

/**
 * The audit log as CSV lines (header first), newest first, for the filter (admins only). Checks
 * the actor and the filter and records `audit.exported` before it returns, so a refused export
 * writes nothing and an allowed one is on record even if the download is abandoned.
 */
export async function exportAuditCsv(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<AsyncIterable<string>> {
  requireAdmin(actor);
  const filter = parseInput(ZAuditFilter, input ?? {});
  const recorded: { [key: string]: TAuditJson } = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined) recorded[key] = value instanceof Date ? value.toISOString() : value;
  }
  await recordAudit(db, {
    action: "audit.exported",
    actorId: actor.userId,
    target: { type: "audit", label: "audit log" },
    origin,
    details: { filter: recorded },
  });
  return (async function* lines() {
    yield csvLine(AUDIT_CSV_COLUMNS);
    let after: TCursor | undefined;
    for (;;) {
      const page = await readPage(db, filter, EXPORT_PAGE, after);
      for (const e of page.entries) {
        yield csvLine([
          e.at.toISOString(),
          e.actorLabel,
          e.actorId,
          e.action,
          e.targetType,
          e.targetId,
          e.targetLabel,
          e.ip,
          e.userAgent,
          JSON.stringify(e.details),
        ]);
      }
      const last = page.entries.at(-1);
      if (!page.nextCursor || !last) return;
      after = last;
    }
  })();
}

/** The audit retention in days (0 = forever), for the admin's form (admins only). */
export async function getAuditRetention(db: TDb, actor: TActor): Promise<{ days: number }> {
  requireAdmin(actor);
  const ws = await db.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { auditRetentionDays: true },
  });
  if (!ws) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
  return { days: ws.auditRetentionDays };
}
