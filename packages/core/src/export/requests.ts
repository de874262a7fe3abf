/**
 * Asking for, listing and downloading exports. Who may (checked here, whatever the transport):
 * - a workspace export: the workspace owner only — to request one, and to see or download any
 *   workspace export (a new owner inherits them; a former owner loses them); with
 *   `includePrivate` (Slack's format) it holds private channels, DMs and group DMs as well, so
 *   only the owner's explicit request makes one, and the audit entry says so;
 * - a user export: every signed-in user, of themselves only; only they see or download it.
 * Anyone else asking for an export by id gets NOT_FOUND, the same answer as for an unknown id.
 * One export per scope (per user for user exports) is queued or running at a time, and at most
 * EXPORTS_PER_DAY are started in 24 hours (archives take storage for days). Requests and
 * downloads are audit-logged (`export.requested`, `export.downloaded`).
 */
import type { Prisma, TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import { z } from "zod";
import type { TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { ZId } from "../schemas.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";
import { wakeExportWorker } from "./run.ts";

export const ZExportScope = z.enum(["workspace", "user"]);
export type TExportScope = z.output<typeof ZExportScope>;

/** `parley`: JSON lines and files in a .tar.gz; `slack`: Slack's export format (a zip; workspace only). */
export const ZExportFormat = z.enum(["parley", "slack"]);
export type TExportFormat = z.output<typeof ZExportFormat>;

export const ZRequestExport = z.object({
  scope: ZExportScope,
  format: ZExportFormat.default("parley"),
  /**
   * A workspace export in Slack's format only: private channels, DMs and group DMs too (Slack's
   * "all channels and conversations" export). The owner's explicit choice, audit-logged; off by
   * default (public channels only, Slack's standard export).
   */
  includePrivate: z.boolean().default(false),
});
export const ZExportId = z.object({ id: ZId });

/** Exports of one scope (per user, for user exports) that may be started in 24 hours. */
export const EXPORTS_PER_DAY = 5;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A download link's lifetime. */
export const EXPORT_LINK_TTL_SEC = 5 * 60;

/** An export as its owner sees it in Settings → Export. */
export type TExportDto = {
  id: string;
  scope: TExportScope;
  format: TExportFormat;
  /** Private channels, DMs and group DMs are in it too (see ZRequestExport). */
  includePrivate: boolean;
  status: "queued" | "running" | "ready" | "failed" | "expired";
  requestedBy: { id: string; name: string };
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Messages to export (known once the run started) and exported so far. */
  totalMessages: number | null;
  messages: number;
  files: number;
  bytes: number | null;
  fileName: string | null;
  expiresAt: Date | null;
  error: string | null;
};

/** Throws FORBIDDEN unless the actor may request an export of `scope`. */
function requireMayRequest(actor: TActor, scope: TExportScope): void {
  if (scope === "workspace" && actor.role !== "owner") {
    throw new ParleyError("FORBIDDEN", "Only the workspace owner can export the workspace");
  }
}

/** True when the actor may see (and download) this export. */
function maySee(actor: TActor, row: { scope: TExportScope; requestedById: string }): boolean {
  return row.scope === "workspace" ? actor.role === "owner" : row.requestedById === actor.userId;
}

/**
 * Queues an export (see the file header) and wakes this process's worker. CONFLICT while another
 * of the same scope (a user's own, for user exports) is queued or running; TOO_MANY_REQUESTS after
 * EXPORTS_PER_DAY in 24 hours.
 */
export async function requestExport(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TExportDto> {
  const { scope, format, includePrivate } = parseInput(ZRequestExport, input);
  requireMayRequest(actor, scope);
  if (format === "slack" && scope !== "workspace") {
    throw new ParleyError("BAD_REQUEST", "Slack's format is for workspace exports");
  }
  if (includePrivate && format !== "slack") {
    throw new ParleyError(
      "BAD_REQUEST",
      "Private channels and direct messages can only be included in a workspace export in Slack's format",
    );
  }
  const id = await db.$transaction(async (tx) => {
    // One request at a time per scope (per user): the check below then sees every committed one.
    const lockKey = scope === "workspace" ? "parley.export:workspace" : `parley.export:user:${actor.userId}`;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`;
    // The role again, inside the transaction: a demotion committed since the request began wins.
    const [me] = await tx.$queryRaw<{ role: TActor["role"]; deactivatedAt: Date | null }[]>`
      SELECT role, "deactivatedAt" FROM "User" WHERE id = ${actor.userId}::uuid`;
    if (!me || me.deactivatedAt) throw new ParleyError("UNAUTHORIZED", "Sign in first");
    requireMayRequest({ userId: actor.userId, role: me.role }, scope);
    const busy = await tx.dataExport.findFirst({
      where: {
        scope,
        status: { in: ["queued", "running"] },
        ...(scope === "user" ? { requestedById: actor.userId } : {}),
      },
      select: { id: true },
    });
    if (busy) {
      throw new ParleyError(
        "CONFLICT",
        scope === "workspace"
          ? "A workspace export is already being built; wait for it to finish"
          : "Your export is already being built; wait for it to finish",
      );
    }
    const recent = await tx.dataExport.count({
      where: {
        scope,
        createdAt: { gt: new Date(Date.now() - DAY_MS) },
        ...(scope === "user" ? { requestedById: actor.userId } : {}),
      },
    });
    if (recent >= EXPORTS_PER_DAY) {
      throw new ParleyError(
        "TOO_MANY_REQUESTS",
        "At most {count} exports can be started in 24 hours; try again later",
        { params: { count: EXPORTS_PER_DAY } },
      );
    }
    const row = await tx.dataExport.create({
      data: { scope, format, includePrivate, requestedById: actor.userId },
      select: { id: true },
    });
    await recordAudit(tx, {
      action: "export.requested",
      actorId: actor.userId,
      target:
        scope === "workspace"
          ? { type: "workspace", id: String(WORKSPACE_ID), label: "workspace export" }
          : { type: "user", id: actor.userId },
      origin,
      // The format only when it is not the default (entries before it existed have none).
      details: {
        exportId: row.id,
        scope,
        ...(format === "slack" ? { format } : {}),
        ...(includePrivate ? { includePrivate } : {}),
      },
    });
    return row.id;
  });
  wakeExportWorker();
  return getExport(db, actor, { id });
}

const SELECT = {
  id: true,
  scope: true,
  format: true,
  includePrivate: true,
  status: true,
  requestedById: true,
  requestedBy: { select: { id: true, name: true } },
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  totalMessages: true,
  messages: true,
  files: true,
  bytes: true,
  fileName: true,
  expiresAt: true,
  error: true,
} as const;

/** A row as SELECT reads it (the DTO minus requestedById, with bytes as a bigint). */
type TRow = Prisma.DataExportGetPayload<{ select: typeof SELECT }>;

function toDto({ requestedById: _requestedById, bytes, ...row }: TRow): TExportDto {
  return { ...row, bytes: bytes === null ? null : Number(bytes) };
}

/** One export the actor may see; NOT_FOUND for an unknown id and for anyone else's alike. */
export async function getExport(db: TDb, actor: TActor, input: unknown): Promise<TExportDto> {
  const { id } = parseInput(ZExportId, input);
  const row = await db.dataExport.findUnique({ where: { id }, select: SELECT });
  if (!row || !maySee(actor, row)) throw new ParleyError("NOT_FOUND", "Export not found");
  return toDto(row);
}

/**
 * The exports the actor may see, newest first: their own user exports and, for the owner, the
 * workspace exports (the last 20 of each).
 */
export async function listExports(db: TDb, actor: TActor): Promise<TExportDto[]> {
  const [own, workspace] = await Promise.all([
    db.dataExport.findMany({
      where: { scope: "user", requestedById: actor.userId },
      orderBy: { createdAt: "desc" },
      take: 20,
      select: SELECT,
    }),
    actor.role === "owner"
      ? db.dataExport.findMany({
          where: { scope: "workspace" },
          orderBy: { createdAt: "desc" },
          take: 20,
          select: SELECT,
        })
      : Promise.resolve([]),
  ]);
  return [...own, ...workspace]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
    .map(toDto);
}

/**
 * A download link for a ready export, valid EXPORT_LINK_TTL_SEC; audit-logged. `storage` may be a
 * getter, called only once the caller is known to be allowed. NOT_FOUND when the
 * actor may not see it; CONFLICT while it is not ready (or once it expired).
 */
export async function exportDownloadUrl(
  db: TDb,
  storage: TStorage | (() => Promise<TStorage>),
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<{ url: string; expiresAt: Date }> {
  const { id } = parseInput(ZExportId, input);
  const row = await db.dataExport.findUnique({
    where: { id },
    select: {
      scope: true,
      requestedById: true,
      status: true,
      objectKey: true,
      fileName: true,
      expiresAt: true,
    },
  });
  if (!row || !maySee(actor, row)) throw new ParleyError("NOT_FOUND", "Export not found");
  if (row.status !== "ready" || !row.objectKey || (row.expiresAt && row.expiresAt <= new Date())) {
    throw new ParleyError(
      "CONFLICT",
      row.status === "expired" || row.status === "ready"
        ? "This export has expired; start a new one"
        : "This export is not ready to download",
    );
  }
  // Storage is asked for only now: a refused caller never reaches it.
  const store = typeof storage === "function" ? await storage() : storage;
  const url = await store.presignGet(row.objectKey, {
    expiresSec: EXPORT_LINK_TTL_SEC,
    contentType: row.fileName?.endsWith(".zip") ? "application/zip" : "application/gzip",
    fileName: row.fileName ?? "parley-export.tar.gz",
    disposition: "attachment",
  });
  await recordAudit(db, {
    action: "export.downloaded",
    actorId: actor.userId,
    target:
      row.scope === "workspace"
        ? { type: "workspace", id: String(WORKSPACE_ID), label: "workspace export" }
        : { type: "user", id: row.requestedById },
    origin,
    details: { exportId: id, scope: row.scope },
  });
  return { url, expiresAt: new Date(Date.now() + EXPORT_LINK_TTL_SEC * 1000) };
}
