-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "membersSeq" INTEGER NOT NULL DEFAULT 0;
