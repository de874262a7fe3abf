-- Bots (issue 15): a bot is a User with isBot, acting through scoped BotTokens (core/src/bots/).
ALTER TABLE "User" ADD COLUMN "isBot" BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE "BotToken" (
    "id" UUID NOT NULL,
    "botId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "channelIds" UUID[],
    "canRead" BOOLEAN NOT NULL,
    "canWrite" BOOLEAN NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "BotToken_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "BotToken_tokenHash_key" ON "BotToken"("tokenHash");
CREATE INDEX "BotToken_botId_idx" ON "BotToken"("botId");

ALTER TABLE "BotToken" ADD CONSTRAINT "BotToken_botId_fkey" FOREIGN KEY ("botId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "BotToken" ADD CONSTRAINT "BotToken_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
