-- CreateEnum
CREATE TYPE "BroadcastPolicy" AS ENUM ('everyone', 'admins');

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "broadcastPolicy" "BroadcastPolicy" NOT NULL DEFAULT 'everyone',
ADD COLUMN     "broadcastThreshold" INTEGER NOT NULL DEFAULT 5;


