-- Link previews (core/src/previews): the shown preview on Message, the workspace switch, the
-- previewer's cursors and job queue, and the page cache.
-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "linkPreview" JSONB;

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "linkPreviewsEnabled" BOOLEAN NOT NULL DEFAULT true;

-- CreateTable
CREATE TABLE "LinkPreviewCursor" (
    "conversationId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,

    CONSTRAINT "LinkPreviewCursor_pkey" PRIMARY KEY ("conversationId")
);

-- CreateTable
CREATE TABLE "LinkPreviewJob" (
    "messageId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "runAfter" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LinkPreviewJob_pkey" PRIMARY KEY ("messageId")
);

-- CreateTable
CREATE TABLE "LinkPreview" (
    "urlHash" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "isOk" BOOLEAN NOT NULL,
    "title" TEXT,
    "description" TEXT,
    "imageUrl" TEXT,
    "siteName" TEXT,
    "fetchedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LinkPreview_pkey" PRIMARY KEY ("urlHash")
);

-- CreateIndex
CREATE INDEX "LinkPreviewJob_runAfter_idx" ON "LinkPreviewJob"("runAfter");

-- CreateIndex
CREATE INDEX "LinkPreview_expiresAt_idx" ON "LinkPreview"("expiresAt");

-- AddForeignKey
ALTER TABLE "LinkPreviewCursor" ADD CONSTRAINT "LinkPreviewCursor_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LinkPreviewJob" ADD CONSTRAINT "LinkPreviewJob_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;



-- Existing logs are not previewed after the upgrade: the previewer starts at each conversation's end.
INSERT INTO "LinkPreviewCursor" ("conversationId", seq) SELECT id, "lastSeq" FROM "Conversation";
