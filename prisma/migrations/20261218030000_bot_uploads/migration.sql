-- Issue 15: files.getUploadURLExternal / files.completeUploadExternal. A bot's upload before it
-- becomes an Attachment (the channel is only named at completion); core/src/bots/uploads.ts.
-- CreateEnum
CREATE TYPE "BotUploadStatus" AS ENUM ('waiting', 'receiving', 'uploaded', 'completing', 'expired');

-- CreateTable
CREATE TABLE "BotUpload" (
    "id" UUID NOT NULL,
    "uploaderId" UUID NOT NULL,
    "secretHash" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "mime" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "status" "BotUploadStatus" NOT NULL DEFAULT 'waiting',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BotUpload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BotUpload_objectKey_key" ON "BotUpload"("objectKey");

-- CreateIndex
CREATE INDEX "BotUpload_createdAt_idx" ON "BotUpload"("createdAt");

-- AddForeignKey
ALTER TABLE "BotUpload" ADD CONSTRAINT "BotUpload_uploaderId_fkey" FOREIGN KEY ("uploaderId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;


