/**
 * Uploading and starting Slack imports, and watching them (Settings → Import). Workspace admins
 * and the owner only (FORBIDDEN for everyone else, checked here whatever the transport; the role
 * is re-read in the start's transaction). The zip goes straight from the browser to object storage
 * through a presigned PUT of exactly the announced size (at most SLACK_IMPORT_MAX_BYTES), as
 * attachments do; `start` checks the object is there with that size, queues the import and wakes
 * this process's worker. One import is queued or running at a time (CONFLICT). Audit:
 * `slack_import.started` (in the start's transaction), and `slack_import.finished` /
 * `slack_import.failed` written by the run.
 */
import type { Prisma, TDb } from "@parley/db";
import { zLine } from "@parley/protocol";
import type { TPresignedPut, TStorage } from "@parley/storage";
import { z } from "zod";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { ZId } from "../schemas.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";
import type { TImportSummary } from "./import.ts";
import { wakeSlackImportWorker } from "./run.ts";

/** Largest zip an admin may upload: 2 GiB. */
export const SLACK_IMPORT_MAX_BYTES = 2 * 1024 * 1024 * 1024;
/** How long the upload URL works. */
export const SLACK_IMPORT_UPLOAD_TTL_SEC = 60 * 60;

export const ZCreateSlackImport = z.strictObject({
  fileName: zLine()
    .trim()
    .min(1)
    .max(200)
    .refine((n) => n.toLowerCase().endsWith(".zip"), errorTemplate("must be a .zip file")),
  size: z
    .number()
    .int()
    .positive()
    .max(SLACK_IMPORT_MAX_BYTES, `is larger than ${SLACK_IMPORT_MAX_BYTES / 1024 ** 3} GiB`),
});
export const ZSlackImportId = z.strictObject({ id: ZId });

/** An import as admins see it. */
export type TSlackImportDto = {
  id: string;
  status: "uploading" | "queued" | "running" | "done" | "failed";
  fileName: string;
  size: number;
  requestedBy: { id: string; name: string };
  phase: string;
  totalMessages: number | null;
  messages: number;
  summary: TImportSummary | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

const SELECT = {
  id: true,
  status: true,
  fileName: true,
  size: true,
  requestedBy: { select: { id: true, name: true } },
  phase: true,
  totalMessages: true,
  messages: true,
  summary: true,
  error: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
} as const;

type TRow = Prisma.SlackImportGetPayload<{ select: typeof SELECT }>;

function toDto({ size, summary, ...row }: TRow): TSlackImportDto {
  return { ...row, size: Number(size), summary: (summary as TImportSummary | null) ?? null };
}

/**
 * Records an upload and returns where to PUT the zip (exactly `size` bytes, application/zip).
 * Nothing is read until `startSlackImport`.
 */
export async function createSlackImport(
  db: TDb,
  storage: TStorage | (() => Promise<TStorage>),
  actor: TActor,
  input: unknown,
): Promise<{ import: TSlackImportDto; upload: TPresignedPut; expiresAt: Date }> {
  requireAdmin(actor);
  const data = parseInput(ZCreateSlackImport, input);
  const store = typeof storage === "function" ? await storage() : storage;
  const row = await db.slackImport.create({
    data: {
      requestedById: actor.userId,
      fileName: data.fileName,
      size: BigInt(data.size),
      objectKey: `imports/${crypto.randomUUID()}/slack-export.zip`,
    },
    select: { ...SELECT, objectKey: true },
  });
  const upload = await store.presignPut(row.objectKey, {
    expiresSec: SLACK_IMPORT_UPLOAD_TTL_SEC,
    contentType: "application/zip",
    size: data.size,
  });
  const { objectKey: _key, ...dto } = row;
  return { import: toDto(dto), upload, expiresAt: new Date(Date.now() + SLACK_IMPORT_UPLOAD_TTL_SEC * 1000) };
}

/**
 * Queues an uploaded import: BAD_REQUEST while the zip is not (fully) uploaded, CONFLICT while
 * another import is queued or running or when this one already started. Audit-logged.
 */
export async function startSlackImport(
  db: TDb,
  storage: TStorage | (() => Promise<TStorage>),
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TSlackImportDto> {
  requireAdmin(actor);
  const { id } = parseInput(ZSlackImportId, input);
  const row = await db.slackImport.findUnique({
    where: { id },
    select: { objectKey: true, size: true, status: true, fileName: true },
  });
  if (!row) throw new ParleyError("NOT_FOUND", "Import not found");
  if (row.status !== "uploading") throw new ParleyError("CONFLICT", "This import has already started");
  const store = typeof storage === "function" ? await storage() : storage;
  const stat = await store.statObject(row.objectKey);
  if (!stat || BigInt(stat.size) !== row.size) {
    throw new ParleyError("BAD_REQUEST", "The zip has not been uploaded completely; upload it again");
  }
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('parley.slack-import'))`;
    const [me] = await tx.$queryRaw<{ role: TActor["role"]; deactivatedAt: Date | null }[]>`
      SELECT role, "deactivatedAt" FROM "User" WHERE id = ${actor.userId}::uuid`;
    if (!me || me.deactivatedAt) throw new ParleyError("UNAUTHORIZED", "Sign in first");
    requireAdmin({ userId: actor.userId, role: me.role });
    const busy = await tx.slackImport.findFirst({
      where: { status: { in: ["queued", "running"] } },
      select: { id: true },
    });
    if (busy) throw new ParleyError("CONFLICT", "Another import is running; wait for it to finish");
    const n = await tx.slackImport.updateMany({
      where: { id, status: "uploading" },
      data: { status: "queued" },
    });
    if (n.count === 0) throw new ParleyError("CONFLICT", "This import has already started");
    await recordAudit(tx, {
      action: "slack_import.started",
      actorId: actor.userId,
      target: { type: "workspace", id: String(WORKSPACE_ID), label: "Slack import" },
      origin,
      details: { importId: id, fileName: row.fileName },
    });
  });
  wakeSlackImportWorker();
  return getSlackImport(db, actor, { id });
}

/** One import (its progress); admins only. */
export async function getSlackImport(db: TDb, actor: TActor, input: unknown): Promise<TSlackImportDto> {
  requireAdmin(actor);
  const { id } = parseInput(ZSlackImportId, input);
  const row = await db.slackImport.findUnique({ where: { id }, select: SELECT });
  if (!row) throw new ParleyError("NOT_FOUND", "Import not found");
  return toDto(row);
}

/** The last 20 imports, newest first; admins only. */
export async function listSlackImports(db: TDb, actor: TActor): Promise<TSlackImportDto[]> {
  requireAdmin(actor);
  const rows = await db.slackImport.findMany({
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 20,
    select: SELECT,
  });
  return rows.map(toDto);
}
