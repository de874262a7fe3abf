-- Settings → Sidebar "Show unreads at the top": one per-user preference, like sendReadReceipts,
-- so every device of the user sorts the sidebar the same way. Off by default (sorted by name).
ALTER TABLE "User" ADD COLUMN "sidebarUnreadsFirst" BOOLEAN NOT NULL DEFAULT false;
