-- Profile fields: a job title, pronouns and the current avatar's id (profile/avatar.ts).
ALTER TABLE "User" ADD COLUMN "title" TEXT NOT NULL DEFAULT '',
ADD COLUMN "pronouns" TEXT NOT NULL DEFAULT '',
ADD COLUMN "avatarId" UUID;
