-- CreateEnum
CREATE TYPE "ConversationNotifyLevel" AS ENUM ('default', 'all', 'mentions');

-- CreateEnum
CREATE TYPE "NotifyLevel" AS ENUM ('dms_and_mentions', 'mentions', 'nothing');

-- AlterTable
ALTER TABLE "Membership" ADD COLUMN     "ignoreBroadcasts" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "notifyLevel" "ConversationNotifyLevel" NOT NULL DEFAULT 'default';

-- CreateTable
CREATE TABLE "NotificationSettings" (
    "userId" UUID NOT NULL,
    "level" "NotifyLevel" NOT NULL DEFAULT 'dms_and_mentions',
    "keywords" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "dndUntil" TIMESTAMP(3),
    "dndStartMinute" INTEGER,
    "dndEndMinute" INTEGER,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "emailEnabled" BOOLEAN NOT NULL DEFAULT true,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NotificationSettings_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "PushSubscription" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "endpoint" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PushSubscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VapidKeys" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "publicKey" TEXT NOT NULL,
    "privateKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VapidKeys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotifierCursor" (
    "conversationId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,

    CONSTRAINT "NotifierCursor_pkey" PRIMARY KEY ("conversationId")
);

-- CreateTable
CREATE TABLE "PushNotice" (
    "userId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "sentSeq" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PushNotice_pkey" PRIMARY KEY ("userId","conversationId")
);

-- CreateTable
CREATE TABLE "PendingEmail" (
    "userId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PendingEmail_pkey" PRIMARY KEY ("userId","messageId")
);

-- CreateIndex
CREATE UNIQUE INDEX "PushSubscription_endpoint_key" ON "PushSubscription"("endpoint");

-- CreateIndex
CREATE INDEX "PushSubscription_userId_idx" ON "PushSubscription"("userId");

-- CreateIndex
CREATE INDEX "PendingEmail_dueAt_idx" ON "PendingEmail"("dueAt");

-- AddForeignKey
ALTER TABLE "NotificationSettings" ADD CONSTRAINT "NotificationSettings_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PushSubscription" ADD CONSTRAINT "PushSubscription_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;


