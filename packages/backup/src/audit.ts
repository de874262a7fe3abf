/**
 * Backups and restores in the audit log (issue 13: every admin action is recorded). They run from
 * the command line with the database's credentials, so no signed-in user acted: the entry has no
 * actor and the label says where it came from. A backup's entry is written after its snapshot
 * (the archive does not hold its own entry); a restore's after the restored data and migrations
 * are in place, so the restored install shows when and from what it was restored.
 */
import { uuidv7 } from "@parley/core";
import type pg from "pg";

/** The actor label of entries made by the command-line tools. */
export const CLI_ACTOR_LABEL = "command line (npm run backup/restore)";

export async function recordCliAudit(
  client: pg.Client,
  action: "backup.created" | "backup.restored",
  details: Record<string, string | number>,
): Promise<void> {
  await client.query(
    `INSERT INTO "AuditEntry" ("id", "actorId", "actorLabel", "action", "targetType", "targetId", "targetLabel", "details")
     VALUES ($1::uuid, NULL, $2, $3, 'workspace', '1', NULL, $4::jsonb)`,
    [uuidv7(), CLI_ACTOR_LABEL, action, JSON.stringify(details)],
  );
}
