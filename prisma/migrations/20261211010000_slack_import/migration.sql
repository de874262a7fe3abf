-- CreateEnum
CREATE TYPE "SlackImportStatus" AS ENUM ('uploading', 'queued', 'running', 'done', 'failed');

-- CreateTable
CREATE TABLE "SlackImport" (
    "id" UUID NOT NULL,
    "requestedById" UUID NOT NULL,
    "status" "SlackImportStatus" NOT NULL DEFAULT 'uploading',
    "objectKey" TEXT NOT NULL,
    "fileName" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3),
    "heartbeatAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "phase" TEXT NOT NULL DEFAULT '',
    "totalMessages" INTEGER,
    "messages" INTEGER NOT NULL DEFAULT 0,
    "summary" JSONB,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SlackImport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlackImportMapping" (
    "kind" TEXT NOT NULL,
    "slackId" TEXT NOT NULL,
    "parleyId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SlackImportMapping_pkey" PRIMARY KEY ("kind","slackId")
);

-- CreateIndex
CREATE UNIQUE INDEX "SlackImport_objectKey_key" ON "SlackImport"("objectKey");

-- CreateIndex
CREATE INDEX "SlackImport_status_createdAt_idx" ON "SlackImport"("status", "createdAt");

-- AddForeignKey
ALTER TABLE "SlackImport" ADD CONSTRAINT "SlackImport_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateEnum
CREATE TYPE "DataExportFormat" AS ENUM ('parley', 'slack');

-- AlterTable
ALTER TABLE "DataExport" ADD COLUMN "format" "DataExportFormat" NOT NULL DEFAULT 'parley';
