-- Searches read the index in time windows, newest first (packages/core/src/search/search.ts):
-- by time across conversations, and by time within one conversation (which also serves what
-- the (conversationId) index did). Snippets are made from Message now, so the row no longer
-- carries its text (88 of 436 bytes on average at 1,000,000 messages): fewer pages per match.
-- Existing rows shrink when they are next rewritten (the indexer's next upsert, or VACUUM FULL).

-- DropIndex
DROP INDEX "MessageSearch_conversationId_idx";

-- AlterTable
ALTER TABLE "MessageSearch" DROP COLUMN "text";

-- CreateIndex
CREATE INDEX "MessageSearch_createdAt_idx" ON "MessageSearch"("createdAt");

-- CreateIndex
CREATE INDEX "MessageSearch_conversationId_createdAt_idx" ON "MessageSearch"("conversationId", "createdAt");


