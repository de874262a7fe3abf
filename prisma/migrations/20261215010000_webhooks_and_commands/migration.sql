-- Incoming webhooks and slash commands (issue 15): core/src/hooks/.
CREATE TABLE "IncomingWebhook" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "conversationId" UUID NOT NULL,
    "botId" UUID NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "IncomingWebhook_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "SlashCommand" (
    "id" UUID NOT NULL,
    "command" TEXT NOT NULL,
    "callbackUrl" TEXT NOT NULL,
    "signingSecret" TEXT NOT NULL,
    "botId" UUID NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "SlashCommand_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "SlashResponse" (
    "id" UUID NOT NULL,
    "commandId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "threadRootId" UUID,
    "secretHash" TEXT NOT NULL,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SlashResponse_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "IncomingWebhook_conversationId_idx" ON "IncomingWebhook"("conversationId");
CREATE UNIQUE INDEX "SlashCommand_command_key" ON "SlashCommand"("command");
CREATE INDEX "SlashResponse_expiresAt_idx" ON "SlashResponse"("expiresAt");

ALTER TABLE "IncomingWebhook" ADD CONSTRAINT "IncomingWebhook_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "IncomingWebhook" ADD CONSTRAINT "IncomingWebhook_botId_fkey" FOREIGN KEY ("botId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "IncomingWebhook" ADD CONSTRAINT "IncomingWebhook_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "SlashCommand" ADD CONSTRAINT "SlashCommand_botId_fkey" FOREIGN KEY ("botId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SlashCommand" ADD CONSTRAINT "SlashCommand_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "SlashResponse" ADD CONSTRAINT "SlashResponse_commandId_fkey" FOREIGN KEY ("commandId") REFERENCES "SlashCommand"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SlashResponse" ADD CONSTRAINT "SlashResponse_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SlashResponse" ADD CONSTRAINT "SlashResponse_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
