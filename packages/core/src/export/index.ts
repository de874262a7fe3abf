/**
 * `@parley/core/export` — data exports (kept off the main entry point: it loads tar-stream and
 * takes the storage). See requests.ts (who may), run.ts (the background run and its cut) and
 * scopes.ts (what each kind of export holds).
 */

export {
  EXPORT_LINK_TTL_SEC,
  EXPORTS_PER_DAY,
  exportDownloadUrl,
  getExport,
  listExports,
  requestExport,
  type TExportDto,
  type TExportScope,
  ZExportId,
  ZExportScope,
  ZRequestExport,
} from "./requests.ts";
export {
  EXPORT_FORMAT,
  EXPORT_KEEP_DAYS,
  EXPORT_STALE_MS,
  expireExports,
  runPendingExports,
  startExportWorker,
  type TExportRunOptions,
  type TExportRunResult,
  type TExportWorkerOptions,
  wakeExportWorker,
} from "./run.ts";
export { USER_EXPORT_NOTES, WORKSPACE_EXPORT_NOTES } from "./scopes.ts";
