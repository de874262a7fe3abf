-- AlterTable
ALTER TABLE "MessageSearch" ADD COLUMN     "hasFile" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "hasImage" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "hasLink" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "hasVoice" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "isPinned" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "isThread" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "mentionedUserIds" UUID[] DEFAULT ARRAY[]::UUID[],
ADD COLUMN     "mentionsAll" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "threadRootId" UUID;


-- Rows indexed before these columns existed are rebuilt: the indexer starts over from every log.
DELETE FROM "SearchCursor";
