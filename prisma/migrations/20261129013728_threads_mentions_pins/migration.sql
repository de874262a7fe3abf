-- DropIndex
DROP INDEX "Message_threadRootId_idx";

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "alsoInChannel" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "mentionedUserIds" UUID[] DEFAULT ARRAY[]::UUID[],
ADD COLUMN     "mentionsAll" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "pinnedAt" TIMESTAMP(3),
ADD COLUMN     "pinnedById" UUID;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "statusEmoji" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "statusText" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE INDEX "Message_threadRootId_seq_idx" ON "Message"("threadRootId", "seq");

-- CreateIndex
CREATE INDEX "Message_conversationId_pinnedAt_idx" ON "Message"("conversationId", "pinnedAt");


