-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "retentionDays" INTEGER,
ADD COLUMN     "truncatedSeq" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "messageRetentionDays" INTEGER NOT NULL DEFAULT 0;


