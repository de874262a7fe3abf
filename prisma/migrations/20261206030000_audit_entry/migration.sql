-- The audit log becomes AuditEntry (core/src/audit/): actor, target, address and user agent as
-- columns, so they can be filtered and exported. The old AuditLog rows are carried over.

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "auditRetentionDays" INTEGER NOT NULL DEFAULT 365;

-- CreateTable
CREATE TABLE "AuditEntry" (
    "id" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" UUID,
    "actorLabel" TEXT NOT NULL DEFAULT '',
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "targetLabel" TEXT,
    "ip" TEXT,
    "userAgent" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "AuditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditEntry_at_id_idx" ON "AuditEntry"("at", "id");

-- CreateIndex
CREATE INDEX "AuditEntry_actorId_at_idx" ON "AuditEntry"("actorId", "at");

-- CreateIndex
CREATE INDEX "AuditEntry_action_at_idx" ON "AuditEntry"("action", "at");

-- Carry the old rows over (actions renamed to the new names: workspace.setup → workspace.created,
-- workspace.uploadLimitsUpdated → workspace.updated).
INSERT INTO "AuditEntry" ("id", "at", "actorId", "actorLabel", "action", "targetType", "targetId", "targetLabel", "ip", "details")
SELECT a."id", a."createdAt", a."actorId",
  COALESCE(actor."email", a."data"->>'email', ''),
  CASE a."action"
    WHEN 'workspace.setup' THEN 'workspace.created'
    WHEN 'workspace.uploadLimitsUpdated' THEN 'workspace.updated'
    ELSE a."action" END,
  CASE
    WHEN a."action" IN ('user.deactivated', 'user.reactivated') THEN 'user'
    WHEN a."action" LIKE 'workspace.%' THEN 'workspace'
    WHEN a."action" = 'auth.lockout' AND a."data"->>'scope' = 'signin-ip' THEN 'address'
    WHEN a."action" = 'auth.lockout' THEN 'account'
    ELSE NULL END,
  CASE WHEN a."action" LIKE 'workspace.%' THEN '1' ELSE a."target" END,
  CASE WHEN a."action" IN ('user.deactivated', 'user.reactivated') THEN target."email" ELSE a."target" END,
  a."data"->>'ip',
  a."data"
FROM "AuditLog" a
LEFT JOIN "User" actor ON actor."id" = a."actorId"
LEFT JOIN "User" target ON a."action" IN ('user.deactivated', 'user.reactivated') AND target."id"::text = a."target";

-- DropTable
DROP TABLE "AuditLog";

-- Append-only in the database too: UPDATE and TRUNCATE are refused; DELETE only inside a
-- transaction that set `parley.audit_retention` = 'on' (core/src/audit/retention.ts, the one
-- deleting path). This guards against application mistakes, not against whoever owns the
-- database (they can drop the trigger).
CREATE FUNCTION "audit_entry_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('parley.audit_retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'AuditEntry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER "AuditEntry_append_only_rows" BEFORE UPDATE OR DELETE ON "AuditEntry"
  FOR EACH ROW EXECUTE FUNCTION "audit_entry_append_only"();

CREATE TRIGGER "AuditEntry_append_only_truncate" BEFORE TRUNCATE ON "AuditEntry"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_entry_append_only"();
