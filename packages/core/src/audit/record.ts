/**
 * Writing the audit log: `recordAudit` is the only writer. Call it with the action's transaction
 * client when the action has one, so an action never commits without its entry (and a rolled-back
 * action leaves none). Never put secrets (passwords, token or invite secrets) or message bodies
 * in an entry; labels are snapshots (e-mail, #channel) taken in the same statement.
 */
import { uuidv7 } from "../ids.ts";
import type { TTx } from "../tx.ts";
import type { TAuditAction, TAuditTargetType } from "./actions.ts";

/** Where a request came from: the client address (TRUST_PROXY-aware) and its user agent. */
export type TAuditOrigin = { ip?: string | undefined; userAgent?: string | undefined };

/** A JSON value an entry's details may hold. */
export type TAuditJson = string | number | boolean | null | TAuditJson[] | { [key: string]: TAuditJson };

/** One entry to record. */
export type TAuditRecord = {
  action: TAuditAction;
  /** Who acted; null when nobody signed in did (a failed sign-in, a lockout, the retention job). */
  actorId: string | null;
  /** The actor's label; by default the actor's e-mail, read in the same statement. */
  actorLabel?: string | undefined;
  target?: {
    type: TAuditTargetType;
    id?: string | null | undefined;
    /** By default: a user's e-mail, a channel's #name (read in the same statement). */
    label?: string | null | undefined;
  };
  origin?: TAuditOrigin | undefined;
  details?: { [key: string]: TAuditJson } | undefined;
};

const MAX_LABEL = 320;
const MAX_IP = 64;
const MAX_USER_AGENT = 512;

/** Control characters out (a label or user agent is shown in tables and CSV), then capped. */
function clean(value: string | null | undefined, max: number): string | null {
  if (value == null) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ").slice(0, max);
}

/** Appends one audit entry (one INSERT); `db` may be a transaction client. */
export async function recordAudit(db: Pick<TTx, "$executeRaw">, entry: TAuditRecord): Promise<void> {
  const targetType = entry.target?.type ?? null;
  const targetId = clean(entry.target?.id, 200);
  await db.$executeRaw`
    INSERT INTO "AuditEntry"
      ("id", "actorId", "actorLabel", "action", "targetType", "targetId", "targetLabel", "ip", "userAgent", "details")
    VALUES (
      ${uuidv7()}::uuid,
      ${entry.actorId}::uuid,
      COALESCE(${clean(entry.actorLabel, MAX_LABEL)},
        (SELECT email FROM "User" WHERE id = ${entry.actorId}::uuid), ''),
      ${entry.action},
      ${targetType},
      ${targetId},
      COALESCE(${clean(entry.target?.label, MAX_LABEL)},
        CASE ${targetType}::text
          WHEN 'user' THEN (SELECT email FROM "User" WHERE id::text = ${targetId})
          WHEN 'channel' THEN (SELECT '#' || name FROM "Conversation" WHERE id::text = ${targetId})
        END),
      ${clean(entry.origin?.ip, MAX_IP)},
      ${clean(entry.origin?.userAgent, MAX_USER_AGENT)},
      ${JSON.stringify(entry.details ?? {})}::jsonb
    )`;
}
