-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "blockedUploadTypes" JSONB,
ADD COLUMN     "maxUploadBytes" BIGINT;


