-- A send writes index entries only where they are found: most messages are neither a reply nor pinned.
-- (Both indexes are small; on a large install the rebuild scans Message once.)

-- DropIndex
DROP INDEX "Message_conversationId_pinnedAt_idx";

-- DropIndex
DROP INDEX "Message_threadRootId_seq_idx";

-- CreateIndex
CREATE INDEX "Message_threadRootId_seq_idx" ON "Message"("threadRootId", "seq") WHERE ("threadRootId" IS NOT NULL);

-- CreateIndex
CREATE INDEX "Message_conversationId_pinnedAt_idx" ON "Message"("conversationId", "pinnedAt") WHERE ("pinnedAt" IS NOT NULL);
