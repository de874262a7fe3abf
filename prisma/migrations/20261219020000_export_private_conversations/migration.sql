-- A workspace export in Slack's format may include private channels, DMs and group DMs (the owner's explicit choice).
ALTER TABLE "DataExport" ADD COLUMN "includePrivate" BOOLEAN NOT NULL DEFAULT false;
