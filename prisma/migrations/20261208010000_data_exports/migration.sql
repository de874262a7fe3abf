-- CreateEnum
CREATE TYPE "DataExportScope" AS ENUM ('workspace', 'user');

-- CreateEnum
CREATE TYPE "DataExportStatus" AS ENUM ('queued', 'running', 'ready', 'failed', 'expired');

-- CreateTable
CREATE TABLE "DataExport" (
    "id" UUID NOT NULL,
    "scope" "DataExportScope" NOT NULL,
    "requestedById" UUID NOT NULL,
    "status" "DataExportStatus" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3),
    "heartbeatAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "totalMessages" INTEGER,
    "messages" INTEGER NOT NULL DEFAULT 0,
    "files" INTEGER NOT NULL DEFAULT 0,
    "bytes" BIGINT,
    "objectKey" TEXT,
    "fileName" TEXT,
    "error" TEXT,
    "expiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DataExport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DataExport_status_createdAt_idx" ON "DataExport"("status", "createdAt");

-- CreateIndex
CREATE INDEX "DataExport_requestedById_createdAt_idx" ON "DataExport"("requestedById", "createdAt");

-- CreateIndex
CREATE INDEX "DataExport_scope_createdAt_idx" ON "DataExport"("scope", "createdAt");

-- AddForeignKey
ALTER TABLE "DataExport" ADD CONSTRAINT "DataExport_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;


