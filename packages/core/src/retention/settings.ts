/**
 * Message retention settings (admins): the workspace's default (`Workspace.messageRetentionDays`,
 * 0 = keep forever) and per-channel overrides (`Conversation.retentionDays`: null = the default,
 * 0 = forever, N days — shorter or longer than the default), and the dry run that shows what the
 * job (run.ts) would remove now. Every change is audit-logged (`retention.updated`) in its own
 * transaction, with the value before and after; a save that changes nothing records nothing.
 * DMs and group DMs always follow the workspace's default.
 */
import type { TDb } from "@parley/db";
import { z } from "zod";
import { notFound } from "../access.ts";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { ZId } from "../schemas.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

/** The longest retention one may set (100 years); longer is what 0 (forever) is for. */
export const MAX_RETENTION_DAYS = 36_500;

const ZDays = z.number().int().min(0).max(MAX_RETENTION_DAYS);

export const ZSetWorkspaceRetention = z.object({ days: ZDays });
/** `days` null: follow the workspace's default. */
export const ZSetChannelRetention = z.object({ conversationId: ZId, days: ZDays.nullable() });

/** One channel's retention as admins see it (private ones too: name only, never content). */
export type TChannelRetention = {
  conversationId: string;
  name: string;
  kind: "public_channel" | "private_channel";
  /** The override; null = the workspace's default. */
  retentionDays: number | null;
  isArchived: boolean;
};

/** The workspace's default and every channel's override. */
export type TRetentionSettings = { workspaceDays: number; channels: TChannelRetention[] };

/** The settings (admins). */
export async function getRetentionSettings(db: TDb, actor: TActor): Promise<TRetentionSettings> {
  requireAdmin(actor);
  const [ws, channels] = await Promise.all([
    db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: { messageRetentionDays: true } }),
    db.conversation.findMany({
      where: { kind: { in: ["public_channel", "private_channel"] } },
      select: { id: true, name: true, kind: true, retentionDays: true, archivedAt: true },
      orderBy: { name: "asc" },
    }),
  ]);
  return {
    workspaceDays: ws?.messageRetentionDays ?? 0,
    channels: channels.map((c) => ({
      conversationId: c.id,
      name: c.name ?? "",
      kind: c.kind as TChannelRetention["kind"],
      retentionDays: c.retentionDays,
      isArchived: c.archivedAt !== null,
    })),
  };
}

/** Sets the workspace's default retention (0 = forever). */
export async function setWorkspaceRetention(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<{ days: number }> {
  requireAdmin(actor);
  const { days } = parseInput(ZSetWorkspaceRetention, input);
  return db.$transaction(async (tx) => {
    const [before] = await tx.$queryRaw<{ days: number }[]>`
      SELECT "messageRetentionDays" AS days FROM "Workspace" WHERE id = ${WORKSPACE_ID} FOR UPDATE`;
    if (!before) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
    if (before.days === days) return { days };
    await tx.workspace.update({ where: { id: WORKSPACE_ID }, data: { messageRetentionDays: days } });
    await recordAudit(tx, {
      action: "retention.updated",
      actorId: actor.userId,
      target: { type: "workspace", id: String(WORKSPACE_ID) },
      origin,
      details: { before: { days: before.days }, after: { days } },
    });
    return { days };
  });
}

/** Sets one channel's override (null = the workspace's default); DMs answer NOT_FOUND. */
export async function setChannelRetention(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<{ conversationId: string; days: number | null }> {
  requireAdmin(actor);
  const { conversationId, days } = parseInput(ZSetChannelRetention, input);
  return db.$transaction(async (tx) => {
    // No row lock: sends hold this row's lock; a plain UPDATE of another column waits only as long.
    const [before] = await tx.$queryRaw<{ days: number | null }[]>`
      SELECT "retentionDays" AS days FROM "Conversation"
      WHERE id = ${conversationId}::uuid AND kind IN ('public_channel', 'private_channel')`;
    if (!before) throw notFound();
    if (before.days === days) return { conversationId, days };
    await tx.conversation.update({ where: { id: conversationId }, data: { retentionDays: days } });
    await recordAudit(tx, {
      action: "retention.updated",
      actorId: actor.userId,
      target: { type: "channel", id: conversationId },
      origin,
      details: { before: { days: before.days }, after: { days } },
    });
    return { conversationId, days };
  });
}

/** What the job would remove from one channel now (DMs and group DMs: one row for all of them). */
export type TRetentionPreviewRow = {
  /** null for the row that sums every DM and group DM. */
  conversationId: string | null;
  name: string;
  kind: string;
  days: number;
  messages: number;
  files: number;
  /** The oldest message that stays (null: none would be left). */
  oldestKeptAt: Date | null;
};

/**
 * The dry run (admins): per conversation with a retention, how many messages and files would go
 * if the job ran at `now`, and the oldest message kept. Reads only; one statement (a scan of the
 * messages of conversations with a retention: an admin's occasional question, not a hot path).
 */
export async function previewRetention(
  db: TDb,
  actor: TActor,
  options: { now?: Date } = {},
): Promise<TRetentionPreviewRow[]> {
  requireAdmin(actor);
  const now = options.now ?? new Date();
  const rows = await db.$queryRaw<
    {
      conversationId: string;
      name: string | null;
      kind: string;
      days: number;
      messages: number;
      files: number;
      oldestKeptAt: Date | null;
    }[]
  >`
    WITH c AS (
      SELECT c.id, c.name, c.kind::text AS kind, c."truncatedSeq",
        COALESCE(c."retentionDays", w."messageRetentionDays") AS days
      FROM "Conversation" c CROSS JOIN "Workspace" w
      WHERE w.id = ${WORKSPACE_ID} AND COALESCE(c."retentionDays", w."messageRetentionDays") > 0
    )
    SELECT c.id AS "conversationId", c.name, c.kind, c.days,
      count(m.id) FILTER (WHERE m."createdAt" < ${now}::timestamp(3) - make_interval(days => c.days))::int AS messages,
      COALESCE(sum(f.n) FILTER (WHERE m."createdAt" < ${now}::timestamp(3) - make_interval(days => c.days)), 0)::int AS files,
      min(m."createdAt") FILTER (WHERE m."createdAt" >= ${now}::timestamp(3) - make_interval(days => c.days)) AS "oldestKeptAt"
    FROM c
    LEFT JOIN "Message" m ON m."conversationId" = c.id AND m.seq > c."truncatedSeq"
    LEFT JOIN LATERAL (
      SELECT count(*)::int AS n FROM "Attachment" a WHERE a."messageId" = m.id AND a.status <> 'deleted'
    ) f ON m.id IS NOT NULL
    GROUP BY c.id, c.name, c.kind, c.days
    ORDER BY c.name NULLS LAST, c.id`;
  const channels: TRetentionPreviewRow[] = [];
  const dms = new Map<number, TRetentionPreviewRow>();
  for (const r of rows) {
    if (r.kind === "public_channel" || r.kind === "private_channel") {
      channels.push({ ...r, name: `#${r.name ?? ""}` });
      continue;
    }
    // DMs by their retention (all the workspace's default): counts only, never who or what.
    const sum = dms.get(r.days) ?? {
      conversationId: null,
      name: "Direct messages",
      kind: "dm",
      days: r.days,
      messages: 0,
      files: 0,
      oldestKeptAt: null,
    };
    sum.messages += r.messages;
    sum.files += r.files;
    if (r.oldestKeptAt && (!sum.oldestKeptAt || r.oldestKeptAt < sum.oldestKeptAt))
      sum.oldestKeptAt = r.oldestKeptAt;
    dms.set(r.days, sum);
  }
  return [...channels, ...dms.values()];
}
