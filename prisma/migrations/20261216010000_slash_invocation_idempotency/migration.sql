-- A slash command's invocation remembers the send's clientMsgId: a resend (same user, same id)
-- is answered from this row instead of calling the app a second time.
ALTER TABLE "SlashResponse" ADD COLUMN "clientMsgId" TEXT;

CREATE UNIQUE INDEX "SlashResponse_userId_clientMsgId_key" ON "SlashResponse"("userId", "clientMsgId");
