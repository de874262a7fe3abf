-- Sign-up modes (open / invite_only / domains) replace the allowOpenSignup flag, data preserved:
-- true → open, false → invite_only. Invites gain an optional bound e-mail, who revoked them and a
-- redemption record per use.

-- CreateEnum
CREATE TYPE "SignupMode" AS ENUM ('open', 'invite_only', 'domains');

-- AlterTable
ALTER TABLE "Invite" ADD COLUMN     "email" TEXT,
ADD COLUMN     "emailedAt" TIMESTAMP(3),
ADD COLUMN     "revokedById" UUID;

-- AlterTable: add the mode, carry the flag over, then drop the flag.
ALTER TABLE "Workspace" ADD COLUMN     "signupDomains" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "signupMode" "SignupMode" NOT NULL DEFAULT 'invite_only';

UPDATE "Workspace"
SET "signupMode" = CASE WHEN "allowOpenSignup" THEN 'open'::"SignupMode" ELSE 'invite_only'::"SignupMode" END;

ALTER TABLE "Workspace" DROP COLUMN "allowOpenSignup";

-- CreateTable
CREATE TABLE "InviteRedemption" (
    "id" UUID NOT NULL,
    "inviteId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "redeemedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InviteRedemption_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InviteRedemption_userId_key" ON "InviteRedemption"("userId");

-- CreateIndex
CREATE INDEX "InviteRedemption_inviteId_redeemedAt_idx" ON "InviteRedemption"("inviteId", "redeemedAt");

-- CreateIndex
CREATE INDEX "Invite_createdAt_idx" ON "Invite"("createdAt");

-- AddForeignKey
ALTER TABLE "InviteRedemption" ADD CONSTRAINT "InviteRedemption_inviteId_fkey" FOREIGN KEY ("inviteId") REFERENCES "Invite"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "InviteRedemption" ADD CONSTRAINT "InviteRedemption_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
