-- AlterTable
ALTER TABLE "Membership" ADD COLUMN     "deliveredSeq" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "sendReadReceipts" BOOLEAN NOT NULL DEFAULT true;


