/**
 * @parley/backup — `npm run backup` / `npm run restore` (scripts/backup.mjs is the command line):
 * one archive holding the database (COPY data of every table + the migrations that define the
 * schema) and every stored object, checksummed. See manifest.ts for the layout, restore.ts for
 * what a restore guarantees.
 */
export { createBackup, type TBackupOptions, type TBackupResult } from "./backup.ts";
export { BackupError, type TManifest, type TObjectIndex } from "./manifest.ts";
export { checkoutMigrations } from "./migrations.ts";
export {
  readManifest,
  restoreBackup,
  type TRestoreOptions,
  type TRestoreResult,
  verifyArchive,
} from "./restore.ts";
