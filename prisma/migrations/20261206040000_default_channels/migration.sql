-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "isDefault" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "generalChannelId" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "Workspace_generalChannelId_key" ON "Workspace"("generalChannelId");

-- AddForeignKey
ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_generalChannelId_fkey" FOREIGN KEY ("generalChannelId") REFERENCES "Conversation"("id") ON DELETE SET NULL ON UPDATE CASCADE;


