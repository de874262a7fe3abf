-- CreateTable
CREATE TABLE "MessageSearch" (
    "messageId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "senderId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "text" TEXT NOT NULL,
    "tsv" tsvector NOT NULL,

    CONSTRAINT "MessageSearch_pkey" PRIMARY KEY ("messageId")
);

-- CreateTable
CREATE TABLE "SearchCursor" (
    "conversationId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,

    CONSTRAINT "SearchCursor_pkey" PRIMARY KEY ("conversationId")
);

-- CreateIndex
CREATE INDEX "MessageSearch_tsv_idx" ON "MessageSearch" USING GIN ("tsv");

-- CreateIndex
CREATE INDEX "MessageSearch_conversationId_idx" ON "MessageSearch"("conversationId");

-- AddForeignKey
ALTER TABLE "MessageSearch" ADD CONSTRAINT "MessageSearch_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SearchCursor" ADD CONSTRAINT "SearchCursor_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;



-- Searches never scan a pending list: the indexer (off the send path) pays for each insert instead.
ALTER INDEX "MessageSearch_tsv_idx" SET (fastupdate = off);
